import { describe, expect, it } from 'vitest';
import { builtinCapabilities, InvalidJobRecordError } from '../../../src/jobs/index.js';
import { createLogger } from '../../../src/lib/logger.js';
import { LANE } from '../../../src/producer/index.js';
import type { AttemptEnd } from '../../../src/workers/attempt.js';
import {
  type ClaimedAttempt,
  createDispatcher,
  type DispatcherDeps,
  type FinishedAgain,
  lostClaimStep,
} from '../../../src/workers/dispatcher.js';
import { TenantGate } from '../../../src/workers/fairness.js';
import { WorkerStats } from '../../../src/workers/stats.js';
import { FakeQueue, FakeStore, jobMessage, NOW, storedJob } from './fakes.js';

const KEY = '#job#t1#noop';

/** A dispatcher over fakes; `end` is what the attempt runner reports. */
function setup(over: Partial<DispatcherDeps> & { end?: AttemptEnd; cap?: number } = {}) {
  const queue = new FakeQueue();
  const store = new FakeStore();
  const stats = new WorkerStats();
  const ran: ClaimedAttempt[] = [];
  const redone: FinishedAgain[] = [];
  const dispatcher = createDispatcher({
    queue,
    redoAfterFinish: async (finished) => {
      redone.push(finished);
    },
    storeOf: () => store,
    runAttempt: async (claimed) => {
      ran.push(claimed);
      return over.end ?? 'passed';
    },
    registry: builtinCapabilities(),
    gate: new TenantGate({ concurrency: 8, defaultCap: 8, capOf: async () => over.cap }),
    stats,
    log: createLogger({ level: 'silent' }),
    workerId: 'w-1',
    leaseMs: (c) => c.timeoutMs + 2_000,
    now: () => NOW,
    draining: () => false,
    shutdown: new AbortController().signal,
    groupByTenant: true,
    ...over,
  });
  return { dispatcher, queue, store, stats, ran, redone };
}

