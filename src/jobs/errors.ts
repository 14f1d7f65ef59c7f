import { ScanqError } from '../lib/errors.js';

/** Base of job-model errors. */
export class JobError extends ScanqError {}

/** One field that failed validation, named as the caller wrote it (`jobs[2].target`). */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

/** A job request (or message) that breaks the schema: nothing is written or sent. */
export class JobValidationError extends JobError {
  readonly issues: readonly FieldIssue[];

  constructor(issues: readonly FieldIssue[]) {
    super('job.invalid', issues.map((i) => `${i.field}: ${i.message}`).join('; '));
    this.issues = issues;
  }
}

/**
 * Thrown by a capability when retrying cannot help (bad target, refused by policy, invalid
 * credentials): the job fails at once with this reason.
 */
export class PermanentError extends JobError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'job.permanent', message, options);
  }
}

/** Thrown by a capability for a failure worth retrying (the remote was busy, a timeout). */
export class TransientError extends JobError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'job.transient', message, options);
  }
}
