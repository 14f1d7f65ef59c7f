import { describe, expect, it, vi } from 'vitest';
import { PermanentError, TransientError } from '../../../src/jobs/index.js';
import { createLogger } from '../../../src/lib/logger.js';
import { TtlCache } from '../../../src/lib/ttl-cache.js';
import { raceAbort } from '../../../src/workers/attempt.js';
import { backoffMs, classifyFailure } from '../../../src/workers/failure.js';
import { TenantGate } from '../../../src/workers/fairness.js';
import { type BeatResult, startHeartbeat } from '../../../src/workers/heartbeat.js';
import { InjectedFaultError } from '../../../tools/instrument/faults.js';

const awsError = (name: string, fields: Record<string, unknown>) =>
  Object.assign(new Error(name), { name, ...fields });

describe('Function: classifyFailure', () => {
  it.each([
    ['PermanentError', new PermanentError('bad target'), 'permanent', 'job.permanent'],
    ['TransientError', new TransientError('busy'), 'transient', 'job.transient'],
    // The tools' injected fault carries only what a real AWS 5xx carries: no special case for it.
    ['injected fault', new InjectedFaultError('InternalError', 'S3.PutObject'), 'transient', 'aws.server'],
    [
      'throttling by name',
      awsError('ThrottlingException', { $fault: 'client' }),
      'transient',
      'aws.throttled',
    ],
    ['429', awsError('Whatever', { $metadata: { httpStatusCode: 429 } }), 'transient', 'aws.throttled'],
    [
      '5xx',
      awsError('InternalFailure', { $fault: 'server', $metadata: { httpStatusCode: 500 } }),
      'transient',
      'aws.server',
    ],
    ['network', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'transient', 'net.error'],
    ['timeout', new DOMException('The operation timed out', 'TimeoutError'), 'transient', 'job.timeout'],
    [
      'access denied',
      awsError('AccessDenied', { $fault: 'client', $metadata: { httpStatusCode: 403 } }),
      'permanent',
      'aws.client',
    ],
    ['unknown bug', new TypeError('x is undefined'), 'transient', 'job.crashed'],
    ['a thrown string', 'boom', 'transient', 'job.crashed'],
  ])('%s → %s (%s)', (_label, error, kind, code) => {
    expect(classifyFailure(error)).toMatchObject({ kind, code });
  });

  it('decides by type, not by message text', () => {
    expect(classifyFailure(new Error('ThrottlingException: slow down')).code).toBe('job.crashed');
  });
});

describe('Function: backoffMs', () => {
  it('doubles per attempt between half and the whole step, capped', () => {
    expect(backoffMs(1, 1_000, 60_000, () => 0)).toBe(500);
    expect(backoffMs(1, 1_000, 60_000, () => 1)).toBe(1_000);
    expect(backoffMs(3, 1_000, 60_000, () => 1)).toBe(4_000);
    expect(backoffMs(20, 1_000, 60_000, () => 1)).toBe(60_000);
  });
});

describe('Class: TenantGate', () => {
  it('lets a tenant over its soft cap borrow idle slots, except the reserve', async () => {
    const gate = new TenantGate({ concurrency: 8, defaultCap: 4, capOf: async () => undefined });
    const admitted = [];
    for (let i = 0; i < 8; i++) admitted.push(await gate.tryEnter('noisy'));
    // 4 under the cap + 2 borrowed; the last 2 slots stay for other tenants.
    expect(admitted).toEqual([true, true, true, true, true, true, false, false]);
    expect(await gate.tryEnter('quiet')).toBe(true);
    gate.leave('noisy');
    expect(gate.inFlight('noisy')).toBe(5);
  });

  it('never exceeds a hard cap from the tenant profile', async () => {
    const gate = new TenantGate({
      concurrency: 8,
      defaultCap: 4,
      capOf: async (t) => (t === 'small-plan' ? 2 : undefined),
    });
    const admitted = [
      await gate.tryEnter('small-plan'),
      await gate.tryEnter('small-plan'),
      await gate.tryEnter('small-plan'),
    ];
    expect(admitted).toEqual([true, true, false]);
  });
});

describe('Class: TtlCache', () => {
  it('shares one load between concurrent misses and expires after the TTL from a successful load', async () => {
    let now = 0;
    const cache = new TtlCache<number>(1_000, () => now);
    const load = vi.fn(async () => 42);
    await Promise.all([cache.get('a', load), cache.get('a', load)]);
    expect(load).toHaveBeenCalledTimes(1);
    now = 999;
    await cache.get('a', load);
    expect(load).toHaveBeenCalledTimes(1);
    now = 1_001;
    await cache.get('a', load);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('does not cache a failed load', async () => {
    const cache = new TtlCache<number>(1_000);
    await expect(cache.get('a', async () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('a', async () => 7)).toBe(7);
  });
});

describe('Function: startHeartbeat', () => {
  it.each([
    ['lost', 'onLost'],
    ['cancelled', 'onCancelled'],
  ] as const)('beats on its interval and reports %s once, then stops', async (ending, callback) => {
    vi.useFakeTimers();
    try {
      const results: BeatResult[] = ['held', 'held', ending];
      const beat = vi.fn(async (): Promise<BeatResult> => results.shift() ?? 'held');
      const calls = { onLost: vi.fn(), onCancelled: vi.fn() };
      const stop = startHeartbeat({
        intervalMs: 1_000,
        beat,
        ...calls,
        log: createLogger({ level: 'silent' }),
      });
      await vi.advanceTimersByTimeAsync(3_500);
      expect(beat).toHaveBeenCalledTimes(3);
      expect(calls[callback]).toHaveBeenCalledTimes(1);
      expect(calls[callback === 'onLost' ? 'onCancelled' : 'onLost']).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(5_000);
      expect(beat).toHaveBeenCalledTimes(3);
      stop();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('Function: raceAbort', () => {
  it('ends a capability that ignores its signal as soon as the signal fires', async () => {
    const controller = new AbortController();
    const never = new Promise<string>(() => {});
    const raced = raceAbort(never, controller.signal);
    controller.abort(new Error('timeout'));
    await expect(raced).rejects.toThrow('timeout');
  });

  it('returns the work when it settles first', async () => {
    await expect(raceAbort(Promise.resolve('done'), new AbortController().signal)).resolves.toBe('done');
  });
});
