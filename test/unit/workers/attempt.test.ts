import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { type CapabilityDefinition, PermanentError, TransientError } from '../../../src/jobs/index.js';
import { createLogger } from '../../../src/lib/logger.js';
import type { JobEvent } from '../../../src/notify/index.js';
import { PublishError } from '../../../src/notify/index.js';
import { systemContext, TenantFiles, TenantTable } from '../../../src/tenancy/index.js';
import {
  type AttemptDeps,
  type AttemptInput,
  redoAfterFinish,
  runAttempt,
} from '../../../src/workers/attempt.js';
import { REDO_AFTER_SECONDS } from '../../../src/workers/decide.js';
import { FakeQueue, FakeStore, jobMessage, NOW, storedJob } from './fakes.js';

/**
 * The attempt's paths that end without a result object (retry, release, hand-off, abandon), over
 * fakes of the two ports. The table and files clients exist only to satisfy the capability
 * context: these paths never call them (the pass and fail paths are tested on the local endpoint).
 */
const ctx = systemContext('acme', 'worker');
const dynamo = new DynamoDBClient({ region: 'us-east-1' });
const s3 = new S3Client({ region: 'us-east-1' });
const table = new TenantTable({ doc: DynamoDBDocumentClient.from(dynamo), tableName: 'unused' }, ctx);
const files = new TenantFiles({ s3, buckets: { results: 'u', uploads: 'u', quarantine: 'u' } }, ctx);
afterAll(() => {
  dynamo.destroy();
  s3.destroy();
});

const capability = (run: CapabilityDefinition['run'], over: Partial<CapabilityDefinition> = {}) =>
  ({
    name: 'noop',
    description: 'test',
    targetKind: 'any',
    input: z.strictObject({}),
    timeoutMs: 5_000,
    maxAttempts: 3,
    run,
    ...over,
  }) satisfies CapabilityDefinition;

function setup(
  cap: CapabilityDefinition,
  options: { attempt?: number; shutdown?: AbortSignal; stored?: Record<string, unknown> } = {},
) {
  const queue = new FakeQueue();
  const store = new FakeStore();
  const key = '#job#t1#noop';
  const attempt = options.attempt ?? 1;
  const record = storedJob(key, {
    status: `JR#${NOW.toISOString()}`,
    owner: 'w-1:aa',
    attempt,
    ...options.stored,
  });
  const deps: AttemptDeps = {
    queue,
    events: { publish: async () => {} },
    invoke: {
      credentialsFor: async () => {
        throw new PermanentError('none');
      },
      profileOf: async () => undefined,
      events: { publish: async () => {} },
      aws: { region: 'us-east-1', endpoints: {} },
      allowLoopback: true,
    },
    workerId: 'w-1',
    leaseMs: (c) => c.timeoutMs + 2_000,
    queueVisibilityMs: 60_000,
    retry: { baseMs: 2_000, maxMs: 60_000 },
    now: () => NOW,
    shutdown: options.shutdown ?? new AbortController().signal,
  };
  const input: AttemptInput = {
    capability: cap,
    lease: { key, owner: 'w-1:aa', attempt, phase: 'JQ', record },
    store,
    ctx,
    table,
    files,
    message: jobMessage(1),
    log: createLogger({ level: 'silent' }),
    aside: (work) => {
      void work();
    },
  };
  return { deps, input, queue, store };
}

