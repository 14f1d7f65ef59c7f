import type { FieldIssue } from '../jobs/index.js';
import { ScanqError } from '../lib/errors.js';

/** Base of scheduler errors. */
export class SchedulerError extends ScanqError {}

/** A schedule request (or a stored schedule item) that breaks the model; each field is named. */
export class ScheduleValidationError extends SchedulerError {
  readonly issues: readonly FieldIssue[];

  constructor(issues: readonly FieldIssue[], code = 'schedule.invalid') {
    super(code, issues.map((i) => `${i.field}: ${i.message}`).join('; '));
    this.issues = issues;
  }
}

/** A schedule that is not there, or changed (a scheduler fired it) while it was being replaced. */
export class ScheduleConflictError extends SchedulerError {
  constructor(code: 'schedule.notFound' | 'schedule.changed', message: string) {
    super(code, message);
  }
}