describe('Function: createDispatcher', () => {
  describe('Method: handle', () => {
    it('claims a valid message with a lease of its capability and hands the attempt over', async () => {
      // Prepare
      const { dispatcher, store, stats, ran } = setup();

      // Act
      await dispatcher.handle(jobMessage(1));

      // Assess
      expect(store.writes).toEqual([
        {
          op: 'claim',
          key: KEY,
          request: {
            now: NOW,
            owner: expect.stringMatching(/^w-1:[0-9a-f]{8}$/),
            capability: 'noop',
            leaseMs: expect.any(Number),
          },
        },
      ]);
      expect(ran).toHaveLength(1);
      expect(ran[0]).toMatchObject({ tenant: 'acme', lease: { key: KEY, attempt: 1 } });
      expect(ran[0]?.capability.name).toBe('noop');
      expect(stats.counts).toMatchObject({ received: 1, claimed: 1, passed: 1 });
    });

    it.each([
      ['a body that is not JSON', { Body: '{' }, /JSON|parse/i],
      ['a tenant attribute that differs from the body', { MessageAttributes: {} }, /tenant attribute/],
    ])('parks %s in the DLQ without claiming', async (_name, change, reason) => {
      // Prepare
      const { dispatcher, queue, store, stats } = setup();

      // Act
      await dispatcher.handle({ ...jobMessage(1), ...change });

      // Assess
      expect(queue.calls).toEqual([
        { op: 'deadLetter', handle: 'rh-1', reason: expect.stringMatching(reason) },
      ]);
      expect(store.writes).toEqual([]);
      expect(stats.counts.rejected).toBe(1);
    });

    it('parks a message of an unknown capability', async () => {
      // Prepare
      const { dispatcher, queue, store } = setup();

      // Act
      await dispatcher.handle(jobMessage(1, { capability: 'nope', key: '#job#t1#nope' }));

      // Assess
      expect(queue.calls).toEqual([{ op: 'deadLetter', handle: 'rh-1', reason: 'unknown capability nope' }]);
      expect(store.writes).toEqual([]);
    });

    it('makes a message visible again at once while draining', async () => {
      // Prepare
      const { dispatcher, queue, store } = setup({ draining: () => true });

      // Act
      await dispatcher.handle(jobMessage(1));

      // Assess
      expect(queue.calls).toEqual([{ op: 'visibility', handle: 'rh-1', seconds: 0 }]);
      expect(store.writes).toEqual([]);
    });

    it('defers a message of a tenant at its hard cap, grouped by tenant', async () => {
      // Prepare: a profile cap of 0 admits nothing of the tenant.
      const { dispatcher, queue, stats } = setup({ cap: 0 });

      // Act
      await dispatcher.handle(jobMessage(1));

      // Assess
      expect(queue.calls).toEqual([{ op: 'defer', handle: 'rh-1', groupId: 'acme' }]);
      expect(stats.counts.deferred).toBe(1);
    });

    it('holds back only at a hard cap: a bulk-lane message passes a soft cap and its reserve', async () => {
      // Prepare: a worker of 4 slots whose soft cap (1, reserve 1) the tenant already fills.
      const gate = new TenantGate({ concurrency: 4, defaultCap: 1, capOf: async () => undefined });
      for (let i = 0; i < 3; i++) await gate.tryEnter('acme');
      const bulk = jobMessage(2);
      const { dispatcher, queue, ran } = setup({
        gate,
        laneOf: (message) => (message === bulk ? LANE.bulk : LANE.jobs),
      });

      // Act
      await dispatcher.handle(jobMessage(1));
      await dispatcher.handle(bulk);

      // Assess: the jobs-lane message is deferred, the bulk-lane one runs.
      expect(queue.calls.filter((c) => c.op === 'defer').map((c) => c.handle)).toEqual(['rh-1']);
      expect(ran.map((r) => r.message.ReceiptHandle)).toEqual(['rh-2']);
    });

    it('parks the message of a stored job that does not parse, with the error code', async () => {
      // Prepare
      const { dispatcher, queue, store, ran } = setup();
      store.claims.set(KEY, new InvalidJobRecordError(KEY, 'attempt: expected number'));

      // Act
      await dispatcher.handle(jobMessage(1));

      // Assess
      expect(queue.calls).toEqual([
        { op: 'deadLetter', handle: 'rh-1', reason: expect.stringMatching(/^job\.invalidRecord: /) },
      ]);
      expect(ran).toEqual([]);
    });

    it('leaves the message alone when the claim fails for another reason (it comes back), and frees the tenant slot', async () => {
      // Prepare
      const gate = new TenantGate({ concurrency: 8, defaultCap: 1, capOf: async () => 1 });
      const { dispatcher, queue, store } = setup({ gate });
      store.claims.set(KEY, Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));

      // Act
      await dispatcher.handle(jobMessage(1));

      // Assess
      expect(queue.calls).toEqual([]);
      expect(gate.inFlight('acme')).toBe(0);
    });

    it('keeps a second copy of a job already in hand as a backup, visible after its lease', async () => {
      // Prepare: the first copy's attempt waits until released.
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const { dispatcher, queue, store } = setup({
        runAttempt: async () => {
          await held;
          return 'passed';
        },
      });

      // Act
      const first = dispatcher.handle(jobMessage(1));
      await dispatcher.handle({ ...jobMessage(1), ReceiptHandle: 'rh-copy' });
      release();
      await first;

      // Assess: noop's lease (30 s timeout + 2 s here), plus a second.
      expect(queue.calls).toEqual([{ op: 'visibility', handle: 'rh-copy', seconds: 33 }]);
      expect(store.writes.filter((w) => w.op === 'claim')).toHaveLength(1);
    });
  });

  describe('Method: admit', () => {
    it('returns at once for a deferred message, and settled() waits for its re-send', async () => {
      // Prepare: the re-send hangs until released.
      const { dispatcher, queue } = setup({ cap: 0 });
      let release: () => void = () => {};
      const resent = new Promise<void>((resolve) => {
        release = resolve;
      });
      queue.defer = async () => {
        await resent;
        return true;
      };
      let settled = false;

      // Act
      const run = await dispatcher.admit(jobMessage(1));
      const settling = dispatcher.settled().then(() => {
        settled = true;
      });
      await Promise.resolve();
      const settledBefore = settled;
      release();
      await settling;

      // Assess
      expect(run).toBeUndefined();
      expect(settledBefore).toBe(false);
      expect(settled).toBe(true);
    });

    it('logs, and does not throw, when parking a message fails', async () => {
      // Prepare
      const { dispatcher, queue } = setup();
      queue.deadLetter = async () => {
        throw new Error('DLQ unavailable');
      };

      // Act
      const run = await dispatcher.admit({ ...jobMessage(1), Body: 'not json' });
      await dispatcher.settled();

      // Assess
      expect(run).toBeUndefined();
    });
  });

  describe('Method: handle — a lost claim', () => {
    it.each([
      [
        'running elsewhere under a live lease: a backup copy',
        { status: 'JR#t', owner: 'w-2:x', leaseUntil: new Date(NOW.getTime() + 30_000).toISOString() },
        { op: 'visibility', handle: 'rh-1', seconds: 31 },
      ],
      ['finished: a duplicate', { status: 'JP#t' }, { op: 'ack', handle: 'rh-1' }],
      ['handed off: a duplicate', { status: 'JRA#t' }, { op: 'ack', handle: 'rh-1' }],
      [
        'queued for another capability: a wrong message',
        { status: 'JQ#t', capability: 'portscan' },
        {
          op: 'deadLetter',
          handle: 'rh-1',
          reason: 'capability mismatch: message says noop, job says portscan',
        },
      ],
    ])('%s', async (_name, stored, call) => {
      // Prepare
      const { dispatcher, queue, store, stats, ran } = setup();
      store.claims.set(KEY, { claimed: false, stored: storedJob(KEY, stored) });

      // Act
      await dispatcher.handle(jobMessage(1));

      // Assess
      expect(queue.calls).toEqual([call]);
      expect(ran).toEqual([]);
      expect(stats.counts.duplicates).toBe(1);
    });

    it('finished, and this message was received before: does what follows the finish again', async () => {
      // Prepare: the worker that finished the job stopped before its acknowledgement.
      const { dispatcher, queue, store, redone, ran } = setup();
      const stored = storedJob(KEY, {
        status: 'JP#t',
        attempt: 2,
        resultKey: 'acme/results/2026-12-04/noop/x.json',
      });
      store.claims.set(KEY, { claimed: false, stored });
      const again = { ...jobMessage(1), Attributes: { ApproximateReceiveCount: '2' } };

      // Act
      await dispatcher.handle(again);

      // Assess: handed over with the job as stored and this message (which it acknowledges); not run.
      expect(redone).toHaveLength(1);
      expect(redone[0]).toMatchObject({ tenant: 'acme', stored, message: again });
      expect(redone[0]?.capability.name).toBe('noop');
      expect(queue.calls).toEqual([]);
      expect(ran).toEqual([]);
    });
  });
});

