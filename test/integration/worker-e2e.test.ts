import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { createProducer, type EnqueueAccepted, type Producer } from '../../src/producer/index.js';
import { putAccountSecret } from '../../src/tenancy/secrets.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { testRegistry } from '../helpers/capabilities.js';
import {
  executionsOf,
  readResult,
  serviceContext,
  stackEnv,
  subscribeToTopic,
  tableOf,
} from '../helpers/stack-extras.js';
import { eventually, WorkerProcess } from '../helpers/worker-process.js';

const silent = createLogger({ level: 'silent' });

describe('Command: scanq worker — end to end in real processes', () => {
  let stack: TestStack;
  let producer: Producer;
  let notifications: Awaited<ReturnType<typeof subscribeToTopic>>;
  let worker: WorkerProcess;

  beforeAll(async () => {
    stack = await createTestStack('e2e');
    producer = await createProducer(stack.config, {
      clients: stack.clients,
      log: silent,
      registry: testRegistry(),
    });
    notifications = await subscribeToTopic(stack);
    // One worker for the file: a killed worker's unanswered long poll can still take messages.
    worker = new WorkerProcess(stackEnv(stack));
    await worker.waitFor(/worker started/);
  });
  afterAll(async () => {
    worker.kill('SIGTERM');
    await worker.exited;
    producer.close();
    await destroyTestStack(stack);
  });

  it('runs a noop job and a credentialed job: history, execution, S3 result, SNS notification', async () => {
    // Prepare: tenant credentials in Secrets Manager (moto's STS accepts any keys).
    const ctx = serviceContext('acme');
    await putAccountSecret(
      {
        secrets: stack.clients.secrets,
        prefix: stack.config.resources.secretsPrefix,
        kmsKeyId: stack.report.kmsKeyArn,
      },
      ctx,
      '111122223333',
      {
        kind: 'aws-keys',
        accessKeyId: 'AKIAEXAMPLEKEY000001',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRET0001',
      },
    );

    // Act
    const results = (await producer.enqueue(ctx, [
      { capability: 'noop', target: 'host-1' },
      { capability: 'test-creds', target: 'account-111122223333', input: { accountId: '111122223333' } },
    ])) as EnqueueAccepted[];
    const table = tableOf(stack, ctx);
    const jobs = await eventually(
      async () => {
        const items = await Promise.all(results.map((r) => table.get(r.key, { consistent: true })));
        return items.every((i) => String(i?.status).startsWith('JP#')) ? items : undefined;
      },
      30_000,
      'both jobs to pass',
    );

    // Assess: status history JQ → JR → JP, one execution each, result objects, notifications.
    for (const job of jobs) {
      expect(((job?.history ?? []) as { status: string }[]).map((h) => h.status)).toEqual(['JQ', 'JR', 'JP']);
      const result = await readResult(stack, String(job?.resultKey));
      expect(result).toMatchObject({ v: 1, tenant: 'acme', key: job?.key, status: 'JP', attempt: 1 });
      expect(String(job?.resultKey)).toMatch(/^acme\/results\/\d{4}-\d{2}-\d{2}\//);
    }
    const creds = await readResult(stack, String(jobs[1]?.resultKey));
    expect(creds.result).toMatchObject({ account: expect.stringMatching(/^\d{12}$/) });
    expect(jobs.flatMap((job) => executionsOf(job).map((e) => [e.status, e.attempt, e.resultKey]))).toEqual(
      jobs.map((job) => ['JP', 1, job?.resultKey]),
    );
    const events = await eventually(
      async () => {
        const seen = await notifications();
        return seen.length >= 2 ? seen : undefined;
      },
      10_000,
      'two notifications',
    );
    expect(
      events
        .map((e) => e.attributes)
        .sort((a, b) => String(a.capability).localeCompare(String(b.capability))),
    ).toEqual([
      { tenant: 'acme', status: 'JP', capability: 'noop' },
      { tenant: 'acme', status: 'JP', capability: 'test-creds' },
    ]);
    // The secret never appears in any log line of the worker.
    expect(worker.lines.length).toBeGreaterThan(0);
    expect(worker.lines.filter((l) => /wJalrXUtnFEMI|SECRET0001|AKIAEXAMPLEKEY/.test(l))).toEqual([]);
  });

  it('fails a job whose capability refuses it at once, and retries a transient failure', async () => {
    const ctx = serviceContext('beta');
    const [failing, flaky] = (await producer.enqueue(ctx, [
      { capability: 'test-fail', target: 'x' },
      { capability: 'test-flaky', target: 'y', input: { succeedOn: 2 } },
    ])) as EnqueueAccepted[];
    const table = tableOf(stack, ctx);
    const done = await eventually(
      async () => {
        const [a, b] = await Promise.all([table.get(String(failing?.key)), table.get(String(flaky?.key))]);
        return /^J[PF]#/.test(String(a?.status)) && /^J[PF]#/.test(String(b?.status)) ? [a, b] : undefined;
      },
      30_000,
      'terminal states',
    ).catch((e) => {
      console.log(worker.lines.join('\n'));
      throw e;
    });
    expect(done[0]).toMatchObject({ attempt: 1, error: 'target refused by test policy' });
    expect(String(done[0]?.status)).toMatch(/^JF#/);
    expect(String(done[1]?.status)).toMatch(/^JP#/);
    expect(done[1]?.attempt).toBe(2);
    expect(((done[1]?.history ?? []) as { status: string }[]).map((h) => h.status)).toEqual([
      'JQ',
      'JR',
      'JR',
      'JP',
    ]);
  });
});
