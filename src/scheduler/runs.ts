import type { Condition, Item, UpdateSpec } from '../tenancy/index.js';
import { nextRunAfter, type StoredSchedule } from './schedule.js';

/** Sort-key prefix of schedule runs: `#execution#schedule#{id}#{dueTime}`. */
export const SCHEDULE_EXECUTION_PREFIX = '#execution#schedule#';
/** Executions expire (DynamoDB TTL) after this long. */
export const EXECUTION_TTL_MS = 30 * 86_400_000;

/** One run of a schedule: its due time is its identity. */
export function scheduleExecutionKey(id: string, dueTime: string): string {
  return `${SCHEDULE_EXECUTION_PREFIX}${id}#${dueTime}`;
}

/** The conditional update that claims one due time of a schedule, and the next due time it sets. */
export interface ClaimPlan {
  readonly dueTime: string;
  readonly next: string;
  readonly update: UpdateSpec;
  readonly condition: Condition;
}

/**
 * Claims the run due at `schedule.nextRun`: moves `nextRun` to the first occurrence after
 * `max(now, nextRun)` only if `nextRun` is still what this replica saw and the schedule is still
 * enabled. Of several replicas that saw the same due time exactly one update succeeds, so a run
 * fires once. Missed occurrences (a scheduler that was down) coalesce into this one run. Pure.
 */
export function claimPlan(schedule: StoredSchedule, now: Date): ClaimPlan {
  const due = new Date(schedule.nextRun);
  const after = due.getTime() > now.getTime() ? due : now;
  const next = nextRunAfter(schedule.cadence, after).toISOString();
  return {
    dueTime: schedule.nextRun,
    next,
    update: {
      set: { nextRun: next, lastRun: schedule.nextRun, updated: now.toISOString() },
      add: { runs: 1 },
    },
    condition: {
      expression: '#cn = :cn AND #ce = :ce AND attribute_exists(#cd)',
      names: { '#cn': 'nextRun', '#ce': 'enabled', '#cd': 'dueKey' },
      values: { ':cn': schedule.nextRun, ':ce': true },
    },
  };
}

/**
 * Gives a claimed run back (the enqueue failed before anything was decided): `nextRun` returns to
 * the due time, only if nobody has moved it since. The next tick fires it again; jobs already
 * inserted by the failed attempt are refused by the producer's insert rules, so none runs twice. Pure.
 */
export function unclaimPlan(plan: ClaimPlan, now: Date): { update: UpdateSpec; condition: Condition } {
  return {
    update: { set: { nextRun: plan.dueTime, updated: now.toISOString() }, add: { runs: -1 } },
    condition: { expression: '#cn = :cn', names: { '#cn': 'nextRun' }, values: { ':cn': plan.next } },
  };
}

/**
 * Takes a schedule that cannot be read back out of the due index (its `dueKey` removed, `enabled`
 * false) and says why on the item, so it stops being retried every tick and an operator sees it. Pure.
 */
export function quarantinePlan(
  nextRun: string,
  reason: string,
  now: Date,
): { update: UpdateSpec; condition: Condition } {
  return {
    update: {
      set: { enabled: false, invalid: reason.slice(0, 1000), updated: now.toISOString() },
      remove: ['dueKey'],
    },
    condition: { expression: '#cn = :cn', names: { '#cn': 'nextRun' }, values: { ':cn': nextRun } },
  };
}

/** What one enqueue of a run answered, per target. */
export interface RunJob {
  readonly key: string;
  readonly target: string;
  readonly accepted: boolean;
  /** Why the producer refused it (`alreadyQueued`, …) — business logic, not an error. */
  readonly reason?: string;
  /** Accepted but its message not sent yet: the sweeper re-sends it. */
  readonly unsent?: boolean;
}

/** The fields of one run, as recorded. */
export interface RunRecord {
  readonly dueTime: string;
  readonly firedAt: string;
  readonly jobs: readonly RunJob[];
  /** Set when nothing could be enqueued (e.g. the capability no longer validates). */
  readonly error?: string;
}

/** The execution item of one run of a schedule: counts, per-target answers, TTL. Pure. */
export function scheduleExecutionItem(schedule: StoredSchedule, run: RunRecord): Item {
  const accepted = run.jobs.filter((j) => j.accepted).length;
  return {
    key: scheduleExecutionKey(schedule.id, run.dueTime),
    kind: 'execution',
    schedule: schedule.id,
    capability: schedule.capability,
    dueTime: run.dueTime,
    firedAt: run.firedAt,
    accepted,
    rejected: run.error ? schedule.targets.length : run.jobs.length - accepted,
    jobs: run.jobs,
    outcome: run.error ? 'failed' : 'fired',
    ...(run.error ? { error: run.error } : {}),
    expiresAt: Math.floor((Date.parse(run.firedAt) + EXECUTION_TTL_MS) / 1000),
  };
}
