import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/lib/logger.js';
import { createPoller, Slots } from '../../../src/workers/poller.js';
import type { ReceivedMessage } from '../../../src/workers/ports.js';
import { FakeQueue, jobMessage, oneLane } from './fakes.js';

const log = createLogger({ level: 'silent' });

describe('Class: Slots', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('takes a batch at once when a batch is free', async () => {
    // Prepare
    const slots = new Slots(16);

    // Act
    const taken = await slots.take(10, 20, new AbortController().signal);

    // Assess
    expect(taken).toBe(10);
    expect(slots.free).toBe(6);
  });

  it('takes what is free after the linger when fewer than a batch are free and no receive is out', async () => {
    // Prepare
    vi.useFakeTimers();
    const slots = new Slots(4);

    // Act
    const taking = slots.take(10, 20, new AbortController().signal);
    let taken: number | undefined;
    void taking.then((n) => {
      taken = n;
    });
    await vi.advanceTimersByTimeAsync(19);
    const early = taken;
    await vi.advanceTimersByTimeAsync(1);

    // Assess
    expect(early).toBeUndefined();
    expect(taken).toBe(4);
  });

  it('lets a second receive wait for a whole batch while one is out', async () => {
    // Prepare: one receive out with 10 slots, 6 left.
    vi.useFakeTimers();
    const slots = new Slots(16);
    await slots.take(10, 20, new AbortController().signal);
    let second: number | undefined;
    void slots.take(10, 20, new AbortController().signal).then((n) => {
      second = n;
    });

    // Act: the linger passes; then jobs end until a batch is free.
    await vi.advanceTimersByTimeAsync(1_000);
    const afterLinger = second;
    slots.give(3);
    await vi.advanceTimersByTimeAsync(0);
    const atNine = second;
    slots.give(1);
    await vi.advanceTimersByTimeAsync(0);

    // Assess
    expect(afterLinger).toBeUndefined();
    expect(atNine).toBeUndefined();
    expect(second).toBe(10);
  });

  it('wakes a waiting receive when the one out comes back with fewer messages than it asked for', async () => {
    // Prepare: C = 4, one receive took all four slots.
    const slots = new Slots(4);
    await slots.take(4, 20, new AbortController().signal);
    const next = slots.take(4, 0, new AbortController().signal);

    // Act: it brought one message (three unused), and that job ends.
    slots.received(3);
    slots.give(1);

    // Assess
    expect(await next).toBe(4);
  });

  it('lets a waiting receive start when the one out comes back full and a slot is free', async () => {
    // Prepare: C = 4, one receive took all four slots; meanwhile a job ended.
    const slots = new Slots(4);
    await slots.take(4, 0, new AbortController().signal);
    slots.give(1);
    const next = slots.take(4, 0, new AbortController().signal);

    // Act: the receive out brought four messages (none unused).
    slots.received(0);

    // Assess
    expect(await next).toBe(1);
  });

  it('returns 0 once stopped', async () => {
    // Prepare
    const slots = new Slots(2);
    await slots.take(2, 20, new AbortController().signal);
    const stop = new AbortController();
    const waiting = slots.take(2, 20, stop.signal);

    // Act
    stop.abort();

    // Assess
    expect(await waiting).toBe(0);
  });
});

