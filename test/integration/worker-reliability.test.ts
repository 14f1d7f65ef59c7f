import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { MESSAGE_VERSION, parseJobRecord } from '../../src/jobs/index.js';
import { createLogger } from '../../src/lib/logger.js';
import {
  createProducer,
  createSweeper,
  type EnqueueAccepted,
  type Producer,
} from '../../src/producer/index.js';
import { type Item, listAudit } from '../../src/tenancy/index.js';
import { finish, type Lease, renew } from '../../src/workers/lease.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { testRegistry } from '../helpers/capabilities.js';
import { runCli } from '../helpers/cli.js';
import { queueDepth } from '../helpers/queue.js';
import {
  executionsOf,
  explainWait,
  serviceContext,
  setQueueVisibility,
  stackEnv,
  subscribeToTopic,
  tableOf,
} from '../helpers/stack-extras.js';
import { eventually, WorkerProcess } from '../helpers/worker-process.js';

const silent = createLogger({ level: 'silent' });

/** A stack, a producer and worker processes, all torn down after each test. */
class Fixture {
  readonly workers: WorkerProcess[] = [];
  constructor(
    readonly stack: TestStack,
    readonly producer: Producer,
  ) {}

  static async create(label: string, env: Record<string, string> = {}): Promise<Fixture> {
    const stack = await createTestStack(label, { env });
    return new Fixture(
      stack,
      await createProducer(stack.config, { clients: stack.clients, log: silent, registry: testRegistry() }),
    );
  }

  async worker(
    env: Record<string, string> = {},
    options: { readonly bin?: 'scanq' | 'instrumented' } = {},
  ): Promise<WorkerProcess> {
    const worker = new WorkerProcess(stackEnv(this.stack, env), [], undefined, options);
    this.workers.push(worker);
    await worker.waitFor(/worker started/);
    return worker;
  }

  async enqueue(tenant: string, requests: unknown[]): Promise<EnqueueAccepted[]> {
    const results = await this.producer.enqueue(serviceContext(tenant), requests);
    expect(results.every((r) => r.accepted && r.enqueued)).toBe(true);
    return results as EnqueueAccepted[];
  }

