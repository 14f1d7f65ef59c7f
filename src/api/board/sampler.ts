import { coerceError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { type Snapshot, summarize } from './figures.js';
import { type PromSample, parsePrometheusText } from './prometheus.js';

/** How long the overview keeps its snapshots: the charts show the last hour. */
export const HISTORY_MS = 3_600_000;
/** Fewest milliseconds between two reads of the sources, however many people watch. */
export const MIN_GAP_MS = 5_000;
/** How long one `/metrics` URL may take to answer. */
const SCRAPE_TIMEOUT_MS = 2_000;

export interface SamplerDeps {
  /** The API process's own Prometheus text (its producer counts enqueues); undefined when off. */
  readonly ownText: (() => Promise<string>) | undefined;
  /** The workers' `/metrics` URLs (SCANQ_BOARD_METRICS_URLS). */
  readonly urls: readonly string[];
  readonly log: Logger;
  /** Fetch. Default the global one. */
  readonly fetch?: typeof fetch;
}

/** A read of every source: what each URL answered, and the snapshots of the last hour. */
export interface SamplerView {
  readonly snapshots: readonly Snapshot[];
  readonly targets: readonly { readonly url: string; readonly up: boolean }[];
}

/**
 * Reads the metrics sources when asked (the overview polls), at most every {@link MIN_GAP_MS}, and
 * keeps an hour of snapshots in memory. No timer: the API does no work for a board nobody opens,
 * and the charts cover the time the board was watched (Prometheus keeps the long history).
 */
export class MetricsSampler {
  readonly #deps: SamplerDeps;
  #snapshots: Snapshot[] = [];
  #targets: { url: string; up: boolean }[] = [];
  #pending: Promise<void> | undefined;

  constructor(deps: SamplerDeps) {
    this.#deps = deps;
  }

  async #scrape(url: string): Promise<PromSample[] | undefined> {
    try {
      const response = await (this.#deps.fetch ?? fetch)(url, {
        signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS),
      });
      if (!response.ok) return undefined;
      return parsePrometheusText(await response.text());
    } catch (error) {
      this.#deps.log.debug({ error: coerceError(error) }, 'board: a metrics URL did not answer');
      return undefined;
    }
  }

  async #read(now: number): Promise<void> {
    const [own, ...remote] = await Promise.all([
      this.#deps.ownText ? this.#deps.ownText().then(parsePrometheusText, () => []) : Promise.resolve([]),
      ...this.#deps.urls.map((url) => this.#scrape(url)),
    ]);
    this.#targets = this.#deps.urls.map((url, i) => ({ url, up: remote[i] !== undefined }));
    const samples = [...own, ...remote.flatMap((s) => s ?? [])];
    this.#snapshots = [...this.#snapshots.filter((s) => s.at > now - HISTORY_MS), summarize(now, samples)];
  }

  /** The snapshots, after a fresh read when the last is older than {@link MIN_GAP_MS}. */
  async view(now: number): Promise<SamplerView> {
    const last = this.#snapshots.at(-1);
    if (!last || now - last.at >= MIN_GAP_MS) {
      // Concurrent callers share one read.
      this.#pending ??= this.#read(now).finally(() => {
        this.#pending = undefined;
      });
      await this.#pending;
    }
    return { snapshots: this.#snapshots, targets: this.#targets };
  }
}
