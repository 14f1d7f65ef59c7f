import { setTimeout as sleep } from 'node:timers/promises';
import { coerceError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { LANE, type Lane } from '../producer/index.js';
import { backoffMs } from './failure.js';
import type { ReceivedMessage } from './ports.js';
import { afterReceive, INITIAL_RECEIVE_STATE, nextReceive, type ReceiveState } from './receive-policy.js';

/**
 * The worker's slots, counted so a receive never brings more messages than can start: a receive
 * takes its slots before it is sent (as many as it asks for), gives back those its answer did not
 * fill, and each job gives its slot back when it ends.
 */
export class Slots {
  #free: number;
  /** Receives sent and not yet answered. */
  #receiving = 0;
  #changed: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  get free(): number {
    return this.#free;
  }

  /**
   * Waits until a receive may start and takes its slots: at once when `batch` slots are free; when
   * fewer are, only if no other receive is out (so one long poll always listens while any slot is
   * free: an idle or lightly loaded worker receives at once) and after the free slots waited
   * `lingerMs` for company (0 for none; under a backlog, jobs ending together make one receive).
   * @returns the slots taken (≤ `batch`), or 0 once `signal` aborted.
   */
  async take(batch: number, lingerMs: number, signal: AbortSignal): Promise<number> {
    let since: number | undefined;
    while (!signal.aborted) {
      if (this.#free >= batch) return this.#take(batch);
      if (this.#free === 0 || this.#receiving > 0) {
        since = undefined;
        await this.#change(signal);
        continue;
      }
      since ??= Date.now();
      const left = since + lingerMs - Date.now();
      if (left <= 0) return this.#take(this.#free);
      await this.#change(signal, left);
    }
    return 0;
  }

  /** A receive answered with `unused` fewer messages than it took slots for. */
  received(unused: number): void {
    this.#receiving--;
    this.#free += Math.max(0, unused);
    // Wakes takers even when nothing came back: no receive being out may let one start.
    this.#wake();
  }

  /** Slots back: a job ended, or a message was not admitted. */
  give(count: number): void {
    if (count <= 0) return;
    this.#free += count;
    this.#wake();
  }

  /** Wakes every waiting taker (stopping). */
  wake(): void {
    this.#wake();
  }

  #take(count: number): number {
    this.#free -= count;
    this.#receiving++;
    return count;
  }

  #wake(): void {
    const woken = this.#changed;
    this.#changed = [];
    for (const resolve of woken) resolve();
  }

  /** Resolves on the next `give`/`received`/`wake`, on abort, or after `timeoutMs`. */
  #change(signal: AbortSignal, timeoutMs?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      if (timeoutMs !== undefined) timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done, { once: true });
      this.#changed.push(done);
    });
  }
}

/** The receive side of the two lanes (queue.ts `lanedJobQueue`). */
export interface LanedReceive {
  /** Receives up to `max` from the lane; `waitTimeSeconds` 0 answers at once, undefined long-polls. */
  receive(lane: Lane, max: number, signal: AbortSignal, waitTimeSeconds?: number): Promise<ReceivedMessage[]>;
}

export interface PollerOptions {
  readonly queue: LanedReceive;
  /** The bulk queue gets at least one receive in this many (receive-policy.ts). Default 4. */
  readonly bulkEvery?: number;
  /**
   * A long poll of the jobs queue waits at most this long (seconds), so bulk work arriving while
   * the worker is idle waits no longer for the next look at the bulk queue. Undefined: the queue's
   * own long-poll wait.
   */
  readonly longPollSeconds?: number;
  /** Jobs at once; no receive asks for more messages than slots are free. */
  readonly concurrency: number;
  /** Admits a message (returns the job to run) or disposes of it (returns undefined). Never throws. */
  readonly admit: (message: ReceivedMessage) => Promise<(() => Promise<void>) | undefined>;
  readonly log: Logger;
  /** Receives that may be out at once. Default max(2, ⌈concurrency / 10⌉). */
  readonly receivers?: number;
  /**
   * How long fewer than a batch of free slots wait for company after a full answer all admitted
   * (a backlog); otherwise they are used at once. Default 20 ms.
   */
  readonly lingerMs?: number;
  /**
   * Slots only the jobs queue fills, through a receive loop of their own that always long-polls
   * it: while bulk work holds every other slot, a quiet tenant's job starts as soon as it arrives
   * instead of waiting for a batch of slots to come free. Default {@link reservedSlots}.
   */
  readonly reserve?: number;
}

/** The jobs-lane reserve of a worker with `concurrency` slots: one in eight, none below 4 slots. Pure. */
export function reservedSlots(concurrency: number): number {
  return concurrency >= 4 ? Math.max(1, Math.floor(concurrency / 8)) : 0;
}

/**
 * Receive loops feeding the dispatcher from the two lanes. A loop receives when about a batch of
 * shared slots (min(10, concurrency − reserve)) is free — or, when no other receive is out,
 * whatever is free (after a short linger when its last answer was a backlog) — and asks SQS for no
 * more messages than the slots it took, so every message it brings can start at once. Which lane it asks, and whether it
 * may long-poll, is the receive policy's (receive-policy.ts): the jobs queue first, the bulk queue
 * whenever the jobs queue has nothing for the free slots and at least once in `bulkEvery`
 * receives. A loop only admits its messages and goes on, so receiving never waits for the
 * slowest job. The reserved slots have a loop of their own that only long-polls the jobs queue.
 */
