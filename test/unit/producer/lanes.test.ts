import { describe, expect, it } from 'vitest';
import { budgetOf, LANE, lanesOf, minimumTake, takeTokens } from '../../../src/producer/index.js';

const budget = { ratePerSecond: 10, burst: 20 };
const T0 = 1_000_000;

describe('Function: takeTokens', () => {
  it('gives a new bucket its whole burst, and the rest of a larger call nothing', () => {
    // Act
    const take = takeTokens(undefined, T0, 25, budget);

    // Assess: 20 fit; the bucket is then one burst (20 × 100 ms) ahead of now.
    expect(take.fits).toBe(20);
    expect(take.tat).toBe(T0 + 2_000);
  });

  it('treats a bucket idle for long as full, never fuller', () => {
    // Prepare: its last job was an hour ago.
    const tat = T0 - 3_600_000;

    // Act
    const take = takeTokens(tat, T0, 1_000, budget);

    // Assess
    expect(take.fits).toBe(20);
  });

  it('refills at the rate: an empty bucket has one token per interval after', () => {
    // Prepare: emptied at T0.
    const empty = takeTokens(undefined, T0, 20, budget).tat;

    // Act
    const now = takeTokens(empty, T0, 5, budget);
    const later = takeTokens(empty, T0 + 350, 5, budget);
    const muchLater = takeTokens(empty, T0 + 60_000, 50, budget);

    // Assess: nothing at once, 3 after 350 ms at 10/s, a whole burst after a minute.
    expect(now).toEqual({ fits: 0, tat: empty });
    expect(later.fits).toBe(3);
    expect(later.tat).toBe(empty + 300);
    expect(muchLater.fits).toBe(20);
  });

  it('lets a steady sender at the rate through forever, and one at twice the rate only half', () => {
    // Prepare
    let steady: number | undefined;
    let fast: number | undefined;
    let steadyFits = 0;
    let fastFits = 0;

    // Act: 100 s of one job per 100 ms, and of two.
    for (let i = 1; i <= 1_000; i++) {
      const at = T0 + i * 100;
      const s = takeTokens(steady, at, 1, budget);
      steady = s.tat;
      steadyFits += s.fits;
      const f = takeTokens(fast, at, 2, budget);
      fast = f.tat;
      fastFits += f.fits;
    }

    // Assess: the fast one gets its burst plus the rate over the 99.9 s after its first call, no more.
    expect(steadyFits).toBe(1_000);
    expect(fastFits).toBe(20 + 999);
  });

  it('never charges the jobs that do not fit', () => {
    // Act: a flood of 10,000 in one call.
    const take = takeTokens(undefined, T0, 10_000, budget);

    // Assess: 2 s later the bucket holds 20 again, as if only the burst had been sent.
    expect(takeTokens(take.tat, T0 + 2_000, 100, budget).fits).toBe(20);
  });
});

describe('Function: minimumTake', () => {
  it.each([
    [1, 20, 1],
    [5, 20, 5],
    [10, 20, 10],
    [11, 20, 10],
    [10_000, 20, 10],
    [25, 41, 21],
    [3, 1, 1],
  ])('a call of %i with a burst of %i writes for at least %i tokens', (count, burst, least) => {
    expect(minimumTake(count, { ratePerSecond: 10, burst })).toBe(least);
  });
});

describe('Function: lanesOf', () => {
  it('sends the first ones that fit to the jobs lane, in order, the rest to bulk', () => {
    expect(lanesOf(4, 2)).toEqual([LANE.jobs, LANE.jobs, LANE.bulk, LANE.bulk]);
    expect(lanesOf(2, 0)).toEqual([LANE.bulk, LANE.bulk]);
    expect(lanesOf(0, 3)).toEqual([]);
  });
});

describe('Function: budgetOf', () => {
  it('takes the profile’s rate and burst where set, the default elsewhere', () => {
    // Prepare
    const limits = { maxInFlight: 10, ratePerSecond: 50 };

    // Act / Assess
    expect(budgetOf(undefined, budget)).toEqual(budget);
    expect(budgetOf({ limits }, budget)).toEqual(budget);
    expect(budgetOf({ limits: { ...limits, laneBurst: 500 } }, budget)).toEqual({
      ratePerSecond: 10,
      burst: 500,
    });
    expect(budgetOf({ limits: { ...limits, laneRatePerSecond: 2, laneBurst: 3 } }, budget)).toEqual({
      ratePerSecond: 2,
      burst: 3,
    });
  });
});
