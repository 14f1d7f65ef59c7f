/**
 * Caches a value per key (a tenant's profile, its shard count) for `ttlMs` counted from when its load succeeded; concurrent misses
 * share one load; a failed load is not cached (and never evicts a newer entry).
 */
export class TtlCache<V> {
  readonly #entries = new Map<string, { value: Promise<V>; expires: number }>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(ttlMs: number, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /**
   * The value of `key`, loaded when absent or expired.
   * @param ttlOf how long this loaded value stays, ms, when it has its own lifetime (credentials
   *   that expire); capped at the cache's `ttlMs`. Default: `ttlMs`.
   */
  get(key: string, load: () => Promise<V>, ttlOf?: (value: V) => number): Promise<V> {
    const hit = this.#entries.get(key);
    if (hit && hit.expires > this.#now()) return hit.value;
    const entry = { value: load(), expires: Number.POSITIVE_INFINITY };
    this.#entries.set(key, entry);
    entry.value.then(
      (value) => {
        entry.expires = this.#now() + Math.min(this.#ttlMs, ttlOf ? Math.max(0, ttlOf(value)) : this.#ttlMs);
      },
      () => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      },
    );
    return entry.value;
  }

  /** Drops `key`, so the next `get` loads it again. */
  delete(key: string): void {
    this.#entries.delete(key);
  }
}
