/** A tenant's cap: a plan limit from its profile (hard), or the worker default (soft). */
export interface TenantCap {
  readonly limit: number;
  /** A hard cap is never exceeded; a soft one may borrow idle slots beyond the reserve. */
  readonly hard: boolean;
}

export interface TenantGateOptions {
  /** Slots of the worker. */
  readonly concurrency: number;
  /** Soft cap for tenants whose profile sets none. */
  readonly defaultCap: number;
  /** Profile limit of a tenant, if any. */
  readonly capOf: (tenant: string) => Promise<number | undefined>;
}

/**
 * A per-tenant in-flight cap inside one worker, so one tenant's flood cannot take every slot.
 * Work-conserving: a tenant over its soft cap may still use idle slots, except the last quarter,
 * which stays free for other tenants' messages (jobs lane only: in the bulk lane the lanes' receive
 * order does that, and only hard caps hold a message back). A profile limit is a plan limit and
 * is hard.
 */
export class TenantGate {
  readonly #inFlight = new Map<string, number>();
  #total = 0;
  readonly #options: TenantGateOptions;
  readonly #reserve: number;

  constructor(options: TenantGateOptions) {
    this.#options = options;
    this.#reserve = Math.max(1, Math.ceil(options.concurrency / 4));
  }

  async #cap(tenant: string): Promise<TenantCap> {
    const limit = await this.#options.capOf(tenant);
    return limit === undefined ? { limit: this.#options.defaultCap, hard: false } : { limit, hard: true };
  }

  /**
   * Takes a slot for the tenant; false when it must wait (the caller defers the message).
   * @param options.hardOnly only a hard (plan) cap applies: a bulk-lane message, whose lane already
   *   keeps it behind other tenants' jobs-lane work, is not held back by the soft cap. Default false.
   */
  async tryEnter(tenant: string, options: { hardOnly?: boolean } = {}): Promise<boolean> {
    const cap = await this.#cap(tenant);
    const current = this.#inFlight.get(tenant) ?? 0;
    const underCap = current < cap.limit;
    const canBorrow =
      !cap.hard && (options.hardOnly === true || this.#total < this.#options.concurrency - this.#reserve);
    if (!underCap && !canBorrow) return false;
    this.#inFlight.set(tenant, current + 1);
    this.#total++;
    return true;
  }

  leave(tenant: string): void {
    const current = this.#inFlight.get(tenant) ?? 0;
    if (current === 0) return;
    this.#total--;
    if (current === 1) this.#inFlight.delete(tenant);
    else this.#inFlight.set(tenant, current - 1);
  }

  inFlight(tenant: string): number {
    return this.#inFlight.get(tenant) ?? 0;
  }
}