describe('Function: runAttempt', () => {
  it('finishes a job whose claim carried a cancel request JF `cancelled`, without running it or writing a result', async () => {
    // Prepare: an owner died after job control asked its job to stop; this claim took it over.
    let ran = false;
    const { deps, input, queue, store } = setup(
      capability(async () => {
        ran = true;
        return { kind: 'done', result: {} };
      }),
      { stored: { cancelRequested: NOW.toISOString(), cancelledBy: 'alice' } },
    );

    // Act
    const end = await runAttempt(deps, input);

    // Assess
    expect(end).toBe('failed');
    expect(ran).toBe(false);
    expect(store.writes).toEqual([
      {
        op: 'finish',
        key: '#job#t1#noop',
        request: {
          code: 'JF',
          now: NOW,
          execution: { worker: 'w-1', startedAt: NOW.toISOString() },
          error: 'cancelled by alice',
          errorCode: 'cancelled',
        },
      },
    ]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.calls).toEqual([{ op: 'ack', handle: 'rh-1' }]);
  });

  it.each([
    [
      'SNS unavailable: the message is hidden, not acknowledged, so its next receiver publishes it',
      new Error('socket hang up'),
      5,
      { op: 'visibility', handle: 'rh-1', seconds: REDO_AFTER_SECONDS },
    ],
    [
      'SNS refused the event itself: acknowledged (it would refuse it again)',
      new PublishError('InvalidParameter', 'bad attribute', false),
      1,
      { op: 'ack', handle: 'rh-1' },
    ],
  ])('after a won finish whose event cannot be published — %s', async (_name, error, tries, call) => {
    // Prepare: a finish without a result object (a cancelled job), and a publisher that fails.
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const { deps, input, queue } = setup(
        capability(async () => ({ kind: 'done', result: {} })),
        { stored: { cancelRequested: NOW.toISOString(), cancelledBy: 'alice' } },
      );
      let published = 0;
      const failing: AttemptDeps = {
        ...deps,
        events: {
          publish: async () => {
            published++;
            throw error;
          },
        },
      };
      const aside: Promise<void>[] = [];

      // Act: the attempt, then what follows its finish (with its retries' backoff).
      const end = await runAttempt(failing, { ...input, aside: (work) => aside.push(work()) });
      const done = Promise.all(aside);
      await vi.runAllTimersAsync();
      await done;

      // Assess
      expect(end).toBe('failed');
      expect(published).toBe(tries);
      expect(queue.calls).toEqual([call]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('hands an async job off until its deadline, with the execution record, then acknowledges', async () => {
    // Prepare
    const { deps, input, queue, store } = setup(
      capability(async () => ({ kind: 'handoff', asyncRef: 'ext-1', deadlineMs: 60_000 })),
    );

    // Act
    const end = await runAttempt(deps, input);

    // Assess
    expect(end).toBe('handedOff');
    expect(store.writes).toEqual([
      {
        op: 'handOff',
        key: '#job#t1#noop',
        request: {
          now: NOW,
          asyncRef: 'ext-1',
          deadline: new Date(NOW.getTime() + 60_000),
          execution: { worker: 'w-1', startedAt: NOW.toISOString() },
        },
      },
    ]);
    expect(queue.calls).toEqual([{ op: 'ack', handle: 'rh-1' }]);
  });

  it('releases a transiently failed attempt until the backoff ends and hides the message as long', async () => {
    // Prepare
    const { deps, input, queue, store } = setup(
      capability(async () => {
        throw new TransientError('busy');
      }),
    );

    // Act
    const end = await runAttempt(deps, input);

    // Assess: attempt 1 backs off between 1 and 2 s (half to the whole base step).
    expect(end).toBe('retried');
    const [release] = store.writes;
    if (release?.op !== 'release') throw new Error(`expected a release, got ${release?.op}`);
    const backoff = release.request.until.getTime() - NOW.getTime();
    expect(backoff).toBeGreaterThanOrEqual(1_000);
    expect(backoff).toBeLessThanOrEqual(2_000);
    expect(release.request.error).toBe('busy');
    expect(queue.calls).toEqual([{ op: 'visibility', handle: 'rh-1', seconds: backoff / 1000 }]);
  });

  it('writes nothing more when its release is fenced (another attempt owns the job)', async () => {
    // Prepare
    const { deps, input, queue, store } = setup(
      capability(async () => {
        throw new TransientError('busy');
      }),
    );
    store.fenced = true;

    // Act
    const end = await runAttempt(deps, input);

    // Assess
    expect(end).toBe('fenced');
    expect(queue.calls).toEqual([]);
  });

  it('releases at once and makes the message visible when the drain timed out', async () => {
    // Prepare
    const shutdown = new AbortController();
    const { deps, input, queue, store } = setup(
      capability(async (runCtx) => {
        shutdown.abort(new Error('worker shutting down'));
        throw runCtx.signal.reason;
      }),
      { shutdown: shutdown.signal },
    );

    // Act
    const end = await runAttempt(deps, input);

    // Assess
    expect(end).toBe('released');
    expect(store.writes).toEqual([
      {
        op: 'release',
        key: '#job#t1#noop',
        request: { now: NOW, until: NOW, error: 'released on shutdown: worker shutting down' },
      },
    ]);
    expect(queue.calls).toEqual([{ op: 'visibility', handle: 'rh-1', seconds: 0 }]);
  });

  it('extends the message visibility first when the lease is longer than the queue visibility', async () => {
    // Prepare: a 90 s capability on a 60 s queue.
    const { deps, input, queue } = setup(
      capability(async () => ({ kind: 'handoff', asyncRef: 'x', deadlineMs: 1 }), { timeoutMs: 90_000 }),
    );

    // Act
    await runAttempt(deps, input);

    // Assess
    expect(queue.calls[0]).toEqual({ op: 'visibility', handle: 'rh-1', seconds: 92 });
  });
});

describe('Function: redoAfterFinish', () => {
  const KEY = '#job#t1#noop';
  const redo = async (stored: Record<string, unknown>, publish: (event: JobEvent) => Promise<void>) => {
    const { deps, input, queue } = setup(
      capability(async () => ({ kind: 'done', result: {} }), { findings: false }),
    );
    const events: AttemptDeps = { ...deps, events: { publish } };
    await redoAfterFinish(events, input, storedJob(KEY, stored));
    return queue;
  };

  it.each([
    [
      'a pass (of a capability without findings: no result document read)',
      { status: 'JP#t', attempt: 2, resultKey: 'acme/results/2026-12-04/noop/x/2-aa.json', finished: 't' },
      { status: 'JP', attempt: 2, resultKey: 'acme/results/2026-12-04/noop/x/2-aa.json' },
    ],
    [
      'a failure',
      { status: 'JF#t', attempt: 3, error: 'gave up after 3 attempts: boom', finished: 't' },
      { status: 'JF', attempt: 3, error: 'gave up after 3 attempts: boom' },
    ],
  ])(
    'publishes the event of %s as the winning finish wrote it, then acknowledges',
    async (_name, stored, event) => {
      // Prepare
      const published: JobEvent[] = [];

      // Act
      const queue = await redo(stored, async (e) => {
        published.push(e);
      });

      // Assess
      expect(published).toEqual([{ tenant: 'acme', key: KEY, capability: 'noop', ...event }]);
      expect(queue.calls).toEqual([{ op: 'ack', handle: 'rh-1' }]);
    },
  );

  it('hides the message again when the event still cannot be published', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      // Act
      const done = redo({ status: 'JP#t', attempt: 1, finished: 't' }, async () => {
        throw new Error('socket hang up');
      });
      await vi.runAllTimersAsync();
      const queue = await done;

      // Assess
      expect(queue.calls).toEqual([{ op: 'visibility', handle: 'rh-1', seconds: REDO_AFTER_SECONDS }]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does nothing for a job that is not finished', async () => {
    const queue = await redo({ status: 'JR#t', attempt: 1 }, async () => {
      throw new Error('must not publish');
    });
    expect(queue.calls).toEqual([]);
  });
});
