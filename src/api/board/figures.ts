import type { PromSample } from './prometheus.js';

/** Per-tenant counters, summed over capabilities, statuses and processes. */
export interface TenantCounters {
  readonly enqueued: number;
  readonly started: number;
  readonly passed: number;
  readonly failed: number;
  readonly deferrals: number;
  readonly deadLetters: number;
}

/** What one read of every metrics source found. */
export interface Snapshot {
  /** Epoch milliseconds. */
  readonly at: number;
  readonly tenants: Readonly<Record<string, TenantCounters>>;
  /** Cumulative dwell histogram buckets (`le` → count) per tenant, summed over capabilities and processes. */
  readonly dwell: Readonly<Record<string, Buckets>>;
  readonly inFlight: number;
}

/** One point of the throughput and dwell charts: the interval that ended at `at`. */
export interface ChartPoint {
  readonly at: string;
  /** Jobs finished (passed + failed) per second. */
  readonly jobsPerSecond: number;
  /** Dwell (enqueue → start) quantiles of the jobs started in the interval, in seconds; absent when none started. */
  readonly dwellP50?: number;
  readonly dwellP95?: number;
}

type Buckets = readonly (readonly [number, number])[];

const EMPTY: TenantCounters = { enqueued: 0, started: 0, passed: 0, failed: 0, deferrals: 0, deadLetters: 0 };

type Field = keyof TenantCounters;

/** Which counter of a tenant a sample adds to, if any. */
function fieldOf(sample: PromSample): Field | undefined {
  switch (sample.name) {
    case 'scanq_jobs_enqueued_total':
      return sample.labels.result === 'accepted' ? 'enqueued' : undefined;
    case 'scanq_jobs_started_total':
      return 'started';
    case 'scanq_jobs_finished_total':
      return sample.labels.status === 'passed'
        ? 'passed'
        : sample.labels.status === 'failed'
          ? 'failed'
          : undefined;
    case 'scanq_job_deferrals_total':
      return 'deferrals';
    case 'scanq_dead_letters_total':
      return 'deadLetters';
    default:
      return undefined;
  }
}

/** Sums the samples of every source into one snapshot. Pure. */
export function summarize(at: number, samples: readonly PromSample[]): Snapshot {
  const tenants: Record<string, Record<Field, number>> = {};
  const buckets = new Map<string, Map<number, number>>();
  let inFlight = 0;
  for (const sample of samples) {
    if (!Number.isFinite(sample.value) && sample.name !== 'scanq_job_dwell_seconds_bucket') continue;
    const field = fieldOf(sample);
    if (field) {
      const tenant = sample.labels.tenant ?? 'unknown';
      tenants[tenant] ??= { ...EMPTY };
      tenants[tenant][field] += sample.value;
    } else if (sample.name === 'scanq_job_dwell_seconds_bucket') {
      const le = sample.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(sample.labels.le);
      const tenant = sample.labels.tenant ?? 'unknown';
      const own = buckets.get(tenant) ?? new Map<number, number>();
      buckets.set(tenant, own);
      if (!Number.isNaN(le)) own.set(le, (own.get(le) ?? 0) + sample.value);
    } else if (sample.name === 'scanq_worker_jobs_in_flight') {
      inFlight += sample.value;
    }
  }
  return {
    at,
    tenants,
    dwell: Object.fromEntries(
      [...buckets.entries()].map(([tenant, own]) => [tenant, [...own.entries()].sort((a, b) => a[0] - b[0])]),
    ),
    inFlight,
  };
}

/** A counter's increase between two reads; a decrease means the process restarted (counted from 0). */
function increase(before: number, after: number): number {
  return after >= before ? after - before : after;
}

/**
 * The `q` quantile (0..1) of a cumulative histogram, interpolated inside its bucket as Prometheus's
 * `histogram_quantile` does; undefined when it is empty. Pure.
 */
export function quantile(q: number, buckets: readonly (readonly [number, number])[]): number | undefined {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Number.POSITIVE_INFINITY) return lower;
      const inBucket = count - below;
      return inBucket <= 0 ? le : lower + ((le - lower) * (rank - below)) / inBucket;
    }
    lower = le;
    below = count;
  }
  return lower;
}

/** The dwell buckets' increase between two snapshots, summed over `tenants`. */
function dwellIncrease(a: Snapshot, b: Snapshot, tenants: readonly string[]): [number, number][] {
  const sum = new Map<number, number>();
  for (const tenant of tenants) {
    const old = new Map(a.dwell[tenant] ?? []);
    for (const [le, count] of b.dwell[tenant] ?? []) {
      sum.set(le, (sum.get(le) ?? 0) + increase(old.get(le) ?? 0, count));
    }
  }
  return [...sum.entries()].sort((x, y) => x[0] - y[0]);
}

/**
 * The chart points between consecutive snapshots (oldest first), of every tenant or of `tenant`
 * only. Pure.
 */
export function chartPoints(snapshots: readonly Snapshot[], tenant?: string): ChartPoint[] {
  const points: ChartPoint[] = [];
  for (let i = 1; i < snapshots.length; i++) {
    const a = snapshots[i - 1];
    const b = snapshots[i];
    if (!a || !b || b.at <= a.at) continue;
    const tenants = tenant === undefined ? Object.keys({ ...b.tenants, ...b.dwell }) : [tenant];
    let finished = 0;
    for (const name of tenants) {
      const old = a.tenants[name] ?? EMPTY;
      const now = b.tenants[name] ?? EMPTY;
      finished += increase(old.passed, now.passed) + increase(old.failed, now.failed);
    }
    const dwell = dwellIncrease(a, b, tenants);
    const p50 = quantile(0.5, dwell);
    const p95 = quantile(0.95, dwell);
    points.push({
      at: new Date(b.at).toISOString(),
      jobsPerSecond: finished / ((b.at - a.at) / 1000),
      ...(p50 === undefined ? {} : { dwellP50: p50 }),
      ...(p95 === undefined ? {} : { dwellP95: p95 }),
    });
  }
  return points;
}

/** Each tenant's counters over the snapshots' span (restarts counted from 0). Pure. */
export function windowCounters(snapshots: readonly Snapshot[]): Record<string, TenantCounters> {
  const out: Record<string, Record<Field, number>> = {};
  const fields = Object.keys(EMPTY) as Field[];
  for (let i = 1; i < snapshots.length; i++) {
    const a = snapshots[i - 1];
    const b = snapshots[i];
    if (!a || !b) continue;
    for (const [tenant, counters] of Object.entries(b.tenants)) {
      const old = a.tenants[tenant] ?? EMPTY;
      out[tenant] ??= { ...EMPTY };
      for (const field of fields) out[tenant][field] += increase(old[field], counters[field]);
    }
  }
  return out;
}
