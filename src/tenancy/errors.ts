import { ScanqError } from '../lib/errors.js';

/** Base of tenancy errors: isolation, validation of keys and names, access decisions. */
export class TenancyError extends ScanqError {}

/** A key, name, tenant id or cursor that could escape its tenant or is malformed. */
export class InvalidKeyError extends TenancyError {}

/** The caller may not do this (role, or tenant not assumable). */
export class ForbiddenError extends TenancyError {}

/**
 * A conditional write's condition did not hold. Business logic, not a failure: `stored` is the
 * item as it was (when the table returned it).
 */
export class ConditionFailedError extends TenancyError {
  readonly stored: Readonly<Record<string, unknown>> | undefined;

  constructor(
    key: string,
    stored: Readonly<Record<string, unknown>> | undefined,
    options?: { cause?: unknown },
  ) {
    super('table.conditionFailed', `condition failed for ${key}`, options);
    this.stored = stored;
  }
}
