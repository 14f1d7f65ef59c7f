import { HeadObjectCommand, NotFound } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import {
  createJobControl,
  createProducer,
  type EnqueueAccepted,
  type JobControl,
  JobControlError,
  type Producer,
} from '../../src/producer/index.js';
import { newScheduleId, parseScheduleInput, scheduleItem } from '../../src/scheduler/schedule.js';
import { ownContext, type TenantContext, TenantFiles } from '../../src/tenancy/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { testRegistry } from '../helpers/capabilities.js';
import { runCli } from '../helpers/cli.js';
import { queueDepth } from '../helpers/queue.js';
import { readResult, serviceContext, stackEnv, tableOf } from '../helpers/stack-extras.js';
import { eventually, WorkerProcess } from '../helpers/worker-process.js';

const silent = createLogger({ level: 'silent' });
const statusOf = (item: Readonly<Record<string, unknown>> | undefined) => String(item?.status).slice(0, 3);
const historyOf = (item: Readonly<Record<string, unknown>> | undefined) =>
  ((item?.history ?? []) as { status: string }[]).map((h) => h.status);
const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A worker log line with this message about this job key. */
const logLine = (msg: string, key: string) =>
  new RegExp(`^(?=.*"msg":"${escapeRegex(msg)}")(?=.*"key":"${escapeRegex(key)}")`);
const adminOf = (tenant: string): TenantContext =>
  ownContext({ tenant, user: `admin@${tenant}`, roles: ['admin'] });

/**
 * Job control against real worker processes on the local endpoint: cancel (queued and running),
 * pause and resume, retry, delete, and the DLQ purge. Assertions are on states and the order of
 * events (log lines, statuses), never on times.
 */
