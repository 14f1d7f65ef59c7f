import { describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../../src/jobs/index.js';
import {
  type AttemptOutcome,
  type AttemptPolicy,
  stepAfterRun,
  stepBeforeRun,
} from '../../../src/workers/decide.js';

const NOW = new Date('2026-12-03T12:00:00.000Z');
const policy = (attempt: number, over: Partial<AttemptPolicy> = {}): AttemptPolicy => ({
  attempt,
  maxAttempts: 3,
  retryBaseMs: 2_000,
  retryMaxMs: 300_000,
  random: () => 1, // the whole backoff step, so the numbers are exact
  ...over,
});
const threw = (
  error: unknown,
  over: Partial<Extract<AttemptOutcome, { kind: 'threw' }>> = {},
): AttemptOutcome => ({
  kind: 'threw',
  error,
  leaseLost: false,
  shuttingDown: false,
  ...over,
});
const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
const denied = Object.assign(new Error('not authorized'), {
  name: 'AccessDeniedException',
  $fault: 'client',
});

describe('Function: stepBeforeRun', () => {
  it.each([
    [1, undefined],
    [3, undefined],
    [4, 'fail'],
  ] as const)('attempt %i of 3 → %s', (attempt, kind) => {
    expect(stepBeforeRun(policy(attempt))?.kind).toBe(kind);
  });

  it('a cancel request stored on the job wins over the budget: cancel, naming who asked', () => {
    expect(stepBeforeRun(policy(1), { cancelRequested: NOW.toISOString(), cancelledBy: 'bob' })).toEqual({
      kind: 'cancel',
      reason: 'cancelled by bob',
    });
    expect(stepBeforeRun(policy(9), { cancelRequested: NOW.toISOString() })?.kind).toBe('cancel');
    expect(stepBeforeRun(policy(1), {})).toBeUndefined();
  });

  it('names the spent budget in the reason', () => {
    expect(stepBeforeRun(policy(4))).toEqual({
      kind: 'fail',
      code: 'job.attemptsExhausted',
      reason: 'gave up: attempt 4 exceeds 3 (earlier attempts crashed or timed out)',
    });
  });
});

describe('Function: stepAfterRun', () => {
  const table: ReadonlyArray<readonly [string, AttemptOutcome, number, Record<string, unknown>]> = [
    ['done → pass', { kind: 'done' }, 1, { kind: 'pass' }],
    ['done on the last attempt → pass', { kind: 'done' }, 3, { kind: 'pass' }],
    [
      'hand-off → handoff until now + its deadline',
      { kind: 'handoff', asyncRef: 'ext-1', deadlineMs: 60_000 },
      1,
      { kind: 'handoff', asyncRef: 'ext-1', deadline: new Date(NOW.getTime() + 60_000) },
    ],
    [
      'transient, attempt 1 → retry after 2 s',
      threw(new TransientError('busy')),
      1,
      { kind: 'retry', afterMs: 2_000 },
    ],
    [
      'transient, attempt 2 → retry after 4 s',
      threw(new TransientError('busy')),
      2,
      { kind: 'retry', afterMs: 4_000 },
    ],
    [
      'transient on the last attempt → fail, gave up',
      threw(new TransientError('busy')),
      3,
      { kind: 'fail', reason: 'gave up after 3 attempts: busy' },
    ],
    ['throttled → retry (aws.throttled)', threw(throttled), 1, { kind: 'retry', code: 'aws.throttled' }],
    [
      'permanent → fail at once',
      threw(new PermanentError('refused by policy')),
      1,
      { kind: 'fail', reason: 'refused by policy' },
    ],
    ['AWS client fault → fail at once', threw(denied), 1, { kind: 'fail', code: 'aws.client' }],
    ['anything else → retry (job.crashed)', threw('boom'), 1, { kind: 'retry', code: 'job.crashed' }],
    [
      'lease lost → abandon, whatever was thrown',
      threw(new PermanentError('x'), { leaseLost: true }),
      1,
      { kind: 'abandon' },
    ],
    [
      'lease lost while shutting down → abandon (the job is another attempt’s)',
      threw(new Error('aborted'), { leaseLost: true, shuttingDown: true }),
      1,
      { kind: 'abandon' },
    ],
    [
      'cancelled by job control → cancel, whatever the abort made the capability throw',
      threw(new TransientError('aborted'), { cancelled: true }),
      1,
      { kind: 'cancel', reason: 'cancelled by job control' },
    ],
    [
      'cancelled on the last attempt while shutting down → cancel (not a release)',
      threw(new Error('aborted'), { cancelled: true, shuttingDown: true }),
      3,
      { kind: 'cancel' },
    ],
    [
      'lease lost and cancelled → abandon (the job is another attempt’s to end)',
      threw(new Error('aborted'), { cancelled: true, leaseLost: true }),
      1,
      { kind: 'abandon' },
    ],
    [
      'shutting down → release now, even on the last attempt',
      threw(new Error('worker shutting down'), { shuttingDown: true }),
      3,
      { kind: 'release', reason: 'released on shutdown: worker shutting down' },
    ],
  ];

  it.each(table)('%s', (_name, outcome, attempt, expected) => {
    expect(stepAfterRun(outcome, policy(attempt), NOW)).toMatchObject(expected);
  });

  it('caps the backoff at retryMaxMs and jitters between half and the whole step', () => {
    const capped = stepAfterRun(
      threw(new TransientError('busy')),
      policy(2, { maxAttempts: 20, retryMaxMs: 3_000 }),
      NOW,
    );
    expect(capped).toMatchObject({ kind: 'retry', afterMs: 3_000 });
    const low = stepAfterRun(threw(new TransientError('busy')), policy(2, { random: () => 0 }), NOW);
    expect(low).toMatchObject({ kind: 'retry', afterMs: 2_000 });
  });
});