export function createPoller(options: PollerOptions) {
  const reserve = Math.max(
    0,
    Math.min(options.reserve ?? reservedSlots(options.concurrency), options.concurrency - 1),
  );
  const shared = options.concurrency - reserve;
  const batch = Math.max(1, Math.min(10, shared));
  const receivers = options.receivers ?? Math.max(2, Math.ceil(shared / 10));
  const lingerMs = options.lingerMs ?? 20;
  const slots = new Slots(shared);
  const reserved = reserve > 0 ? new Slots(reserve) : undefined;
  const bulkEvery = options.bulkEvery ?? 4;
  // One receive order per process, shared by its loops.
  let order: ReceiveState = INITIAL_RECEIVE_STATE;
  const running = new Set<Promise<void>>();
  const stopping = new AbortController();
  // Receives are never aborted by stop(): a long poll given up by its client is still answered by
  // SQS, and the messages it takes stay hidden for their visibility timeout (a minute of dwell, one
  // receive of the DLQ's count). A stopping loop waits for its receive (≤ its wait) and admits what
  // it brought like any answer — the worker drains before it stops the poller, so admission makes
  // those messages visible again at once. Only the queue's own stuck-receive timeout ends one early.
  const receiving = new AbortController().signal;
  let loops: Promise<void>[] = [];

  const start = (run: () => Promise<void>, pool: Slots) => {
    const job = run()
      .catch((error: unknown) => options.log.error({ error: coerceError(error) }, 'job runner threw'))
      .finally(() => {
        running.delete(job);
        pool.give(1);
      });
    running.add(job);
  };

  /**
   * One receive loop over `pool`. The shared loops follow the receive policy over both lanes; the
   * reserve's loop (`pool` = the reserved slots) only long-polls the jobs queue.
   */
  async function receiveLoop(pool: Slots, reserveLoop = false): Promise<void> {
    let failures = 0;
    // The last answer was full of runnable work: a backlog waits, so a few ms for more free slots cost no dwell.
    let backlog = false;
    while (!stopping.signal.aborted) {
      const room = await pool.take(reserveLoop ? reserve : batch, backlog ? lingerMs : 0, stopping.signal);
      if (room === 0) break;
      let messages: ReceivedMessage[];
      const next = reserveLoop ? ({ lane: LANE.jobs, wait: 'long' } as const) : nextReceive(order, bulkEvery);
      try {
        messages = await options.queue.receive(
          next.lane,
          room,
          receiving,
          next.wait === 'short' ? 0 : options.longPollSeconds,
        );
        if (!reserveLoop) order = afterReceive(order, next.lane, room, messages.length);
        failures = 0;
      } catch (error) {
        pool.received(room);
        if (stopping.signal.aborted) break;
        failures++;
        options.log.warn({ error: coerceError(error) }, 'receive failed');
        await sleep(backoffMs(failures, 100, 5_000), undefined, { signal: stopping.signal }).catch(() => {});
        continue;
      }
      pool.received(room - messages.length);
      const admitted = await Promise.all(
        messages.map(async (message) => {
          const run = await options.admit(message);
          if (run) start(run, pool);
          else pool.give(1);
          return run !== undefined;
        }),
      );
      // A full answer of runnable work is a backlog; one with messages disposed of (a capped
      // tenant's flood) is not: its slots came back, and scanning on at once reaches other tenants.
      // An empty short poll (the other lane's turn came up empty) says nothing about the backlog.
      if (!reserveLoop && (messages.length > 0 || next.wait === 'long'))
        backlog = messages.length === room && admitted.every(Boolean);
    }
  }

  return {
    /** Receive loops this process runs (the reserve's included). */
    receivers: receivers + (reserved ? 1 : 0),
    /** Slots only the jobs queue fills. */
    reserve,
    start(): void {
      if (loops.length > 0) return;
      loops = Array.from({ length: receivers }, () => receiveLoop(slots));
      if (reserved) loops.push(receiveLoop(reserved, true));
    },
    /**
     * Stops receiving: no new receive starts; one already out is answered (≤ its long-poll wait)
     * and its messages go to `admit` (which, draining, makes them visible again). Jobs already
     * admitted go on.
     */
    stop(): void {
      stopping.abort();
      slots.wake();
      reserved?.wake();
    },
    /** Jobs admitted and not yet ended. */
    inFlight(): number {
      return running.size;
    },
    /** Resolves when every admitted job ended, or after `timeoutMs`; true if all did. */
    async idle(timeoutMs: number): Promise<boolean> {
      const deadline = Date.now() + timeoutMs;
      // Loops still admitting what their last receive brought may start jobs: wait for them first.
      const bound = new AbortController();
      await Promise.race([
        Promise.allSettled(loops),
        sleep(timeoutMs, undefined, { signal: bound.signal }).catch(() => {}),
      ]);
      bound.abort();
      while (running.size > 0) {
        const left = deadline - Date.now();
        if (left <= 0) return false;
        await Promise.race([Promise.allSettled([...running]), sleep(Math.min(left, 250))]);
      }
      return true;
    },
  };
}

export type Poller = ReturnType<typeof createPoller>;
