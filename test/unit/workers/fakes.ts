/**
 * In-memory stand-ins for the worker's two ports, for unit tests of the logic behind them (the
 * adapters themselves are tested against the local endpoint). They record what they were asked.
 */
import {
  encodeJobMessage,
  type JobMessage,
  type JobRecord,
  jobMessageAttributes,
  MESSAGE_VERSION,
  parseJobRecord,
} from '../../../src/jobs/index.js';
import type { Lane } from '../../../src/producer/index.js';
import type { LanedReceive } from '../../../src/workers/poller.js';
import type {
  ClaimRequest,
  ClaimResult,
  FinishRequest,
  HandOffRequest,
  JobQueue,
  JobStore,
  Lease,
  ReceivedMessage,
  ReleaseRequest,
} from '../../../src/workers/ports.js';

export const NOW = new Date('2026-12-03T12:00:00.000Z');

/** A job message as the producer sends it, with its receipt handle `rh-{n}`. */
export function jobMessage(n: number, over: Partial<JobMessage> = {}): ReceivedMessage {
  const body: JobMessage = {
    v: MESSAGE_VERSION,
    tenant: 'acme',
    key: `#job#t${n}#noop`,
    capability: 'noop',
    target: `t${n}`,
    attempt: 0,
    enqueuedAt: NOW.toISOString(),
    phase: 'JQ',
    ...over,
  };
  return {
    MessageId: `m-${n}`,
    ReceiptHandle: `rh-${n}`,
    Body: encodeJobMessage(body),
    MessageAttributes: jobMessageAttributes(body, undefined),
  };
}

/** A stored job record in the given status (`CODE#time`). */
export function storedJob(key: string, over: Record<string, unknown> = {}): JobRecord {
  return parseJobRecord({
    key,
    capability: 'noop',
    target: key.split('#')[2] ?? 'x',
    input: {},
    status: `JQ#${NOW.toISOString()}`,
    phase: 'JQ',
    created: NOW.toISOString(),
    updated: NOW.toISOString(),
    attempt: 0,
    ...over,
  });
}

/** What the fake queue was asked, in order. */
export type QueueCall =
  | { readonly op: 'ack'; readonly handle: string | undefined }
  | { readonly op: 'visibility'; readonly handle: string | undefined; readonly seconds: number }
  | { readonly op: 'defer'; readonly handle: string | undefined; readonly groupId: string | undefined }
  | { readonly op: 'deadLetter'; readonly handle: string | undefined; readonly reason: string };

export class FakeQueue implements JobQueue {
  readonly calls: QueueCall[] = [];
  /**
   * Each receive takes the next batch; when none is left, it waits like a long poll (`longPollMs`)
   * and answers none, or fails once its signal aborts.
   */
  readonly batches: ReceivedMessage[][] = [];
  /** The `max` of every receive. */
  readonly asked: number[] = [];

  constructor(readonly longPollMs = 20) {}

  async receive(max: number, signal: AbortSignal): Promise<ReceivedMessage[]> {
    this.asked.push(max);
    const next = this.batches.shift();
    if (next) return next.slice(0, max);
    return longPoll(this.longPollMs, signal);
  }

  async ack(message: ReceivedMessage): Promise<boolean> {
    this.calls.push({ op: 'ack', handle: message.ReceiptHandle });
    return true;
  }

  async setVisibility(message: ReceivedMessage, seconds: number): Promise<void> {
    this.calls.push({ op: 'visibility', handle: message.ReceiptHandle, seconds });
  }

  async defer(message: ReceivedMessage, groupId: string | undefined): Promise<boolean> {
    this.calls.push({ op: 'defer', handle: message.ReceiptHandle, groupId });
    return true;
  }

  async deadLetter(message: ReceivedMessage, reason: string): Promise<void> {
    this.calls.push({ op: 'deadLetter', handle: message.ReceiptHandle, reason });
  }
}

/** Every receive goes to `queue`, whatever its lane (tests of receiving that are not about lanes). */
export function oneLane(queue: FakeQueue): LanedReceive {
  return { receive: (_lane, max, signal) => queue.receive(max, signal) };
}

/** An empty long poll: answers none after `ms`, or fails once `signal` aborts. */
function longPoll(ms: number, signal: AbortSignal): Promise<ReceivedMessage[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', abort);
      resolve([]);
    }, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
  });
}

/**
 * Two lanes of messages: each receive takes up to `max` from its lane's list; a short poll
 * (`waitTimeSeconds` 0) of an empty lane answers none at once, a long poll answers none after its
 * wait (the queue's 20 s when none is given) × `msPerSecond` ms.
 */
export class FakeLanes implements LanedReceive {
  readonly waiting: Record<Lane, ReceivedMessage[]> = { jobs: [], bulk: [] };
  /** Every receive, in order. */
  readonly receives: { lane: Lane; max: number; got: number; wait: number | undefined }[] = [];

  constructor(readonly msPerSecond = 1) {}

  async receive(lane: Lane, max: number, signal: AbortSignal, wait?: number): Promise<ReceivedMessage[]> {
    const got = this.waiting[lane].splice(0, max);
    this.receives.push({ lane, max, got: got.length, wait });
    if (got.length > 0 || wait === 0) return got;
    return longPoll((wait ?? 20) * this.msPerSecond, signal);
  }
}

/** What the fake store was asked, in order. */
export type StoreWrite =
  | { readonly op: 'claim'; readonly key: string; readonly request: ClaimRequest }
  | { readonly op: 'renew'; readonly key: string; readonly request: Date }
  | { readonly op: 'finish'; readonly key: string; readonly request: FinishRequest }
  | { readonly op: 'handOff'; readonly key: string; readonly request: HandOffRequest }
  | { readonly op: 'release'; readonly key: string; readonly request: ReleaseRequest };

/** A store whose claims answer from `claims` (by key); later writes answer `fenced ? false : true`. */
export class FakeStore implements JobStore {
  readonly claims = new Map<string, ClaimResult | Error>();
  readonly writes: StoreWrite[] = [];
  fenced = false;

  async claim(key: string, request: ClaimRequest): Promise<ClaimResult> {
    this.writes.push({ op: 'claim', key, request });
    const answer = this.claims.get(key);
    if (answer instanceof Error) throw answer;
    if (answer) return answer;
    const record = storedJob(key, {
      status: `JR#${request.now.toISOString()}`,
      owner: request.owner,
      attempt: 1,
    });
    return { claimed: true, lease: { key, owner: request.owner, attempt: 1, phase: 'JQ', record } };
  }

  /** Renewals answer `cancelled` (job control asked the job to stop) while this is set. */
  cancelled = false;

  renew(lease: Lease, until: Date): Promise<'held' | 'lost' | 'cancelled'> {
    this.writes.push({ op: 'renew', key: lease.key, request: until });
    return Promise.resolve(this.fenced ? 'lost' : this.cancelled ? 'cancelled' : 'held');
  }
  finish(lease: Lease, request: FinishRequest) {
    this.writes.push({ op: 'finish', key: lease.key, request });
    return Promise.resolve(!this.fenced);
  }
  handOff(lease: Lease, request: HandOffRequest) {
    this.writes.push({ op: 'handOff', key: lease.key, request });
    return Promise.resolve(!this.fenced);
  }
  release(lease: Lease, request: ReleaseRequest) {
    this.writes.push({ op: 'release', key: lease.key, request });
    return Promise.resolve(!this.fenced);
  }
}
