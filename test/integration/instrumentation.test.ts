import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { createProducer } from '../../src/producer/index.js';
import { readCallStats } from '../../tools/instrument/call-stats.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { serviceContext, stackEnv, tableOf } from '../helpers/stack-extras.js';
import { eventually, WorkerProcess } from '../helpers/worker-process.js';

describe('Instrumentation: call statistics and fault injection plug in from tools/, never from the environment of scanq', () => {
  let stack: TestStack;
  const dir = mkdtempSync(join(tmpdir(), 'scanq-stats-'));

  // A stack per test: a stopped worker's aborted long poll can hold the next test's message for a
  // visibility timeout (moto delivers to a receive whose client has gone).
  beforeEach(async () => {
    stack = await createTestStack('cstats');
  });
  afterEach(async () => {
    await destroyTestStack(stack);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the calls, capacity, CPU, memory and job counts of a real worker, finally on exit', async () => {
    // Prepare
    const file = join(dir, 'worker.json');
    const producer = await createProducer(stack.config, {
      clients: stack.clients,
      log: createLogger({ level: 'silent' }),
    });
    const [job] = await producer.enqueue(serviceContext('stats'), [{ capability: 'noop', target: 'one' }]);
    producer.close();
    const worker = new WorkerProcess(
      stackEnv(stack, { SCANQ_CALL_STATS: file, LOG_LEVEL: 'info' }),
      [],
      undefined,
      {
        bin: 'instrumented',
      },
    );

    // Act: the job runs, then SIGTERM drains the worker.
    await eventually(async () => {
      const item = await tableOf(stack, serviceContext('stats')).get(String(job?.key));
      return String(item?.status).startsWith('JP#') ? item : undefined;
    });
    await eventually(async () => ((readCallStats(file)?.extra.jobs?.passed ?? 0) >= 1 ? true : undefined));
    worker.kill('SIGTERM');
    await worker.exited;

    // Assess: one claim and one finish, the result PUT, the notification; capacity as the endpoint reports it.
    const stats = readCallStats(file);
    expect(stats?.final).toBe(true);
    expect(stats?.command).toBe('worker');
    expect(stats?.calls['DynamoDB.UpdateItem']).toBe(2);
    expect(stats?.calls['S3.PutObject']).toBe(1);
    expect(stats?.calls['DynamoDB.PutItem']).toBeUndefined(); // the execution record rides on the finish
    expect(stats?.calls['SNS.PublishBatch']).toBe(1);
    // One query: the tenant's pause items (cached). None for the risks an earlier run reported:
    // noop declares no findings.
    expect(stats?.calls['DynamoDB.Query']).toBe(1);
    expect(stats?.capacity.UpdateItem).toBeGreaterThan(0);
    expect(stats?.faults).toEqual({});
    expect(stats?.extra.jobs).toMatchObject({ claimed: 1, passed: 1 });
    expect(stats?.cpuMs.user).toBeGreaterThan(0);
    expect(stats?.maxRssKb).toBeGreaterThan(0);
  }, 60_000);

  it('a production scanq worker ignores SCANQ_FAULT_RATE and SCANQ_CALL_STATS: no fault, no stats file', async () => {
    // Prepare: the variables that make the instrumented entry point fail every call and count them.
    const file = join(dir, 'production.json');
    const producer = await createProducer(stack.config, {
      clients: stack.clients,
      log: createLogger({ level: 'silent' }),
    });
    const [job] = await producer.enqueue(serviceContext('prod'), [{ capability: 'noop', target: 'two' }]);
    producer.close();
    const worker = new WorkerProcess(
      stackEnv(stack, { SCANQ_FAULT_RATE: '1', SCANQ_CALL_STATS: file, LOG_LEVEL: 'info' }),
    );

    // Act
    const done = await eventually(async () => {
      const item = await tableOf(stack, serviceContext('prod')).get(String(job?.key));
      return String(item?.status).startsWith('JP#') ? item : undefined;
    });
    worker.kill('SIGTERM');
    await worker.exited;

    // Assess: the job passed with every AWS call succeeding; nothing was counted or announced.
    expect(done.attempt).toBe(1);
    expect(existsSync(file)).toBe(false);
    expect(worker.lines.some((line) => line.includes('fault injection'))).toBe(false);
  }, 60_000);

  it('the instrumented entry point does inject them (so the test above could fail)', async () => {
    // Prepare: every SNS publish fails; nothing else does.
    const file = join(dir, 'faulty.json');
    const producer = await createProducer(stack.config, {
      clients: stack.clients,
      log: createLogger({ level: 'silent' }),
    });
    const [job] = await producer.enqueue(serviceContext('faulty'), [{ capability: 'noop', target: 'three' }]);
    producer.close();
    const env = { SCANQ_FAULT_RATE: '1', SCANQ_FAULT_MATCH: '^SNS\\.PublishBatch$', SCANQ_CALL_STATS: file };
    const worker = new WorkerProcess(stackEnv(stack, { ...env, LOG_LEVEL: 'info' }), [], undefined, {
      bin: 'instrumented',
    });

    // Act
    const faults = await eventually(async () => readCallStats(file)?.faults['SNS.PublishBatch']);
    worker.kill('SIGTERM');
    await worker.exited;

    // Assess
    expect(faults).toBeGreaterThan(0);
    expect(worker.lines.some((line) => line.includes('fault injection is on'))).toBe(true);
    expect(job?.accepted).toBe(true);
  }, 60_000);
});
