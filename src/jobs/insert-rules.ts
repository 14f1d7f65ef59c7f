import type { Condition } from '../tenancy/expressions.js';
import { STATUS, type StatusCode, statusCode, statusPrefix } from './status.js';

/** Thresholds of the insert rules (from config; defaults 12 h and 2 days). */
export interface InsertThresholds {
  /** Rule 4: a passed job may run again once it was created this long ago. */
  readonly rescanAfterMs: number;
  /** Rule 6: any job created this long ago may be replaced (stuck-job safety net). */
  readonly safetyNetAfterMs: number;
}

export const INSERT_RULES = [
  'new',
  'previousFailed',
  'asyncReturning',
  'rescanDue',
  'allowRepeat',
  'safetyNet',
] as const;
export type InsertRule = (typeof INSERT_RULES)[number];

/**
 * The condition under which a job `PutItem` is accepted: ANY of the six rules. Built fresh per
 * insert because rules 4 and 6 compare `created` with thresholds relative to `now`. Pure.
 *
 * 1. no item with this key; 2. previous run failed; 3. inbound `JQA` over a stored `JRA`;
 * 4. previous run passed and was created before now − rescanAfter; 5. stored `allowRepeat`;
 * 6. stored job created before now − safetyNetAfter.
 */
export function insertCondition(inbound: StatusCode, now: Date, thresholds: InsertThresholds): Condition {
  const rescanBefore = new Date(now.getTime() - thresholds.rescanAfterMs).toISOString();
  const safetyBefore = new Date(now.getTime() - thresholds.safetyNetAfterMs).toISOString();
  const clauses = [
    'attribute_not_exists(#ik)',
    'begins_with(#is, :iFailed)',
    ...(inbound === STATUS.asyncReturning ? ['begins_with(#is, :iAsyncRunning)'] : []),
    '(begins_with(#is, :iPassed) AND #ic < :iRescanBefore)',
    '#ir = :iTrue',
    '#ic < :iSafetyBefore',
  ];
  return {
    expression: clauses.join(' OR '),
    names: { '#ik': 'key', '#is': 'status', '#ic': 'created', '#ir': 'allowRepeat' },
    values: {
      ':iFailed': statusPrefix(STATUS.failed),
      ...(inbound === STATUS.asyncReturning ? { ':iAsyncRunning': statusPrefix(STATUS.asyncRunning) } : {}),
      ':iPassed': statusPrefix(STATUS.passed),
      ':iRescanBefore': rescanBefore,
      ':iTrue': true,
      ':iSafetyBefore': safetyBefore,
    },
  };
}

/** A stored job as read back; the rules look at `status`, `created` and `allowRepeat`. */
export type StoredJobFacts = Readonly<Record<string, unknown>>;

/**
 * Which rule lets an insert replace `stored` (undefined: rejected). The same logic as
 * `insertCondition`, evaluated in memory: used to explain outcomes and to test the expression. Pure.
 */
export function acceptingRule(
  stored: StoredJobFacts | undefined,
  inbound: StatusCode,
  now: Date,
  thresholds: InsertThresholds,
): InsertRule | undefined {
  if (!stored) return 'new';
  const status = typeof stored.status === 'string' ? stored.status : '';
  const created = typeof stored.created === 'string' ? stored.created : undefined;
  const before = (ms: number) =>
    created !== undefined && created < new Date(now.getTime() - ms).toISOString();
  if (status.startsWith(statusPrefix(STATUS.failed))) return 'previousFailed';
  if (inbound === STATUS.asyncReturning && status.startsWith(statusPrefix(STATUS.asyncRunning)))
    return 'asyncReturning';
  if (status.startsWith(statusPrefix(STATUS.passed)) && before(thresholds.rescanAfterMs)) return 'rescanDue';
  if (stored.allowRepeat === true) return 'allowRepeat';
  if (before(thresholds.safetyNetAfterMs)) return 'safetyNet';
  return undefined;
}

/** Why an insert was rejected, from the stored status: what the caller is told. */
export type RejectReason = 'alreadyQueued' | 'alreadyRunning' | 'recentlyPassed' | 'notReturnable';

export function rejectReason(storedStatus: unknown, inbound: StatusCode): RejectReason {
  const code = statusCode(storedStatus);
  if (inbound === STATUS.asyncReturning && code !== STATUS.asyncRunning) return 'notReturnable';
  if (code === STATUS.running || code === STATUS.asyncRunning) return 'alreadyRunning';
  if (code === STATUS.passed) return 'recentlyPassed';
  return 'alreadyQueued';
}
