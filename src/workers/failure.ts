import { PermanentError, TransientError } from '../jobs/index.js';
import { coerceError } from '../lib/errors.js';

/** What to do about an attempt that threw: retry later, or fail the job now. */
export interface Failure {
  readonly kind: 'permanent' | 'transient';
  /** Stable code (`job.timeout`, `aws.throttled`, …). */
  readonly code: string;
  /** Human reason, stored on the job as `error` (never a secret). */
  readonly reason: string;
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
  'RequestThrottled',
  'RequestThrottledException',
]);
const NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
]);

interface AwsLike {
  readonly $fault?: 'client' | 'server';
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly code?: unknown;
}

/**
 * Decides by type, never by message text: `PermanentError` fails now; `TransientError`,
 * throttling, 5xx, network errors and timeouts retry; AWS client faults (access denied,
 * validation) fail now; anything else is treated as transient so the attempt budget bounds it.
 */
export function classifyFailure(thrown: unknown): Failure {
  const error = coerceError(thrown);
  const reason = error.message.slice(0, 500);
  if (error instanceof PermanentError) return { kind: 'permanent', code: error.code, reason };
  if (error instanceof TransientError) return { kind: 'transient', code: error.code, reason };
  if (error.name === 'TimeoutError' || error.name === 'AbortError')
    return { kind: 'transient', code: 'job.timeout', reason };
  const aws = error as AwsLike;
  const status = aws.$metadata?.httpStatusCode;
  if (THROTTLING.has(error.name) || status === 429)
    return { kind: 'transient', code: 'aws.throttled', reason };
  if (aws.$retryable || aws.$fault === 'server' || (status !== undefined && status >= 500)) {
    return { kind: 'transient', code: 'aws.server', reason };
  }
  if (typeof aws.code === 'string' && NETWORK.has(aws.code))
    return { kind: 'transient', code: 'net.error', reason };
  if (aws.$fault === 'client') return { kind: 'permanent', code: 'aws.client', reason };
  return { kind: 'transient', code: 'job.crashed', reason };
}

/** Exponential backoff with full jitter between half and the whole step, capped. Pure given `random`. */
export function backoffMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}
