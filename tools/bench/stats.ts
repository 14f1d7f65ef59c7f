/** Pure arithmetic of the measurements: percentiles, throughput windows, job timelines. */

/** Percentiles and extremes of a sample, in the sample's unit. */
export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank percentile of an ascending sample (`p` in 0…100); 0 for an empty sample. */
export function percentile(ascending: readonly number[], p: number): number {
  if (ascending.length === 0) return 0;
  const rank = Math.ceil((p / 100) * ascending.length);
  return ascending[Math.min(ascending.length - 1, Math.max(0, rank - 1))] ?? 0;
}

/** p50/p95/p99/max/mean of a sample (unsorted is fine). */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? 0,
    mean: sorted.length > 0 ? sum / sorted.length : 0,
  };
}

/** Jobs per second over a run, two ways. */
export interface Throughput {
  /**
   * Over the middle 80 % of completions (10th to 90th percentile of finish times): excludes the
   * ramp-up while worker processes start and the tail while the last ones drain.
   */
  readonly steady: number;
  /** All jobs over first claim → last finish. */
  readonly overall: number;
  /** Seconds from first claim to last finish. */
  readonly seconds: number;
}

/** Throughput from per-job claim and finish times (epoch ms). */
export function throughput(claims: readonly number[], finishes: readonly number[]): Throughput {
  const done = [...finishes].sort((a, b) => a - b);
  const first = Math.min(...claims);
  const last = done.at(-1) ?? first;
  const seconds = Math.max(0.001, (last - first) / 1000);
  const lo = percentile(done, 10);
  const hi = percentile(done, 90);
  const middle = done.filter((t) => t > lo && t <= hi).length;
  const steady = hi > lo ? middle / ((hi - lo) / 1000) : done.length / seconds;
  return { steady, overall: done.length / seconds, seconds };
}

/** One transition of a job's `history`. */
export interface Transition {
  readonly status: string;
  readonly at: string;
}

/** What the benchmark needs from a stored job: when it was queued, first claimed and finished. */
export interface Timeline {
  readonly queuedAt: number;
  readonly claimedAt: number | undefined;
  readonly finishedAt: number | undefined;
  readonly terminal: 'JP' | 'JF' | undefined;
}

const TERMINAL = new Set(['JP', 'JF']);

/** Reads a job's `history` (as stored) into its timeline: last `JQ`, the first `JR` after it, the terminal. */
export function timelineOf(history: unknown): Timeline {
  const entries = (Array.isArray(history) ? history : []).filter(
    (h): h is Transition =>
      typeof h === 'object' &&
      h !== null &&
      typeof (h as Transition).status === 'string' &&
      typeof (h as Transition).at === 'string',
  );
  const queued = entries.findLast((h) => h.status === 'JQ');
  const queuedAt = queued ? Date.parse(queued.at) : Number.NaN;
  const claimed = entries.find((h) => h.status === 'JR' && Date.parse(h.at) >= queuedAt);
  const terminal = entries.findLast((h) => TERMINAL.has(h.status));
  return {
    queuedAt,
    claimedAt: claimed ? Date.parse(claimed.at) : undefined,
    finishedAt: terminal ? Date.parse(terminal.at) : undefined,
    terminal: terminal ? (terminal.status as 'JP' | 'JF') : undefined,
  };
}

/** Enqueue → first claim of every claimed job, in ms. */
export function dwellTimes(timelines: readonly Timeline[]): number[] {
  return timelines.flatMap((t) => (t.claimedAt === undefined ? [] : [t.claimedAt - t.queuedAt]));
}

/** `a / b`, or 0 when `b` is 0 (per-job figures of an empty run). */
export function per(a: number, b: number): number {
  return b > 0 ? a / b : 0;
}

/** Adds up `Service.Operation` counts from several processes. */
export function mergeCounts(...counts: readonly Readonly<Record<string, number>>[]): Record<string, number> {
  const merged = new Map<string, number>();
  for (const c of counts) for (const [k, v] of Object.entries(c)) merged.set(k, (merged.get(k) ?? 0) + v);
  return Object.fromEntries([...merged.entries()].sort(([a], [b]) => a.localeCompare(b)));
}
