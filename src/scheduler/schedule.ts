import { randomUUID } from 'node:crypto';
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { parseDuration } from '../config/duration.js';
import { type CapabilityRegistry, checkJobRequest, type FieldIssue, shardOf } from '../jobs/index.js';
import { ScheduleValidationError } from './errors.js';

/** Sort-key prefix of schedule items: `#schedule#{id}`. */
export const SCHEDULE_KEY_PREFIX = '#schedule#';
/** Partition prefix of the `by-due` index: `due#{shard}`. */
export const DUE_KEY_PREFIX = 'due#';
/** Most targets one schedule may fan out to (one job each per due time). */
export const MAX_SCHEDULE_TARGETS = 100;
/** Shortest interval: a schedule is not a busy loop, and cron has minute resolution too. */
export const MIN_INTERVAL_MS = 60_000;
/** Longest interval. */
export const MAX_INTERVAL_MS = 366 * 86_400_000;

const SCHEDULE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const CRON_MACRO = /^@(yearly|annually|monthly|weekly|daily|hourly)$/;

/** When a schedule fires: exactly one of an interval (`every: '15m'`) or a 5-field cron (UTC). */
export interface ScheduleTiming {
  readonly every?: string;
  readonly cron?: string;
}

/** A validated schedule request, targets normalized for its capability. */
export interface ScheduleSpec extends ScheduleTiming {
  readonly id?: string;
  readonly capability: string;
  readonly targets: readonly string[];
  readonly input?: Readonly<Record<string, unknown>>;
  readonly enabled: boolean;
}

/**
 * The stored schedule item (without the tenant partition). `dueKey` exists only while the
 * schedule is enabled, so the `by-due` index holds only schedules that can fire.
 */
export interface Schedule extends ScheduleTiming {
  readonly key: string;
  readonly kind: 'schedule';
  readonly id: string;
  readonly capability: string;
  readonly targets: readonly string[];
  readonly input?: Readonly<Record<string, unknown>>;
  readonly enabled: boolean;
  /** The next due time (ISO 8601, UTC); the scheduler claims a run by moving it forward. */
  readonly nextRun: string;
  readonly dueKey?: string;
  readonly created: string;
  readonly updated: string;
  /** The due time of the latest run the scheduler claimed. */
  readonly lastRun?: string;
}

/** True for an id usable in `#schedule#{id}`: 1-64 letters, digits, `.`, `_`, `-`. */
export function isScheduleId(id: unknown): id is string {
  return typeof id === 'string' && SCHEDULE_ID.test(id);
}

/** A fresh schedule id. */
export function newScheduleId(): string {
  return randomUUID();
}

/** `#schedule#{id}`. */
export function scheduleKey(id: string): string {
  return `${SCHEDULE_KEY_PREFIX}${id}`;
}

/** `due#{shard}`: one partition of the `by-due` index. */
export function dueKey(shard: number): string {
  return `${DUE_KEY_PREFIX}${shard}`;
}

/** The `by-due` partition of one schedule: deterministic, so updates keep it in one shard. */
export function dueKeyOf(tenant: string, id: string, shards: number): string {
  return dueKey(shardOf(tenant, scheduleKey(id), shards));
}

/** The interval of `every` in ms, or why it is refused. Pure. */
export function parseInterval(every: string): { ms: number } | { problem: string } {
  const ms = parseDuration(every);
  if (ms === undefined) return { problem: 'must be a duration such as 15m, 6h or 1d' };
  if (ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) return { problem: 'must be from 1m to 366d' };
  return { ms };
}

/** Why a cron expression is refused (5 fields or an @macro, evaluated in UTC), or undefined. Pure. */
export function cronProblem(cron: string): string | undefined {
  const text = cron.trim();
  if (!CRON_MACRO.test(text) && text.split(/\s+/).length !== 5) {
    return 'must have 5 fields (minute hour day-of-month month day-of-week) or be an @macro';
  }
  try {
    CronExpressionParser.parse(text, { tz: 'UTC', currentDate: new Date(0) }).next();
    return undefined;
  } catch (error) {
    // cron-parser's messages name the bad field; they are shown to the caller, not matched on.
    return `is not a valid cron expression (${error instanceof Error ? error.message : 'invalid'})`;
  }
}

