import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCapabilities, jobListQuery } from '../../src/jobs/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { createProducer, type Producer } from '../../src/producer/index.js';
import { ownContext, TenantTable } from '../../src/tenancy/index.js';
import { createWorker } from '../../src/workers/worker.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { executionsOf } from '../helpers/stack-extras.js';

describe('Function: createWorker (in process)', () => {
  let stack: TestStack;
  let producer: Producer;
  const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });

  beforeAll(async () => {
    stack = await createTestStack('wsmoke');
    producer = await createProducer(stack.config, { clients: stack.clients, log });
  });
  afterAll(async () => {
    producer.close();
    await destroyTestStack(stack);
  });

  it('runs noop jobs to JP with a result object and an execution item', async () => {
    const ctx = ownContext({ tenant: 'smoke', user: 'u', roles: ['service'] });
    const results = await producer.enqueue(
      ctx,
      Array.from({ length: 20 }, (_, i) => ({ capability: 'noop', target: `n${i}` })),
    );
    expect(results.every((r) => r.accepted)).toBe(true);
    const worker = createWorker(stack.config, {
      clients: stack.clients,
      resources: stack.report,
      registry: builtinCapabilities(),
      log,
      waitTimeSeconds: 1,
      moveToDlq: async () => {},
    });
    worker.start();
    const table = new TenantTable({ doc: stack.clients.doc, tableName: stack.config.resources.table }, ctx);
    const deadline = Date.now() + 30_000;
    let done = 0;
    while (Date.now() < deadline) {
      const page = await table.query({ ...jobListQuery({ status: 'JP' }), consistent: true });
      done = page.items.length;
      if (done === 20) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await worker.stop();
    expect(done).toBe(20);
    const passed = await table.query({ prefix: '#job#' });
    const records = passed.items.flatMap((item) => executionsOf(item));
    expect(records).toHaveLength(20);
    for (const record of records)
      expect(record).toMatchObject({ status: 'JP', attempt: 1, worker: expect.any(String) });
    expect((await table.query({ prefix: '#execution#' })).items).toHaveLength(0);
    expect(worker.stats.counts.passed).toBe(20);
  });
});
