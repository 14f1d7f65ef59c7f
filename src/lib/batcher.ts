/**
 * Gathers single requests into batches: a batch leaves when `max` are waiting or `lingerMs` after
 * the first one arrived. `send` answers each item of a batch, in order. Used to turn per-message
 * calls (SQS delete and deferral re-send, SNS publish) into their 10-entry batch forms across
 * concurrent jobs.
 */
export class MicroBatcher<T, R> {
  readonly #send: (items: T[]) => Promise<R[]>;
  readonly #max: number;
  readonly #lingerMs: number;
  #pending: { item: T; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(send: (items: T[]) => Promise<R[]>, options: { max?: number; lingerMs?: number } = {}) {
    this.#send = send;
    this.#max = options.max ?? 10;
    this.#lingerMs = options.lingerMs ?? 20;
  }

  /** Queues one item; resolves with its answer once its batch was sent. */
  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (this.#pending.length >= this.#max) this.#dispatch();
      else this.#timer ??= setTimeout(() => this.#dispatch(), this.#lingerMs);
    });
  }

  /** Sends whatever is waiting and waits for every batch in flight. */
  async flush(): Promise<void> {
    while (this.#pending.length > 0) this.#dispatch();
    await Promise.all([...this.#inFlight]);
  }

  #dispatch(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending.splice(0, this.#max);
    if (this.#pending.length > 0) this.#timer = setTimeout(() => this.#dispatch(), this.#lingerMs);
    if (batch.length === 0) return;
    const done = this.#send(batch.map((p) => p.item)).then(
      (results) => {
        batch.forEach((p, i) => {
          p.resolve(results[i] as R);
        });
      },
      (error: unknown) => {
        for (const p of batch) p.reject(error);
      },
    );
    const tracked = done.finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
  }
}
