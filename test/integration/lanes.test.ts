import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { createLaneChooser, LANE, LANE_BUCKET_KEY } from '../../src/producer/index.js';
import { getProfile } from '../../src/tenancy/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { serviceContext, tableOf } from '../helpers/stack-extras.js';

const log = createLogger({ level: 'silent' });

describe('Function: createLaneChooser (the tenant bucket on the table)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await createTestStack('lanes');
  }, 120_000);

  afterAll(async () => {
    if (stack) await destroyTestStack(stack);
  }, 120_000);

  it('shares one bucket between producer processes: together they send one burst to the jobs lane', async () => {
    // Prepare: two choosers (two processes' worth of caches), a clock that stands still.
    const at = Date.parse('2026-12-03T20:00:00Z');
    const chooser = () =>
      createLaneChooser({
        budget: { ratePerSecond: 1, burst: 30 },
        profileOf: getProfile,
        profileTtlMs: 60_000,
        log,
        now: () => at,
      });
    const [a, b] = [chooser(), chooser()];
    const table = tableOf(stack, serviceContext('bucket-shared'));

    // Act: four calls of 10 at once, alternating processes, then one more call each.
    const first = await Promise.all([a, b, a, b].map((c) => c.choose(table, 10)));
    const later = [await a.choose(table, 5), await b.choose(table, 5)];

    // Assess: exactly the burst (30) went to the jobs lane, in each call's first places; the
    // bucket item holds the spent budget; then nothing fits until it refills.
    const jobs = first.flat().filter((lane) => lane === LANE.jobs).length;
    expect(jobs).toBe(30);
    for (const lanes of first)
      expect(lanes).toEqual([...lanes].sort((x, y) => (x === y ? 0 : x === LANE.jobs ? -1 : 1)));
    expect(later.flat().every((lane) => lane === LANE.bulk)).toBe(true);
    const stored = await table.get(LANE_BUCKET_KEY, { consistent: true });
    expect(stored?.tat).toBe(at + 30_000);
  });

  it('gives another tenant its own full bucket', async () => {
    // Prepare
    const chooser = createLaneChooser({
      budget: { ratePerSecond: 1, burst: 3 },
      profileOf: getProfile,
      profileTtlMs: 60_000,
      log,
    });

    // Act
    const noisy = await chooser.choose(tableOf(stack, serviceContext('bucket-noisy')), 10);
    const quiet = await chooser.choose(tableOf(stack, serviceContext('bucket-quiet')), 2);

    // Assess
    expect(noisy.filter((lane) => lane === LANE.jobs)).toHaveLength(3);
    expect(quiet).toEqual([LANE.jobs, LANE.jobs]);
  });

  it('writes the bucket for a large call only when half a burst fits: fewer go to bulk unwritten, a single job still gets its token', async () => {
    // Prepare: burst 20 at 10/s, emptied at t; 0.5 s later 5 tokens have refilled (fewer than 10).
    let at = Date.parse('2026-12-03T21:00:00Z');
    const chooser = createLaneChooser({
      budget: { ratePerSecond: 10, burst: 20 },
      profileOf: getProfile,
      profileTtlMs: 60_000,
      log,
      now: () => at,
    });
    const table = tableOf(stack, serviceContext('bucket-flood'));
    await chooser.choose(table, 20);
    const emptied = (await table.get(LANE_BUCKET_KEY, { consistent: true }))?.tat;
    at += 500;

    // Act: a call of 25 (5 would fit: fewer than half a burst), then a call of 1.
    const flood = await chooser.choose(table, 25);
    const afterFlood = (await table.get(LANE_BUCKET_KEY, { consistent: true }))?.tat;
    const single = await chooser.choose(table, 1);
    const afterSingle = (await table.get(LANE_BUCKET_KEY, { consistent: true }))?.tat;

    // Assess: the large call went to bulk and left the bucket as it was; the single job took one token.
    expect(flood.every((lane) => lane === LANE.bulk)).toBe(true);
    expect(afterFlood).toBe(emptied);
    expect(single).toEqual([LANE.jobs]);
    expect(afterSingle).toBe(Number(emptied) + 100);
  });
});
