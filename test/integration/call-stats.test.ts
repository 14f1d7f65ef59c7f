import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { createProducer } from '../../src/producer/index.js';
import { readCallStats } from '../../tools/instrument/call-stats.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { serviceContext, stackEnv, tableOf } from '../helpers/stack-extras.js';
import { eventually, WorkerProcess } from '../helpers/worker-process.js';

describe('Command: scanq worker — SCANQ_CALL_STATS (the benchmark’s measuring switch)', () => {
  let stack: TestStack;
  const dir = mkdtempSync(join(tmpdir(), 'scanq-stats-'));

  beforeAll(async () => {
    stack = await createTestStack('cstats');
  });
  afterAll(async () => {
    await destroyTestStack(stack);
    rmSync(dir, { recursive: true, force: true });
  });

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
        instrumented: true,
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
    expect(stats?.calls['SNS.Publish']).toBe(1);
    expect(stats?.capacity.UpdateItem).toBeGreaterThan(0);
    expect(stats?.faults).toEqual({});
    expect(stats?.extra.jobs).toMatchObject({ claimed: 1, passed: 1 });
    expect(stats?.cpuMs.user).toBeGreaterThan(0);
    expect(stats?.maxRssKb).toBeGreaterThan(0);
  }, 60_000);
});
