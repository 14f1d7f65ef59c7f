import type { Condition } from '../tenancy/expressions.js';
import { STATUS, statusPrefix } from './status.js';

/**
 * A worker may claim a job that is queued (`JQ#`), returning from async (`JQA#`), or running
 * (`JR#`, never `JRA#`) under a lease that has expired (its worker died). Pure.
 */
export function claimCondition(now: Date, capability: string): Condition {
  return {
    expression:
      '(begins_with(#cs, :cQueued) OR begins_with(#cs, :cReturning) OR (begins_with(#cs, :cRunning) AND #cl < :cNow)) AND #cc = :cCap',
    names: { '#cs': 'status', '#cl': 'leaseUntil', '#cc': 'capability' },
    values: {
      ':cQueued': statusPrefix(STATUS.queued),
      ':cReturning': statusPrefix(STATUS.asyncReturning),
      ':cRunning': statusPrefix(STATUS.running),
      ':cNow': now.toISOString(),
      ':cCap': capability,
    },
  };
}

/** Every write of an attempt after its claim: only while this owner's attempt still runs (fencing). */
export function ownerCondition(owner: string, attempt: number): Condition {
  return {
    expression: 'begins_with(#fs, :fRunning) AND #fo = :fOwner AND #fa = :fAttempt',
    names: { '#fs': 'status', '#fo': 'owner', '#fa': 'attempt' },
    values: { ':fRunning': statusPrefix(STATUS.running), ':fOwner': owner, ':fAttempt': attempt },
  };
}