describe('Function: lostClaimStep', () => {
  const message = { capability: 'noop' } as const;
  it.each([
    ['no stored job', undefined, 1, { kind: 'ack' }],
    [
      'JR with a lease ending in 9 s',
      { status: 'JR#t', leaseUntil: new Date(NOW.getTime() + 9_000).toISOString() },
      2,
      { kind: 'backup', visibleInSeconds: 10 },
    ],
    [
      'JR with an expired lease (a takeover raced us)',
      { status: 'JR#t', leaseUntil: new Date(NOW.getTime() - 1).toISOString() },
      2,
      { kind: 'ack' },
    ],
    ['JR without a lease', { status: 'JR#t' }, 1, { kind: 'ack' }],
    [
      'JQA of another capability',
      { status: 'JQA#t', capability: 'external' },
      2,
      { kind: 'reject', reason: 'capability mismatch: message says noop, job says external' },
    ],
    ['JF', { status: 'JF#t' }, 1, { kind: 'ack' }],
    [
      'JP, first receive of this message (a second message of the job)',
      { status: 'JP#t' },
      1,
      { kind: 'ack' },
    ],
    [
      'JP, this message received before (its worker stopped before the acknowledgement)',
      { status: 'JP#t', attempt: 3, resultKey: 'acme/results/k.json' },
      2,
      { kind: 'redo' },
    ],
    ['JF, this message received before', { status: 'JF#t', attempt: 1, error: 'boom' }, 4, { kind: 'redo' }],
    ['JRA received before: handed off, nothing finished', { status: 'JRA#t' }, 2, { kind: 'ack' }],
    ['no stored job, received before', undefined, 3, { kind: 'ack' }],
  ])('%s', (_name, stored, receives, step) => {
    const record = stored === undefined ? undefined : storedJob(KEY, stored);
    // A redo carries the finished job as stored.
    const expected = step.kind === 'redo' ? { ...step, stored: record } : step;
    expect(lostClaimStep(message, record, NOW, receives)).toEqual(expected);
  });
});