/**
 * The first due time strictly after `after`. Intervals stay aligned to the schedule's current
 * `nextRun` when it has one (`nextRun + k·every`), so the cadence never drifts with the scheduler's
 * tick; cron is evaluated in UTC. Missed occurrences are not replayed: from `after = now` the result
 * is always in the future. Pure.
 * @throws ScheduleValidationError when the timing is invalid (validate first).
 */
export function nextOccurrence(schedule: ScheduleTiming & { readonly nextRun?: string }, after: Date): Date {
  if (schedule.every !== undefined) {
    const interval = parseInterval(schedule.every);
    if ('problem' in interval)
      throw new ScheduleValidationError([{ field: 'every', message: interval.problem }]);
    const anchor = schedule.nextRun === undefined ? Number.NaN : Date.parse(schedule.nextRun);
    if (Number.isNaN(anchor)) return new Date(after.getTime() + interval.ms);
    const steps = Math.floor((after.getTime() - anchor) / interval.ms) + 1;
    return new Date(anchor + steps * interval.ms);
  }
  if (schedule.cron !== undefined) {
    const problem = cronProblem(schedule.cron);
    if (problem) throw new ScheduleValidationError([{ field: 'cron', message: problem }]);
    return CronExpressionParser.parse(schedule.cron.trim(), { tz: 'UTC', currentDate: after })
      .next()
      .toDate();
  }
  throw new ScheduleValidationError([{ field: 'every', message: 'one of every or cron is required' }]);
}

const requestShape = z.strictObject({
  id: z.string().optional(),
  capability: z.string(),
  targets: z.array(z.string()).min(1).max(MAX_SCHEDULE_TARGETS),
  input: z.record(z.string(), z.unknown()).optional(),
  every: z.string().optional(),
  cron: z.string().optional(),
  enabled: z.boolean().optional(),
});

function timingIssues(every: string | undefined, cron: string | undefined): FieldIssue[] {
  if ((every === undefined) === (cron === undefined)) {
    return [
      { field: every === undefined ? 'every' : 'cron', message: 'exactly one of every or cron is required' },
    ];
  }
  if (every !== undefined) {
    const interval = parseInterval(every);
    return 'problem' in interval ? [{ field: 'every', message: interval.problem }] : [];
  }
  const problem = cron === undefined ? undefined : cronProblem(cron);
  return problem ? [{ field: 'cron', message: problem }] : [];
}

/** Checks every target as the producer will (capability, target kind, input schema). */
function targetIssues(
  request: z.output<typeof requestShape>,
  registry: CapabilityRegistry,
): { targets: string[]; issues: FieldIssue[] } {
  const targets: string[] = [];
  const issues = new Map<string, string>();
  request.targets.forEach((target, i) => {
    const checked = checkJobRequest(
      { capability: request.capability, target, ...(request.input ? { input: request.input } : {}) },
      registry,
      '',
    );
    if (!Array.isArray(checked)) {
      if (targets.includes(checked.target)) issues.set(`targets[${i}]`, 'duplicates an earlier target');
      targets.push(checked.target);
      return;
    }
    // Capability and input problems are the same for every target: report them once.
    for (const issue of checked)
      issues.set(issue.field === 'target' ? `targets[${i}]` : issue.field, issue.message);
  });
  return { targets, issues: [...issues].map(([field, message]) => ({ field, message })) };
}

/**
 * Validates a schedule request: shape, id, timing, and each target against its capability the way
 * the producer will, so a stored schedule never fires jobs the producer refuses. Pure.
 * @throws ScheduleValidationError naming every bad field.
 */
