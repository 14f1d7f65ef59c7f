/** The label value of every tenant outside the busiest N. */
export const OTHER_TENANT = 'other';

/** How long one ranking window lasts before the busiest tenants are chosen again. */
export const TENANT_WINDOW_MS = 10 * 60_000;

/**
 * The cardinality guard of the per-tenant label: at most `limit` tenants have their own label
 * value; every other tenant is `other`. A free slot goes at once to the next tenant seen, so a
 * deployment with at most N tenants never sees `other`. Slots are held for a window
 * (`TENANT_WINDOW_MS`) and then given to the busiest N tenants of the window that ended, so a
 * tenant's series stay stable (its counters keep counting) while it stays among the busiest, and a
 * quiet tenant's slot goes to a busy one within a window. Pure bookkeeping: no clock of its own.
 */
export class TenantLabels {
  readonly #limit: number;
  readonly #windowMs: number;
  #labelled = new Set<string>();
  /** Events per tenant in the current window, bounded (the map is cleared with the window). */
  #counts = new Map<string, number>();
  #windowStart: number | undefined;

  /**
   * @param limit how many tenants get their own label (SCANQ_METRICS_TENANTS); 0 = all are `other`.
   * @param windowMs ranking window. Default {@link TENANT_WINDOW_MS}.
   */
  constructor(limit: number, windowMs = TENANT_WINDOW_MS) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** The label value for `tenant` at `nowMs`, counting one event of it. */
  label(tenant: string, nowMs: number = Date.now()): string {
    if (this.#limit === 0) return OTHER_TENANT;
    this.#roll(nowMs);
    // The counts map is bounded: beyond 8N distinct tenants in one window, new ones are not ranked.
    const seen = this.#counts.get(tenant);
    if (seen !== undefined) this.#counts.set(tenant, seen + 1);
    else if (this.#counts.size < this.#limit * 8) this.#counts.set(tenant, 1);
    if (this.#labelled.has(tenant)) return tenant;
    if (this.#labelled.size < this.#limit) {
      this.#labelled.add(tenant);
      return tenant;
    }
    return OTHER_TENANT;
  }

  /** The tenants that currently have their own label. */
  labelled(): readonly string[] {
    return [...this.#labelled];
  }

  #roll(nowMs: number): void {
    if (this.#windowStart === undefined) {
      this.#windowStart = nowMs;
      return;
    }
    if (nowMs - this.#windowStart < this.#windowMs) return;
    const busiest = [...this.#counts.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, this.#limit)
      .map(([tenant]) => tenant);
    this.#labelled = new Set(busiest);
    this.#counts = new Map();
    this.#windowStart = nowMs;
  }
}
