/** Counters and samples of one worker process (for logs, `/metrics` and the benchmark). */
export class WorkerStats {
  readonly counts = {
    received: 0,
    claimed: 0,
    passed: 0,
    failed: 0,
    retried: 0,
    handedOff: 0,
    deferred: 0,
    rejected: 0,
    duplicates: 0,
    fenced: 0,
    released: 0,
    /** Messages of paused jobs parked (job control). */
    paused: 0,
  };
  /** Enqueue → claim, in ms, for jobs claimed by this process (bounded reservoir). */
  readonly dwellMs: number[] = [];
  readonly #maxSamples: number;

  constructor(maxSamples = 100_000) {
    this.#maxSamples = maxSamples;
  }

  count(name: keyof WorkerStats['counts']): void {
    this.counts[name]++;
  }

  dwell(ms: number): void {
    if (this.dwellMs.length < this.#maxSamples) this.dwellMs.push(ms);
  }
}
