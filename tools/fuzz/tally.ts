import { type FuzzFailure, type FuzzTarget, MAX_FAILURES, type TargetReport } from './types.js';

/** Counts of one target while it runs; `report()` turns them into its {@link TargetReport}. */
export class TargetTally {
  readonly outcomes: Record<string, number> = {};
  readonly failures: FuzzFailure[] = [];
  crashes = 0;
  serverErrors = 0;
  partialWrites = 0;
  unaccounted = 0;
  ran = 0;
  readonly #started = Date.now();

  constructor(readonly target: FuzzTarget) {}

  outcome(name: string, n = 1): void {
    this.outcomes[name] = (this.outcomes[name] ?? 0) + n;
  }

  /** Keeps the first {@link MAX_FAILURES} failures (all are counted by the caller). */
  fail(failure: FuzzFailure): void {
    if (this.failures.length < MAX_FAILURES) this.failures.push(failure);
  }

  report(fields: {
    readonly cases: number;
    readonly digest: string;
    readonly kinds: Readonly<Record<string, number>>;
    readonly accounting: string;
    readonly errorLogs: number;
    readonly errorExamples: readonly string[];
    readonly caseList: readonly string[];
  }): TargetReport {
    return {
      target: this.target,
      ran: this.ran,
      seconds: (Date.now() - this.#started) / 1000,
      outcomes: this.outcomes,
      crashes: this.crashes,
      serverErrors: this.serverErrors,
      partialWrites: this.partialWrites,
      unaccounted: this.unaccounted + (fields.cases - this.ran),
      failures: this.failures,
      ...fields,
    };
  }
}

/** `[0, n)` in chunks of `size`, as [start, end) pairs. */
export function batches(n: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let start = 0; start < n; start += size) out.push([start, Math.min(n, start + size)]);
  return out;
}
