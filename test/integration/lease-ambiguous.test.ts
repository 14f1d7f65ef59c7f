import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { createProducer, type EnqueueAccepted, type Producer } from '../../src/producer/index.js';
import { claim, finish } from '../../src/workers/lease.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { serviceContext, tableOf } from '../helpers/stack-extras.js';

/**
 * An ambiguous failure: the write took effect, its response was lost, and the SDK's retry failed
 * the condition against that very write. The lease operations must recognise their own write.
 */
describe('Function: claim / finish — a retry of a write that already took effect', () => {
  let stack: TestStack;
  let producer: Producer;

  beforeAll(async () => {
    stack = await createTestStack('ambig');
    producer = await createProducer(stack.config, {
      clients: stack.clients,
      log: createLogger({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    producer.close();
    await destroyTestStack(stack);
  });

  it('treats a repeated claim and a repeated finish by the same owner as won, and another owner as fenced', async () => {
    const ctx = serviceContext('ambig');
    const [job] = (await producer.enqueue(ctx, [{ capability: 'noop', target: 'a1' }])) as EnqueueAccepted[];
    const table = tableOf(stack, ctx);
    const key = String(job?.key);
    const clock = { now: new Date() };
    const options = { ...clock, owner: 'w1:token', capability: 'noop', leaseMs: 60_000 };

    const first = await claim(table, key, options);
    const again = await claim(table, key, options);
    const other = await claim(table, key, { ...options, owner: 'w2:token' });
    expect(first.claimed && again.claimed && again.lease.attempt === first.lease.attempt).toBe(true);
    expect(other.claimed).toBe(false);
    if (!first.claimed) return;

    const execution = { worker: 'w1', startedAt: clock.now.toISOString() };
    const done = { ...clock, code: 'JP' as const, resultKey: 'r', execution };
    expect(await finish(table, first.lease, done)).toBe(true);
    expect(await finish(table, first.lease, done)).toBe(true);
    expect(await finish(table, { ...first.lease, owner: 'w2:token' }, done)).toBe(false);
    expect(await finish(table, first.lease, { ...done, code: 'JF' })).toBe(false);
    const stored = await table.get(key, { consistent: true });
    expect(((stored?.history ?? []) as { status: string }[]).map((h) => h.status)).toEqual([
      'JQ',
      'JR',
      'JP',
    ]);
  });
});