describe('Module: producer/control — job control with real workers', () => {
  let stack: TestStack;
  let producer: Producer;
  let control: JobControl;
  let worker: WorkerProcess;

  beforeAll(async () => {
    stack = await createTestStack('ctl');
    producer = await createProducer(stack.config, {
      clients: stack.clients,
      log: silent,
      registry: testRegistry(),
    });
    const r = stack.config.resources;
    control = createJobControl({
      tableDeps: { doc: stack.clients.doc, tableName: r.table },
      filesOf: (ctx) =>
        new TenantFiles(
          {
            s3: stack.clients.s3,
            buckets: { results: r.resultsBucket, uploads: r.uploadsBucket, quarantine: r.quarantineBucket },
          },
          ctx,
        ),
      producer,
      log: silent,
    });
    // Pauses are read through a 1 s cache, so a parked message hides for 1 s at a time.
    worker = new WorkerProcess(stackEnv(stack, { SCANQ_PROFILE_TTL: '1s' }));
    await worker.waitFor(/worker started/);
  });
  afterAll(async () => {
    worker.kill('SIGTERM');
    await worker.exited;
    producer.close();
    await destroyTestStack(stack);
  });

  const settled = (ctx: TenantContext, key: string, what: string) =>
    eventually(
      async () => {
        const item = await tableOf(stack, ctx).get(key, { consistent: true });
        return /^J[PF]#/.test(String(item?.status)) ? item : undefined;
      },
      30_000,
      what,
    );

  it('cancels a queued job: JF cancelled at once, and its message is acknowledged without running it', async () => {
    // Prepare: the message waits 2 s (a start delay), so the job is surely still queued.
    const ctx = serviceContext('ctl-queued');
    const [job] = (await producer.enqueue(ctx, [
      { capability: 'noop', target: 'never-runs', delaySeconds: 2 },
    ])) as EnqueueAccepted[];
    const key = String(job?.key);

    // Act
    const result = await control.cancel(ctx, key);

    // Assess: cancelled now; when the delayed message arrives the claim loses and it is acknowledged.
    expect(result).toMatchObject({ key, outcome: 'cancelled' });
    await worker.waitFor(logLine('duplicate message acknowledged', key));
    const item = await tableOf(stack, ctx).get(key, { consistent: true });
    expect(statusOf(item)).toBe('JF#');
    expect(item).toMatchObject({ errorCode: 'cancelled', attempt: 0, error: `cancelled by ${ctx.user}` });
    expect(item?.started).toBeUndefined();
    expect(historyOf(item)).toEqual(['JQ', 'JF']);
    await expect(control.cancel(ctx, key)).rejects.toMatchObject({ code: 'job.notCancellable' });
  });

  it('stops a running job at its next heartbeat: JF cancelled, no result object, the capability aborted', async () => {
    // Prepare: a 60 s sleep with its own 4 s timeout (heartbeat every 2 s) and one attempt.
    const ctx = serviceContext('ctl-running');
    const [job] = (await producer.enqueue(ctx, [
      { capability: 'sleep', target: 'long', input: { ms: 60_000 }, timeoutSeconds: 4, maxAttempts: 1 },
    ])) as EnqueueAccepted[];
    const key = String(job?.key);
    const table = tableOf(stack, ctx);
    await eventually(
      async () => (statusOf(await table.get(key, { consistent: true })) === 'JR#' ? true : undefined),
      30_000,
      'the job to run',
    );

    // Act
    const result = await control.cancel(ctx, key);

    // Assess: the cancel ended it (not its 4 s timeout, not the sleep's end), with nothing written to S3.
    expect(result.outcome).toBe('stopping');
    const item = await settled(ctx, key, 'the cancelled job to end');
    expect(statusOf(item)).toBe('JF#');
    expect(item).toMatchObject({ errorCode: 'cancelled', attempt: 1 });
    expect(item?.resultKey).toBeUndefined();
    expect(historyOf(item)).toEqual(['JQ', 'JR', 'JF']);
    expect(Date.parse(String(item?.cancelRequested))).toBeLessThanOrEqual(Date.parse(String(item?.finished)));
    expect(worker.lines.some((l) => l.includes('job cancelled') && l.includes('ctl-running'))).toBe(true);
  });

  it('pauses a tenant: none of its jobs starts while another tenant’s run; resumed, they run', async () => {
    // Prepare
    const paused = adminOf('ctl-paused');
    const other = serviceContext('ctl-other');
    expect(await control.pause(paused)).toEqual({ all: true, capabilities: [] });
    const heldJobs = (await producer.enqueue(serviceContext('ctl-paused'), [
      { capability: 'noop', target: 'p1' },
      { capability: 'noop', target: 'p2' },
    ])) as EnqueueAccepted[];
    const otherJobs = (await producer.enqueue(other, [
      { capability: 'noop', target: 'o1' },
      { capability: 'noop', target: 'o2' },
    ])) as EnqueueAccepted[];

    // Act: the other tenant's jobs finish, and the worker has parked each paused job's message.
    await Promise.all(otherJobs.map((j) => settled(other, j.key, 'the other tenant’s jobs')));
    for (const j of heldJobs) await worker.waitFor(logLine('paused job parked', j.key));

    // Assess: nothing of the paused tenant started.
    const pausedTable = tableOf(stack, paused);
    for (const j of heldJobs) {
      const item = await pausedTable.get(j.key, { consistent: true });
      expect(statusOf(item)).toBe('JQ#');
      expect(item?.attempt).toBe(0);
    }

    // Act: resume; Assess: they run.
    expect(await control.resume(paused)).toEqual({ all: false, capabilities: [] });
    for (const j of heldJobs) expect(statusOf(await settled(paused, j.key, 'the resumed jobs'))).toBe('JP#');
  });

  it('retries a failed job now (it runs again, history kept) and refuses to retry one that is not JF', async () => {
    // Prepare
    const ctx = serviceContext('ctl-retry');
    const [job] = (await producer.enqueue(ctx, [
      { capability: 'test-fail', target: 'r1' },
    ])) as EnqueueAccepted[];
    const key = String(job?.key);
    expect(statusOf(await settled(ctx, key, 'the first failure'))).toBe('JF#');

    // Act
    const retried = await control.retry(ctx, key);

    // Assess
    expect(retried).toMatchObject({ accepted: true, rule: 'previousFailed' });
    const item = await eventually(
      async () => {
        const stored = await tableOf(stack, ctx).get(key, { consistent: true });
        return historyOf(stored).length === 6 && statusOf(stored) === 'JF#' ? stored : undefined;
      },
      30_000,
      'the retry to fail again',
    );
    expect(historyOf(item)).toEqual(['JQ', 'JR', 'JF', 'JQ', 'JR', 'JF']);
    const [passed] = (await producer.enqueue(ctx, [
      { capability: 'noop', target: 'r2' },
    ])) as EnqueueAccepted[];
    await settled(ctx, String(passed?.key), 'a passing job');
    await expect(control.retry(ctx, String(passed?.key))).rejects.toBeInstanceOf(JobControlError);
  });

  it('deletes a finished job and its result object; refuses a queued one and a readonly caller', async () => {
    // Prepare
    const ctx = adminOf('ctl-delete');
    const [job] = (await producer.enqueue(ctx, [{ capability: 'noop', target: 'd1' }])) as EnqueueAccepted[];
    const key = String(job?.key);
    const item = await settled(ctx, key, 'the job to pass');
    const resultKey = String(item?.resultKey);
    expect(await readResult(stack, resultKey)).toMatchObject({ key });
    const readonly = ownContext({ tenant: 'ctl-delete', user: 'ro', roles: ['readonly'] });
    await expect(control.remove(readonly, key)).rejects.toMatchObject({ code: 'tenant.forbidden' });

    // Act
    const deleted = await control.remove(ctx, key);

    // Assess
    expect(deleted).toEqual({ key, deletedObjects: 1 });
    expect(await tableOf(stack, ctx).get(key, { consistent: true })).toBeUndefined();
    await expect(
      stack.clients.s3.send(
        new HeadObjectCommand({ Bucket: stack.config.resources.resultsBucket, Key: resultKey }),
      ),
    ).rejects.toBeInstanceOf(NotFound);
    await expect(control.remove(ctx, key)).rejects.toMatchObject({ code: 'job.notFound' });
    const [queued] = (await producer.enqueue(ctx, [
      { capability: 'noop', target: 'd2', delaySeconds: 30 },
    ])) as EnqueueAccepted[];
    await expect(control.remove(ctx, String(queued?.key))).rejects.toMatchObject({ code: 'job.notFinished' });
  });

  it('does the same from the CLI: jobs cancel, results get, schedules ls/update (exit codes, one-line refusals)', async () => {
    // Prepare: a delayed job to cancel, a passed job to read, a schedule to update.
    const ctx = serviceContext('ctl-cli');
    const [delayed, done] = (await producer.enqueue(ctx, [
      { capability: 'noop', target: 'c1', delaySeconds: 30 },
      { capability: 'noop', target: 'c2' },
    ])) as EnqueueAccepted[];
    await settled(ctx, String(done?.key), 'the job to pass');
    const env = stackEnv(stack);
    const table = tableOf(stack, ctx);
    const created = scheduleItem(
      parseScheduleInput({ capability: 'noop', targets: ['s1'], interval: '1h' }, testRegistry()),
      {
        id: newScheduleId(),
        tenant: 'ctl-cli',
        now: new Date(),
        shards: stack.config.indexShards,
        createdBy: 'test',
      },
    );
    await table.put(created);

    // Act
    const cancel = await runCli(['jobs', 'cancel', String(delayed?.key), '--tenant', 'ctl-cli'], env);
    const again = await runCli(['jobs', 'cancel', String(delayed?.key), '--tenant', 'ctl-cli'], env);
    const result = await runCli(
      ['results', 'get', '--tenant', 'ctl-cli', '--capability', 'noop', '--target', 'c2'],
      env,
    );
    const listed = await runCli(['schedules', 'ls', '--tenant', 'ctl-cli'], env);
    const updated = await runCli(
      [
        'schedules',
        'update',
        created.id,
        '--tenant',
        'ctl-cli',
        '--body',
        '{"capability":"noop","targets":["s1","s2"],"interval":"2h","enabled":false}',
      ],
      env,
    );
    const invalid = await runCli(
      [
        'schedules',
        'update',
        created.id,
        '--tenant',
        'ctl-cli',
        '--body',
        '{"capability":"noop","targets":[],"interval":"2h"}',
      ],
      env,
    );

    // Assess
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toMatch(/^cancelled #job#c1#noop/);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^scanq: job\.notCancellable: /);
    expect(again.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ key: done?.key, status: 'JP', tenant: 'ctl-cli' });
    expect(listed.stdout).toContain(created.id);
    expect(updated.code, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({
      id: created.id,
      targets: ['s1', 's2'],
      enabled: false,
      intervalMs: 7_200_000,
      created: created.created,
    });
    expect((await table.get(created.key, { consistent: true }))?.dueKey).toBeUndefined();
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/^scanq: targets/);
  });

  it('purges the DLQ with `scanq dlq purge --yes`, and refuses without it when stdin is not a terminal', async () => {
    // Prepare
    for (const n of [1, 2, 3])
      await stack.clients.sqs.send(
        new SendMessageCommand({ QueueUrl: stack.report.dlqUrl, MessageBody: `dead ${n}` }),
      );
    const env = stackEnv(stack);

    // Act + Assess: refused, nothing deleted.
    const refused = await runCli(['dlq', 'purge'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/pass --yes/);
    expect(await queueDepth(stack.clients.sqs, stack.report.dlqUrl)).toBe(3);

    // Act + Assess: purged.
    const purged = await runCli(['dlq', 'purge', '--yes'], env);
    expect(purged.code, purged.stderr).toBe(0);
    expect(purged.stdout).toMatch(/purged .*~3 messages/);
    await eventually(
      async () => ((await queueDepth(stack.clients.sqs, stack.report.dlqUrl)) === 0 ? true : undefined),
      60_000,
      'the DLQ to be empty',
    );
  });
});
