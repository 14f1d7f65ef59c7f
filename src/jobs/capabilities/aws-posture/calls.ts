import { errorName } from '../../../lib/errors.js';

/** Options every AWS call of a posture scan carries: the attempt's signal. */
export interface CallOptions {
  readonly abortSignal: AbortSignal;
}

/** Errors that mean "this principal may not read that", not "try again later". */
const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AllAccessDisabled',
]);

/** A resource a check could not read, reported in the result instead of failing the scan. */
export interface SkippedCheck {
  readonly check: string;
  readonly resource: string;
  /** The AWS error name (`AccessDenied`…), never its message. */
  readonly error: string;
}

/**
 * Runs one read. Resolves `undefined` when AWS answers with one of `absent` (the setting is not
 * configured, e.g. `NoSuchBucketPolicy`). A denied read is recorded in `skipped` and resolves
 * `'denied'`: a partially permitted scan still reports what it could see. Anything else
 * (throttling, 5xx, network, abort) is thrown, so the worker retries the attempt.
 */
export async function read<T>(
  call: () => Promise<T>,
  where: { check: string; resource: string; skipped: SkippedCheck[] },
  absent: readonly string[] = [],
): Promise<T | undefined | 'denied'> {
  try {
    return await call();
  } catch (error) {
    const name = errorName(error) ?? 'Error';
    if (absent.includes(name)) return undefined;
    if (DENIED.has(name)) {
      where.skipped.push({ check: where.check, resource: where.resource, error: name });
      return 'denied';
    }
    throw error;
  }
}
