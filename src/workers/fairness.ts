/**
 * A per-tenant in-flight cap inside one worker, so one tenant's flood cannot take every slot.
 * The cap is the tenant profile's `limits.maxInFlight` when set, else the worker default.
 */
export class TenantGate {
  readonly #inFlight = new Map<string, number>();
  readonly #defaultCap: number;
  readonly #capOf: (tenant: string) => Promise<number | undefined>;

  constructor(options: { defaultCap: number; capOf: (tenant: string) => Promise<number | undefined> }) {
    this.#defaultCap = options.defaultCap;
    this.#capOf = options.capOf;
  }

  /** Takes a slot for the tenant; false when it is at its cap (the caller defers the message). */
  async tryEnter(tenant: string): Promise<boolean> {
    const cap = (await this.#capOf(tenant)) ?? this.#defaultCap;
    const current = this.#inFlight.get(tenant) ?? 0;
    if (current >= cap) return false;
    this.#inFlight.set(tenant, current + 1);
    return true;
  }

  leave(tenant: string): void {
    const current = this.#inFlight.get(tenant) ?? 0;
    if (current <= 1) this.#inFlight.delete(tenant);
    else this.#inFlight.set(tenant, current - 1);
  }

  inFlight(tenant: string): number {
    return this.#inFlight.get(tenant) ?? 0;
  }
}

/** Caches a per-tenant value for `ttlMs`; concurrent misses share one load; a failed load is not cached. */
export class TtlCache<V> {
  readonly #entries = new Map<string, { value: Promise<V>; expires: number }>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(ttlMs: number, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.#entries.get(key);
    if (hit && hit.expires > this.#now()) return hit.value;
    const value = load();
    this.#entries.set(key, { value, expires: this.#now() + this.#ttlMs });
    value.catch(() => this.#entries.delete(key));
    return value;
  }
}