describe('Function: createPoller', () => {
  it('never asks for more messages than slots are free, and admits every message it received', async () => {
    // Prepare: C = 4; the first receive brings 3 messages whose jobs hold their slots.
    const queue = new FakeQueue();
    queue.batches.push([jobMessage(1), jobMessage(2), jobMessage(3)], [jobMessage(4)]);
    const admitted: ReceivedMessage[] = [];
    let finish: () => void = () => {};
    const jobsHeld = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const poller = createPoller({
      queue: oneLane(queue),
      concurrency: 4,
      reserve: 0, // the shared slots' counting (the jobs-lane reserve has a test of its own)
      receivers: 2,
      lingerMs: 0,
      log,
      admit: async (message) => {
        admitted.push(message);
        return () => jobsHeld;
      },
    });

    // Act
    poller.start();
    await vi.waitFor(() => expect(admitted).toHaveLength(4));
    const inFlight = poller.inFlight();
    const askedWhileFull = [...queue.asked];
    finish();
    await vi.waitFor(() => expect(poller.inFlight()).toBe(0));
    poller.stop();
    const idle = await poller.idle(1_000);

    // Assess: 4 slots, then the one left; no receive while all four jobs ran.
    expect(askedWhileFull).toEqual([4, 1]);
    expect(inFlight).toBe(4);
    expect(idle).toBe(true);
    expect(Math.max(...queue.asked)).toBeLessThanOrEqual(4);
  });

  it('gives the slot of a message it did not admit back at once', async () => {
    // Prepare: C = 2; the first message is disposed of (deferred, parked), the second admitted.
    const queue = new FakeQueue();
    queue.batches.push([jobMessage(1)], [jobMessage(2)]);
    const runs: string[] = [];
    const poller = createPoller({
      queue: oneLane(queue),
      concurrency: 2,
      receivers: 1,
      lingerMs: 0,
      log,
      admit: async (message) => {
        if (message.MessageId === 'm-1') return undefined;
        return async () => {
          runs.push(message.MessageId ?? '');
        };
      },
    });

    // Act
    poller.start();
    await vi.waitFor(() => expect(runs).toEqual(['m-2']));
    poller.stop();
    await poller.idle(1_000);

    // Assess: the second receive still had both slots.
    expect(queue.asked.slice(0, 2)).toEqual([2, 2]);
  });

  it('goes on receiving after a failed receive', async () => {
    // Prepare
    const queue = new FakeQueue();
    const receive = queue.receive.bind(queue);
    let calls = 0;
    queue.receive = async (max, signal) => {
      calls++;
      if (calls === 1) throw Object.assign(new Error('boom'), { name: 'InternalError' });
      return receive(max, signal);
    };
    queue.batches.push([jobMessage(1)]);
    const admitted: string[] = [];
    const poller = createPoller({
      queue: oneLane(queue),
      concurrency: 2,
      receivers: 1,
      log,
      admit: async (message) => {
        admitted.push(message.MessageId ?? '');
        return undefined;
      },
    });

    // Act
    poller.start();
    await vi.waitFor(() => expect(admitted).toEqual(['m-1']), { timeout: 3_000 });
    poller.stop();

    // Assess
    expect(await poller.idle(1_000)).toBe(true);
  });

  it('lets a long poll out at stop() finish, and hands what it brought to a draining admission that gives it back', async () => {
    // Prepare: a queue whose second receive is a long poll that brings a message only after stop().
    const queue = new FakeQueue();
    queue.batches.push([jobMessage(1)]);
    const receive = queue.receive.bind(queue);
    let answer: (messages: ReceivedMessage[]) => void = () => {};
    let polls = 0;
    queue.receive = async (max, signal) => {
      polls++;
      // Like the SDK: an aborted receive fails (and what SQS still answers it with is lost to us).
      if (polls === 2)
        return new Promise<ReceivedMessage[]>((resolve, reject) => {
          answer = resolve;
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
      return receive(max, signal);
    };
    const started: string[] = [];
    // The worker's admission (dispatcher.ts): while draining, a message is made visible again at once.
    let draining = false;
    const poller = createPoller({
      queue: oneLane(queue),
      concurrency: 2,
      receivers: 1,
      lingerMs: 0,
      log,
      admit: async (message) => {
        if (draining) {
          await queue.setVisibility(message, 0);
          return undefined;
        }
        return async () => {
          started.push(message.MessageId ?? '');
        };
      },
    });
    poller.start();
    await vi.waitFor(() => expect(polls).toBe(2));

    // Act: the worker drains, then stops the poller while the long poll is out; SQS answers it afterwards with a message.
    draining = true;
    poller.stop();
    let idle: boolean | undefined;
    const stopped = poller.idle(1_000).then((done) => {
      idle = done;
    });
    await new Promise((r) => setTimeout(r, 20));
    const beforeAnswer = idle;
    answer([jobMessage(2)]);
    await stopped;

    // Assess: the poll was not abandoned (the poller waited for it); its message was not run but
    // made visible again at once for another worker.
    expect(beforeAnswer).toBeUndefined();
    expect(idle).toBe(true);
    expect(started).toEqual(['m-1']);
    expect(queue.calls).toEqual([{ op: 'visibility', handle: jobMessage(2).ReceiptHandle, seconds: 0 }]);
    expect(polls).toBe(2);
  });
});
