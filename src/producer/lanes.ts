/**
 * Lanes: which queue a tenant's new messages go to. A tenant's jobs go to the jobs queue while
 * it is within its burst budget, the excess to the bulk queue. The budget is a token bucket kept
 * as GCRA's one number, the tenant's theoretical arrival time (`tat`): a full bucket is a `tat`
 * at or before now, each job moves it one refill interval on, and the jobs that fit are those
 * that keep it within the burst tolerance of now. One conditional write per enqueue call shares
 * it between producer processes; a process that already knows the bucket holds too few tokens for
 * the call (`minimumTake`) writes nothing.
 */
import { coerceError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { TtlCache } from '../lib/ttl-cache.js';
import { ConditionFailedError, type TenantProfile, type TenantTable } from '../tenancy/index.js';

/** The two queues of new work. */
export const LANE = { jobs: 'jobs', bulk: 'bulk' } as const;
export type Lane = (typeof LANE)[keyof typeof LANE];

/** A tenant's token bucket: refill rate and size. */
export interface LaneBudget {
  readonly ratePerSecond: number;
  readonly burst: number;
}

/** Sort key of a tenant's bucket item (in its own partition, beside its profile). */
export const LANE_BUCKET_KEY = '#lane';

/** Rounding room: jobs that fit "exactly" still fit after float arithmetic. */
const EPSILON_MS = 1e-6;

/** What taking `count` tokens at `now` gives: how many fit, and the bucket's `tat` after them. */
export interface Take {
  readonly fits: number;
  readonly tat: number;
}

/**
 * Takes up to `count` tokens from a bucket whose theoretical arrival time is `tat` (epoch ms;
 * undefined: a new, full bucket). Pure. Tokens free at `now`: ⌊(now + τ − max(tat, now)) / T⌋ with
 * T = 1000 / rate and τ = burst × T; the first that many jobs fit, the rest do not, and only
 * those that fit move `tat` on.
 */
export function takeTokens(tat: number | undefined, now: number, count: number, budget: LaneBudget): Take {
  const interval = 1000 / budget.ratePerSecond;
  const base = Math.max(tat ?? now, now);
  const free = Math.floor((now + budget.burst * interval - base + EPSILON_MS) / interval);
  const fits = Math.max(0, Math.min(count, free));
  return { fits, tat: base + fits * interval };
}

/**
 * The fewest tokens a call of `count` messages writes the bucket for: all of them, or half a burst
 * for a call larger than that. A flood's calls then write the bucket once per half a burst of
 * refill instead of once per refill interval; a call that would move fewer jobs to the jobs lane
 * sends them all to bulk without a write (the estimate errs toward the bulk lane, never past the
 * budget). Pure.
 */
export function minimumTake(count: number, budget: LaneBudget): number {
  return Math.max(1, Math.min(count, Math.ceil(budget.burst / 2)));
}

/** The lane of each of `count` messages when the first `fits` are within the budget. Pure. */
export function lanesOf(count: number, fits: number): Lane[] {
  return Array.from({ length: count }, (_, i) => (i < fits ? LANE.jobs : LANE.bulk));
}

/** The budget of a tenant: its profile's, else the configured default. Pure. */
export function budgetOf(
  profile: Pick<TenantProfile, 'limits'> | undefined,
  fallback: LaneBudget,
): LaneBudget {
  return {
    ratePerSecond: profile?.limits.laneRatePerSecond ?? fallback.ratePerSecond,
    burst: profile?.limits.laneBurst ?? fallback.burst,
  };
}

export interface LaneChooserOptions {
  /** The default budget (config `lanes`). */
  readonly budget: LaneBudget;
  /** A tenant's profile (cached by the caller or here). */
  readonly profileOf: (table: TenantTable) => Promise<Pick<TenantProfile, 'limits'> | undefined>;
  /** How long a tenant's profile stays cached. */
  readonly profileTtlMs: number;
  readonly log: Logger;
  readonly now?: () => number;
  /** Conditional writes tried before giving up (all to bulk). Default 3. */
  readonly attempts?: number;
}

/** Chooses the lanes of a tenant's messages, one conditional write per call at most. */
export interface LaneChooser {
  /**
   * Lanes of `count` new messages of the table's tenant, in order: the first ones within the
   * budget to the jobs queue, the rest to the bulk queue. Never throws: when the bucket cannot be
   * read or written, every message goes to the bulk queue (the lane that never starves others).
   */
  choose(table: TenantTable, count: number): Promise<Lane[]>;
}

export function createLaneChooser(options: LaneChooserOptions): LaneChooser {
  const now = options.now ?? Date.now;
  const profiles = new TtlCache<Pick<TenantProfile, 'limits'> | undefined>(options.profileTtlMs);
  /** The last `tat` this process saw per tenant: never later than the stored one (it only grows). */
  const seen = new Map<string, number>();

  /** One conditional write of the bucket: the new `tat` if `expected` was still stored. */
  async function write(
    table: TenantTable,
    expected: number | undefined,
    at: number,
    take: Take,
    budget: LaneBudget,
  ) {
    // An expected `tat` at or before now stands for every such one: a full bucket is a full bucket.
    const condition =
      expected === undefined || expected <= at
        ? {
            expression: 'attribute_not_exists(#tat) OR #tat <= :now',
            names: { '#tat': 'tat' },
            values: { ':now': at },
          }
        : { expression: '#tat = :expected', names: { '#tat': 'tat' }, values: { ':expected': expected } };
    const idleAfterMs = (budget.burst * 1000) / budget.ratePerSecond;
    await table.put(
      { key: LANE_BUCKET_KEY, tat: take.tat, expiresAt: Math.ceil((take.tat + idleAfterMs) / 1000) + 3600 },
      { condition },
    );
  }

  async function choose(table: TenantTable, count: number): Promise<Lane[]> {
    if (count === 0) return [];
    const tenant = table.tenant;
    try {
      const profile = await profiles.get(tenant, () => options.profileOf(table));
      const budget = budgetOf(profile, options.budget);
      let expected = seen.get(tenant);
      for (let attempt = 1; attempt <= (options.attempts ?? 3); attempt++) {
        const at = now();
        const take = takeTokens(expected, at, count, budget);
        // Known (nearly) empty: the stored bucket is at least as spent as the one seen, so no more
        // than `fits` fit — fewer than are worth a write.
        if (take.fits < minimumTake(count, budget)) return lanesOf(count, 0);
        try {
          await write(table, expected, at, take, budget);
          seen.set(tenant, take.tat);
          return lanesOf(count, take.fits);
        } catch (error) {
          if (!(error instanceof ConditionFailedError)) throw error;
          // Another producer moved the bucket: retry from what it stored.
          const stored = error.stored?.tat;
          expected = typeof stored === 'number' ? stored : undefined;
          if (expected !== undefined) seen.set(tenant, expected);
        }
      }
      options.log.warn({ tenant }, 'lane budget contended: messages go to the bulk queue');
    } catch (error) {
      options.log.warn(
        { tenant, error: coerceError(error) },
        'lane budget unavailable: messages go to the bulk queue',
      );
    }
    return lanesOf(count, 0);
  }

  return { choose };
}