  /** Waits until every key is terminal (JP/JF) and returns the items. */
  async terminal(tenant: string, keys: string[], timeoutMs = 45_000): Promise<Item[]> {
    const table = tableOf(this.stack, serviceContext(tenant));
    return eventually(
      async () => {
        const items = await Promise.all(keys.map((k) => table.get(k, { consistent: true })));
        return items.every((i) => /^J[PF]#/.test(String(i?.status))) ? (items as Item[]) : undefined;
      },
      timeoutMs,
      `${keys.length} jobs to finish`,
    );
  }

  async close(): Promise<void> {
    for (const w of this.workers) {
      w.kill('SIGKILL');
      await w.exited;
    }
    this.producer.close();
    await destroyTestStack(this.stack);
  }
}

const statuses = (item: Item | undefined) =>
  ((item?.history ?? []) as { status: string }[]).map((h) => h.status);

describe('Command: scanq worker — reliability', () => {
  let fixture: Fixture | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  it('runs a job delivered twice to two workers exactly once', async () => {
    fixture = await Fixture.create('dup');
    const [job] = await fixture.enqueue('dup', [
      { capability: 'test-sleep', target: 'd1', input: { ms: 1_500 } },
    ]);
    // A duplicate delivery: the same message body sent again.
    await fixture.stack.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: fixture.stack.report.queueUrl,
        MessageBody: JSON.stringify({
          v: MESSAGE_VERSION,
          tenant: 'dup',
          key: job?.key,
          capability: 'test-sleep',
          target: 'd1',
          attempt: 0,
          enqueuedAt: new Date().toISOString(),
          phase: 'JQ',
        }),
        MessageAttributes: {
          tenant: { DataType: 'String', StringValue: 'dup' },
          capability: { DataType: 'String', StringValue: 'test-sleep' },
        },
      }),
    );
    await Promise.all([fixture.worker(), fixture.worker()]);
    const [done] = await fixture.terminal('dup', [String(job?.key)]);
    expect(statuses(done)).toEqual(['JQ', 'JR', 'JP']);
    expect(executionsOf(done).map((e) => [e.status, e.attempt])).toEqual([['JP', 1]]);
    const items = await tableOf(fixture.stack, serviceContext('dup')).query({ prefix: '#execution#' });
    expect(items.items).toHaveLength(0); // the execution record costs no write of its own
  });

  it('finishes a job on another worker after kill -9, and fences the killed attempt', async () => {
    fixture = await Fixture.create('kill');
    await setQueueVisibility(fixture.stack, 2);
    const victim = await fixture.worker();
    const [job] = await fixture.enqueue('kill', [
      { capability: 'test-sleep', target: 'k1', input: { ms: 4_000 } },
    ]);
    const table = tableOf(fixture.stack, serviceContext('kill'));
    const claimed = await eventually(
      async () => {
        const item = await table.get(String(job?.key), { consistent: true });
        return String(item?.status).startsWith('JR#') ? item : undefined;
      },
      15_000,
      'the first claim',
    );
    victim.kill('SIGKILL');
    await victim.exited;
    await fixture.worker();
    const [done] = await fixture.terminal('kill', [String(job?.key)]);
    expect(statuses(done)).toEqual(['JQ', 'JR', 'JR', 'JP']);
    expect(done?.attempt).toBe(2);

    // The killed attempt comes back as a zombie: its late writes are refused.
    const zombie: Lease = {
      key: String(job?.key),
      owner: String(claimed?.owner),
      attempt: 1,
      phase: 'JQ',
      record: parseJobRecord(claimed),
    };
    expect(await renew(table, zombie, new Date(Date.now() + 60_000))).toBe('lost');
    const execution = { worker: 'zombie', startedAt: new Date().toISOString() };
    expect(await finish(table, zombie, { code: 'JF', now: new Date(), error: 'zombie', execution })).toBe(
      false,
    );
    const after = await table.get(String(job?.key), { consistent: true });
    expect(after?.status).toBe(done?.status);
    expect(after?.resultKey).toBe(done?.resultKey);
  });

  it('leaves no finding, result or event of a zombie: a worker stopped past its lease and resumed after the takeover finished', async () => {
    // Prepare: test-findings sleeps 2.5 s without watching its signal, then reports an asset and a
    // risk naming its attempt. Its lease is 12.5 s and the heartbeat beats every ~4 s, so a resumed
    // zombie's run ends before its heartbeat can learn that the lease is gone: it goes on to write.
    fixture = await Fixture.create('zombie');
    await setQueueVisibility(fixture.stack, 2);
    const events = await subscribeToTopic(fixture.stack);
    const zombie = await fixture.worker();
    const [job] = await fixture.enqueue('zombie', [
      { capability: 'test-findings', target: 'z1', input: { ms: 2_500 } },
    ]);
    const key = String(job?.key);
    const table = tableOf(fixture.stack, serviceContext('zombie'));
    await eventually(
      async () => ((await table.get(key, { consistent: true }))?.attempt === 1 ? true : undefined),
      15_000,
      'the first claim',
    );

    // Act: stop the first worker mid-scan; a second one takes over the expired lease and finishes;
    // then the first resumes, its scan completes, and it tries to conclude attempt 1.
    zombie.kill('SIGSTOP');
    await fixture.worker();
    const [done] = await fixture.terminal('zombie', [key], 60_000);
    zombie.kill('SIGCONT');
    await zombie.waitFor(/fenced|lease lost/, 30_000);

    // Assess: the job, its findings, its result objects, its executions and its events are attempt 2's.
    expect(done?.attempt).toBe(2);
    expect(statuses(done)).toEqual(['JQ', 'JR', 'JR', 'JP']);
    const asset = await table.get('#asset#host#z1', { consistent: true });
    expect(asset?.attributes).toEqual({ attempt: 2 });
    const risk = await table.get('#risk##asset#host#z1#test-finding', { consistent: true });
    expect(risk?.evidence).toEqual({ attempt: 2 });
    const objects = await fixture.stack.clients.s3.send(
      new ListObjectsV2Command({
        Bucket: fixture.stack.config.resources.resultsBucket,
        Prefix: 'zombie/results/',
      }),
    );
    expect((objects.Contents ?? []).map((o) => o.Key)).toEqual([done?.resultKey]);
    expect(executionsOf(done).map((e) => [e.status, e.attempt])).toEqual([['JP', 2]]);
    // Events leave in batches after the finish has won: wait for the winner's, then for anything
    // the resumed zombie could still publish, and read them all.
    const mine = async () => (await events()).map((e) => e.body).filter((b) => b.key === key);
    await eventually(
      async () => ((await mine()).length > 0 ? true : undefined),
      15_000,
      "the winner's event",
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const published = await mine();
    expect(published.map((b) => [b.status, b.attempt])).toEqual([['JP', 2]]);
  }, 120_000);

  it('brings every job to one terminal state under injected AWS faults', async () => {
    fixture = await Fixture.create('faults');
    await setQueueVisibility(fixture.stack, 3);
    // No SDK retries: every injected fault reaches scanq's own recovery.
    const faulty = {
      SCANQ_FAULT_RATE: '0.2',
      SCANQ_FAULT_AMBIGUOUS: '0.3',
      SCANQ_AWS_MAX_ATTEMPTS: '1',
      // Start-up lookups are left alone: a worker that cannot start is restarted by its supervisor.
      SCANQ_FAULT_MATCH: '^(?!SQS\\.GetQueueAttributes$)',
    };
    // The tools' entry point injects the faults (a production `scanq worker` has no such setting).
    const instrumented = { bin: 'instrumented' as const };
    await Promise.all([fixture.worker(faulty, instrumented), fixture.worker(faulty, instrumented)]);
    // The sweeper recovers jobs whose message went to the DLQ after too many faulted receives.
    const sweeper = new WorkerProcess(
      stackEnv(fixture.stack, { SCANQ_SWEEP_INTERVAL: '2s', SCANQ_LOST_ENQUEUE_AFTER: '5s' }),
      [],
      ['sweeper'],
    );
    fixture.workers.push(sweeper);
    const jobs = await fixture.enqueue(
      'faults',
      // Short leases (test-sleep: 6 s timeout), so a lease a fault orphaned expires quickly.
      Array.from({ length: 30 }, (_, i) => ({ capability: 'test-sleep', target: `f${i}`, input: { ms: 0 } })),
    );
    const done = await fixture.terminal(
      'faults',
      jobs.map((j) => j.key),
      120_000,
    );
    for (const item of done) {
      const terminal = statuses(item).filter((s) => s === 'JP' || s === 'JF');
      expect(terminal).toHaveLength(1);
    }
    expect(done.filter((i) => String(i.status).startsWith('JP#')).length).toBeGreaterThan(0);
    const injected = fixture.workers.flatMap((w) => w.lines).filter((l) => l.includes('injected')).length;
    expect(injected).toBeGreaterThan(0);
  }, 150_000);

  it('parks a poison message in the DLQ, keeps serving, and `dlq redrive` brings it back', async () => {
    fixture = await Fixture.create('poison');
    const worker = await fixture.worker();
    await fixture.stack.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: fixture.stack.report.queueUrl,
        MessageBody: '{"v":1,"tenant":"poison",',
      }),
    );
    const jobs = await fixture.enqueue('poison', [{ capability: 'noop', target: 'after-poison' }]);
    await fixture.terminal('poison', [String(jobs[0]?.key)]);
    await worker.waitFor(/message rejected to the DLQ/);
    expect(worker.child.exitCode).toBeNull();
    const env = stackEnv(fixture.stack);
    const listed = await runCli(['dlq', 'ls', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ rejectedReason: 'body is not JSON' }),
    ]);

    worker.kill('SIGTERM');
    await worker.exited;
    const redriven = await runCli(['dlq', 'redrive', '--yes', '--json'], env);
    expect(redriven.code, redriven.stderr).toBe(0);
    expect(JSON.parse(redriven.stdout)).toMatchObject({ moved: 1, failed: 0 });
    expect(await queueDepth(fixture.stack.clients.sqs, fixture.stack.report.queueUrl)).toBe(1);
  });

  it('runs the async flow JR → JRA → (return) JQA → JP, and the sweeper fails a JRA past its deadline', async () => {
    fixture = await Fixture.create('async');
    await fixture.worker();
    const ctx = serviceContext('async');
    const table = tableOf(fixture.stack, ctx);
    const [slow, lost] = await fixture.enqueue('async', [
      { capability: 'test-async', target: 'a1', input: { deadlineMs: 600_000 } },
      { capability: 'test-async', target: 'a2', input: { deadlineMs: 500 } },
    ]);
    const handed = await eventually(
      async () => {
        const items = await Promise.all(
          [slow, lost].map((j) => table.get(String(j?.key), { consistent: true })),
        );
        return items.every((i) => String(i?.status).startsWith('JRA#')) ? items : undefined;
      },
      20_000,
      'both hand-offs',
    );
    expect(handed[0]?.asyncRef).toMatch(/^ext-/);

    const returned = await fixture.producer.returnAsync(ctx, String(slow?.key), String(handed[0]?.asyncRef), {
      verdict: 'clean',
    });
    expect(returned).toMatchObject({ accepted: true, rule: 'asyncReturning' });
    const wrongRef = await fixture.producer.returnAsync(ctx, String(lost?.key), 'not-the-ref', {
      verdict: 'clean',
    });
    expect(wrongRef).toMatchObject({ accepted: false, reason: 'notReturnable' });
    const [completed] = await fixture.terminal('async', [String(slow?.key)]);
    expect(statuses(completed)).toEqual(['JQ', 'JR', 'JRA', 'JQA', 'JR', 'JP']);

    const lostAfterMs = fixture.stack.config.sweeper.lostEnqueueAfterMs;
    const sweeper = createSweeper(fixture.stack.config, {
      clients: fixture.stack.clients,
      queueUrl: fixture.stack.report.queueUrl,
      topicArn: fixture.stack.report.topicArn,
      log: silent,
      // The sweeper fails a JRA once its deadline has passed by its delay (a late callback's grace).
      now: () => new Date(Date.now() + lostAfterMs + 5_000),
    });
    expect((await sweeper.sweepOnce()).expired).toBe(1);
    const expired = await table.get(String(lost?.key), { consistent: true });
    expect(String(expired?.status)).toMatch(/^JF#/);
    expect(String(expired?.error)).toMatch(/async deadline .* passed/);
  });

  it('drains on SIGTERM: short jobs finish, long ones are released, none lost', async () => {
    fixture = await Fixture.create('drain');
    const worker = await fixture.worker({ SCANQ_DRAIN_TIMEOUT: '2s' });
    const jobs = await fixture.enqueue('drain', [
      { capability: 'test-sleep', target: 'short-1', input: { ms: 500 } },
      { capability: 'test-sleep', target: 'short-2', input: { ms: 500 } },
      { capability: 'test-sleep', target: 'long-1', input: { ms: 5_000 } },
      { capability: 'test-sleep', target: 'long-2', input: { ms: 5_000 } },
    ]);
    const table = tableOf(fixture.stack, serviceContext('drain'));
    await eventually(
      async () => {
        const items = await Promise.all(jobs.map((j) => table.get(j.key, { consistent: true })));
        return items.every((i) => String(i?.status).startsWith('JR#')) ? true : undefined;
      },
      15_000,
      'all four running',
    );
    const started = Date.now();
    worker.kill('SIGTERM');
    const exit = await worker.exited;
    expect(exit.code).toBe(0);
    // Functional bound, not a benchmark: the drain timeout plus the release writes.
    expect(Date.now() - started).toBeLessThan(2_000 + 5_000);
    const items = await Promise.all(jobs.map((j) => table.get(j.key, { consistent: true })));
    expect(items.slice(0, 2).map((i) => String(i?.status).slice(0, 3))).toEqual(['JP#', 'JP#']);
    for (const released of items.slice(2)) {
      expect(String(released?.status)).toMatch(/^JR#/);
      expect(String(released?.lastError)).toMatch(/released on shutdown/);
    }
    await fixture.worker();
    const done = await fixture.terminal(
      'drain',
      jobs.map((j) => j.key),
    );
    expect(done.map((i) => String(i.status).slice(0, 3))).toEqual(['JP#', 'JP#', 'JP#', 'JP#']);
  });

  it('exits at once (code 130) on a SIGINT during a drain; a repeated SIGTERM does not cut the drain short', async () => {
    fixture = await Fixture.create('twice');
    // A receive the killed worker sent may still be answered after it died (moto holds the request,
    // and under load answers it late): a message handed to it comes back after the queue's
    // visibility, so keep that short. A job's own message gets its lease as visibility when claimed.
    await setQueueVisibility(fixture.stack, 2);
    const { stack } = fixture;
    const table = tableOf(stack, serviceContext('twice'));
    const running = async (key: string) =>
      eventually(
        async () => {
          const item = await table.get(key, { consistent: true });
          return String(item?.status).startsWith('JR#') ? true : undefined;
        },
        // A job past its tenant's lane budget waits in the bulk queue until an idle worker's jobs
        // long poll (capped at 5 s) ends: give it that, plus start-up under load.
        45_000,
        'the job to run',
      );

    // Act 1: an operator at a terminal presses Ctrl-C twice.
    const impatient = await fixture.worker({ SCANQ_DRAIN_TIMEOUT: '60s' });
    const [first] = await fixture.enqueue('twice', [
      { capability: 'test-sleep', target: 'long', input: { ms: 5_000 } },
    ]);
    await running(String(first?.key));
    impatient.kill('SIGINT');
    await impatient.waitFor(/draining/);
    impatient.kill('SIGINT');
    expect(await impatient.exited).toEqual({ code: 130, signal: null });

    // Act 2: an orchestrator sends SIGTERM from a preStop hook and again when the hook ends.
    const patient = await fixture.worker({ SCANQ_DRAIN_TIMEOUT: '60s' });
    const [second] = await fixture.enqueue('twice', [
      { capability: 'test-sleep', target: 'short', input: { ms: 3_000 } },
    ]);
    await running(String(second?.key)).catch(async (error: unknown) => {
      throw new Error(
        `${String(error)}\n${await explainWait(stack, serviceContext('twice'), String(second?.key), [patient])}`,
      );
    });
    patient.kill('SIGTERM');
    await patient.waitFor(/draining/);
    patient.kill('SIGTERM');
    await patient.waitFor(/already draining/);

    // Assess: the drain ran to its end, the job passed, the exit is a clean one.
    expect(await patient.exited).toEqual({ code: 0, signal: null });
    const done = await table.get(String(second?.key), { consistent: true });
    expect(String(done?.status)).toMatch(/^JP#/);
  });

  it('refuses and audits a secret tagged for another tenant; no secret reaches a log line', async () => {
    fixture = await Fixture.create('xsecret');
    const { stack } = fixture;
    await stack.clients.secrets.send(
      new CreateSecretCommand({
        Name: `${stack.config.resources.secretsPrefix}/gamma/account/999988887777`,
        SecretString: JSON.stringify({
          kind: 'aws-keys',
          accessKeyId: 'AKIAWRONGTENANT00001',
          secretAccessKey: 'wrongTenantSecretValue/DoNotLeak0000001',
        }),
        Tags: [{ Key: 'tenant', Value: 'delta' }],
      }),
    );
    const worker = await fixture.worker();
    const [job] = await fixture.enqueue('gamma', [
      { capability: 'test-creds', target: 'acct-999988887777', input: { accountId: '999988887777' } },
    ]);
    const [done] = await fixture.terminal('gamma', [String(job?.key)]);
    expect(String(done?.status)).toMatch(/^JF#/);
    expect(done?.attempt).toBe(1);
    const audit = await listAudit(tableOf(stack, serviceContext('gamma')), { limit: 10 });
    expect(audit.records).toEqual([
      expect.objectContaining({ action: 'secret.read', authorized: false, assumedTenant: 'gamma' }),
    ]);
    expect(worker.lines.filter((l) => /DoNotLeak|AKIAWRONGTENANT/.test(l))).toEqual([]);
  });
});