export function validateSchedule(raw: unknown, registry: CapabilityRegistry): ScheduleSpec {
  const shaped = requestShape.safeParse(raw);
  if (!shaped.success) {
    throw new ScheduleValidationError(
      shaped.error.issues.map((issue) => ({
        field: issue.path.map(String).join('.') || '(body)',
        message: issue.message,
      })),
    );
  }
  const request = shaped.data;
  const issues: FieldIssue[] = [];
  if (request.id !== undefined && !isScheduleId(request.id)) {
    issues.push({
      field: 'id',
      message: 'must be 1-64 letters, digits, . _ or -, starting with a letter or digit',
    });
  }
  issues.push(...timingIssues(request.every, request.cron));
  const checked = targetIssues(request, registry);
  issues.push(...checked.issues);
  if (issues.length > 0) throw new ScheduleValidationError(issues);
  return {
    ...(request.id === undefined ? {} : { id: request.id }),
    capability: request.capability,
    targets: checked.targets,
    ...(request.input === undefined ? {} : { input: request.input }),
    ...(request.every === undefined ? {} : { every: request.every }),
    ...(request.cron === undefined ? {} : { cron: request.cron.trim() }),
    enabled: request.enabled ?? true,
  };
}

/**
 * The item for a new schedule. The first run of an interval schedule is due at once (`startAt`,
 * default `now`); a cron schedule's first run is its first occurrence after `now`. Pure.
 */
export function scheduleItem(
  tenant: string,
  spec: ScheduleSpec,
  options: { id: string; now: Date; shards: number; startAt?: Date },
): Schedule {
  if (!isScheduleId(options.id))
    throw new ScheduleValidationError([{ field: 'id', message: 'invalid schedule id' }]);
  const now = options.now.toISOString();
  const first =
    spec.every !== undefined
      ? (options.startAt ?? options.now)
      : nextOccurrence(spec, options.startAt ?? options.now);
  return {
    key: scheduleKey(options.id),
    kind: 'schedule',
    id: options.id,
    capability: spec.capability,
    targets: [...spec.targets],
    ...(spec.input === undefined ? {} : { input: spec.input }),
    ...(spec.every === undefined ? {} : { every: spec.every }),
    ...(spec.cron === undefined ? {} : { cron: spec.cron }),
    enabled: spec.enabled,
    nextRun: first.toISOString(),
    ...(spec.enabled ? { dueKey: dueKeyOf(tenant, options.id, options.shards) } : {}),
    created: now,
    updated: now,
  };
}

const storedShape = z.object({
  key: z.string().startsWith(SCHEDULE_KEY_PREFIX),
  kind: z.literal('schedule'),
  id: z.string().refine(isScheduleId, { message: 'invalid schedule id' }),
  capability: z.string().min(1),
  targets: z.array(z.string().min(1)).min(1).max(MAX_SCHEDULE_TARGETS),
  input: z.record(z.string(), z.unknown()).optional(),
  every: z.string().optional(),
  cron: z.string().optional(),
  enabled: z.boolean(),
  nextRun: z.iso.datetime(),
  dueKey: z.string().startsWith(DUE_KEY_PREFIX).optional(),
  created: z.string(),
  updated: z.string(),
  lastRun: z.string().optional(),
});

/**
 * Reads a stored schedule item back (other attributes are dropped). Pure.
 * @throws ScheduleValidationError `schedule.corrupt` naming each bad attribute.
 */
export function parseScheduleItem(raw: unknown): Schedule {
  const parsed = storedShape.safeParse(raw);
  const issues: FieldIssue[] = parsed.success
    ? timingIssues(parsed.data.every, parsed.data.cron)
    : parsed.error.issues.map((issue) => ({
        field: issue.path.map(String).join('.') || '(item)',
        message: issue.message,
      }));
  if (!parsed.success || issues.length > 0) throw new ScheduleValidationError(issues, 'schedule.corrupt');
  return parsed.data as Schedule;
}
