/**
 * How an attempt ends, decided as data: from what the capability did (or threw), the attempt, the
 * capability's retry budget and the clock to exactly one step. attempt.ts then carries the step
 * out (its writes are fenced; a fenced write ends the attempt as `fenced`, writing nothing more). Pure.
 */
import { backoffMs, classifyFailure } from './failure.js';

/** What running the capability produced. */
export type AttemptOutcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'handoff'; readonly asyncRef: string; readonly deadlineMs: number }
  | {
      readonly kind: 'threw';
      readonly error: unknown;
      /** The heartbeat found the lease taken over. */
      readonly leaseLost: boolean;
      /** The heartbeat found that job control asked the job to stop (`cancelRequested`). */
      readonly cancelled?: boolean;
      /** The worker's drain timed out while the attempt ran. */
      readonly shuttingDown: boolean;
    };

/** The one thing to do next. */
export type Step =
  | { readonly kind: 'pass' }
  | { readonly kind: 'fail'; readonly reason: string; readonly code: string }
  | { readonly kind: 'handoff'; readonly asyncRef: string; readonly deadline: Date }
  | { readonly kind: 'retry'; readonly afterMs: number; readonly reason: string; readonly code: string }
  | { readonly kind: 'release'; readonly reason: string }
  /** Job control stopped it: `JF` with code `cancelled` and no result object. */
  | { readonly kind: 'cancel'; readonly reason: string }
  | { readonly kind: 'abandon' };

/** The reason a cancelled job records. */
export function cancelReason(by: string | undefined): string {
  return `cancelled by ${by ?? 'job control'}`;
}

/** The attempt's place in its budget and the retry policy. */
export interface AttemptPolicy {
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Jitter source of the backoff. Default `Math.random`. */
  readonly random?: () => number;
}

/**
 * Before running: a job job control asked to stop (its earlier owner died before it saw the
 * request) ends `cancelled`; an attempt past the budget (earlier attempts crashed or timed out
 * without finishing) fails at once instead of running again.
 */
export function stepBeforeRun(
  policy: Pick<AttemptPolicy, 'attempt' | 'maxAttempts'>,
  job: { readonly cancelRequested?: string | undefined; readonly cancelledBy?: string | undefined } = {},
): Step | undefined {
  if (job.cancelRequested !== undefined) return { kind: 'cancel', reason: cancelReason(job.cancelledBy) };
  if (policy.attempt <= policy.maxAttempts) return undefined;
  return {
    kind: 'fail',
    code: 'job.attemptsExhausted',
    reason: `gave up: attempt ${policy.attempt} exceeds ${policy.maxAttempts} (earlier attempts crashed or timed out)`,
  };
}

/**
 * After running: done → pass; hand-off → handoff until now + its deadline; thrown → abandon when
 * the lease was lost (another attempt owns the job), cancel when job control stopped it (the abort
 * made it throw), release when the worker is shutting down,
 * fail when the error is permanent or the budget is spent, else retry after a jittered backoff.
 */
export function stepAfterRun(outcome: AttemptOutcome, policy: AttemptPolicy, now: Date): Step {
  switch (outcome.kind) {
    case 'done':
      return { kind: 'pass' };
    case 'handoff':
      return {
        kind: 'handoff',
        asyncRef: outcome.asyncRef,
        deadline: new Date(now.getTime() + outcome.deadlineMs),
      };
    case 'threw': {
      if (outcome.leaseLost) return { kind: 'abandon' };
      if (outcome.cancelled) return { kind: 'cancel', reason: cancelReason(undefined) };
      const failure = classifyFailure(outcome.error);
      if (outcome.shuttingDown) return { kind: 'release', reason: `released on shutdown: ${failure.reason}` };
      if (failure.kind === 'permanent') return { kind: 'fail', code: failure.code, reason: failure.reason };
      if (policy.attempt >= policy.maxAttempts)
        return {
          kind: 'fail',
          code: failure.code,
          reason: `gave up after ${policy.attempt} attempts: ${failure.reason}`,
        };
      const afterMs = backoffMs(policy.attempt, policy.retryBaseMs, policy.retryMaxMs, policy.random);
      return { kind: 'retry', afterMs, reason: failure.reason, code: failure.code };
    }
  }
}

/** What to do with the message of a paused job. */
export type PausedStep =
  | { readonly kind: 'hide'; readonly seconds: number }
  /** Re-sent as a new message (deferral): its receive count starts again. */
  | { readonly kind: 'resend' };

/**
 * A paused job's message is hidden for `hideSeconds` (one visibility change: it is not received
 * again meanwhile), and re-sent instead once one more receive would reach the queue's
 * `maxReceiveCount`, so a long pause never moves it to the DLQ. Pure.
 */
export function pausedStep(receiveCount: number, maxReceiveCount: number, hideSeconds: number): PausedStep {
  if (Number.isFinite(receiveCount) && receiveCount < maxReceiveCount - 1)
    return { kind: 'hide', seconds: hideSeconds };
  return { kind: 'resend' };
}

/** Longest a paused job's message is hidden at a time (SQS allows 12 h; a resume should not wait). */
export const MAX_PAUSE_HIDE_SECONDS = 300;

/** How long a paused message hides: the pause cache's TTL, between 1 s and 5 min. Pure. */
export function pauseHideSeconds(pauseTtlMs: number): number {
  return Math.min(MAX_PAUSE_HIDE_SECONDS, Math.max(1, Math.ceil(pauseTtlMs / 1000)));
}

/**
 * How long a finished job's message stays hidden when what follows its finish (event, findings)
 * could not be written: then it comes back, and its next receiver does that again (dispatcher.ts
 * `lostClaimStep`'s `redo`, attempt.ts `redoAfterFinish`).
 */
export const REDO_AFTER_SECONDS = 10;
