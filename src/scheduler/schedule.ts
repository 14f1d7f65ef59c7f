import { randomBytes } from 'node:crypto';
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { parseDuration } from '../config/duration.js';
import {
  type CapabilityRegistry,
  checkJobRequest,
  type FieldIssue,
  MAX_INPUT_BYTES,
  MAX_TARGET_LENGTH,
  type NewJob,
  shardOf,
} from '../jobs/index.js';
import { ScheduleValidationError } from './errors.js';

/** Sort-key prefix of schedule items: `#schedule#{id}`. */
export const SCHEDULE_PREFIX = '#schedule#';
/** Partition prefix of the `by-due` index: an enabled schedule carries `dueKey = due#{shard}`. */
export const DUE_PREFIX = 'due#';
/** Bounds of an interval: the scheduler wakes every minute by default, so less is pointless. */
export const INTERVAL_BOUNDS = { minMs: 60_000, maxMs: 366 * 86_400_000 } as const;
/** Targets one schedule may fan out to. */
export const MAX_SCHEDULE_TARGETS = 100;

const SCHEDULE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const CRON_MACROS = new Set(['@hourly', '@daily', '@weekly', '@monthly', '@yearly', '@annually']);

/** A fresh schedule id: `sch_` and 16 hex digits. */
export function newScheduleId(): string {
  return `sch_${randomBytes(8).toString('hex')}`;
}

export function isScheduleId(id: unknown): id is string {
  return typeof id === 'string' && SCHEDULE_ID.test(id);
}

/** `#schedule#{id}`. @throws ScheduleValidationError for an id that is not 1-64 of `A-Za-z0-9_-`. */
export function scheduleKey(id: string): string {
  if (!isScheduleId(id)) {
    throw new ScheduleValidationError([{ field: 'id', message: 'must be 1-64 letters, digits, _ or -' }]);
  }
  return `${SCHEDULE_PREFIX}${id}`;
}

/** `due#{shard}`: the `by-due` partition of a tenant's schedule, stable across its updates. */
export function dueKey(tenant: string, id: string, shards: number): string {
  return `${DUE_PREFIX}${shardOf(tenant, scheduleKey(id), shards)}`;
}

/** When a schedule fires: a fixed interval, or a 5-field cron expression (optionally in a time zone). */
export type Cadence =
  | { readonly intervalMs: number }
  | { readonly cron: string; readonly timezone?: string | undefined };

function timezoneProblem(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return undefined;
  } catch {
    return 'must be an IANA time zone such as Europe/Paris';
  }
}

/** Why a cron expression is refused, or undefined. Five fields (no seconds) or an @-macro. Pure. */
export function cronProblem(cron: string, timezone?: string): string | undefined {
  const text = cron.trim();
  if (!CRON_MACROS.has(text) && text.split(/\s+/).length !== 5) {
    return 'must have 5 fields (minute hour day-of-month month day-of-week) or be @hourly, @daily, …';
  }
  try {
    CronExpressionParser.parse(text, { currentDate: new Date(0), ...(timezone ? { tz: timezone } : {}) });
    return undefined;
  } catch {
    // The parser's message quotes the expression back; it is not kept.
    return 'is not a valid cron expression';
  }
}

/**
 * The first run strictly after `after`. Pure.
 * @throws ScheduleValidationError for a cadence that `cronProblem` refuses.
 */
export function nextRunAfter(cadence: Cadence, after: Date): Date {
  if ('intervalMs' in cadence) return new Date(after.getTime() + cadence.intervalMs);
  const problem = cronProblem(cadence.cron, cadence.timezone);
  if (problem) throw new ScheduleValidationError([{ field: 'cron', message: problem }]);
  const expression = CronExpressionParser.parse(cadence.cron.trim(), {
    currentDate: after,
    ...(cadence.timezone ? { tz: cadence.timezone } : {}),
  });
  return expression.next().toDate();
}

/** What a caller sends to create a schedule. Unknown fields are refused. */
export const scheduleInputSchema = z
  .strictObject({
    capability: z.string().max(64),
    targets: z.array(z.string().max(MAX_TARGET_LENGTH)).min(1).max(MAX_SCHEDULE_TARGETS),
    input: z.record(z.string(), z.unknown()).optional(),
    /** A duration such as `15m`, `6h`, `1d` (≥ 1 minute). Exactly one of interval and cron. */
    interval: z.string().max(32).optional(),
    /** Five cron fields, e.g. `0 3 * * 1`, or @hourly / @daily / @weekly / @monthly / @yearly. */
    cron: z.string().max(200).optional(),
    /** IANA time zone of `cron`. Default UTC. */
    timezone: z.string().max(64).optional(),
    /** Default true; a disabled schedule never fires (it leaves the `by-due` index). */
    enabled: z.boolean().optional(),
    /** First run (interval schedules). Default now + interval. */
    startAt: z.iso.datetime({ offset: true }).optional(),
  })
  .superRefine((value, ctx) => {
    if ((value.interval === undefined) === (value.cron === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['interval'], message: 'set exactly one of interval and cron' });
    }
    if (value.timezone !== undefined && value.cron === undefined) {
      ctx.addIssue({ code: 'custom', path: ['timezone'], message: 'only applies to cron schedules' });
    }
    if (value.startAt !== undefined && value.cron !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['startAt'], message: 'only applies to interval schedules' });
    }
  });

export type ScheduleInput = z.input<typeof scheduleInputSchema>;

/** A validated schedule: normalized targets, the capability's parsed input, and its cadence. */
export interface ScheduleSpec {
  readonly capability: string;
  readonly targets: readonly string[];
  readonly input: Readonly<Record<string, unknown>>;
  readonly cadence: Cadence;
  readonly enabled: boolean;
  readonly startAt?: Date;
}

function cadenceOf(value: z.output<typeof scheduleInputSchema>, issues: FieldIssue[]): Cadence | undefined {
  if (value.interval !== undefined) {
    const ms = parseDuration(value.interval);
    if (ms === undefined || ms < INTERVAL_BOUNDS.minMs || ms > INTERVAL_BOUNDS.maxMs) {
      issues.push({
        field: 'interval',
        message: 'must be a duration from 1m to 366d, such as 15m, 6h or 1d',
      });
      return undefined;
    }
    return { intervalMs: ms };
  }
  const cron = value.cron ?? '';
  const zoneProblem = value.timezone === undefined ? undefined : timezoneProblem(value.timezone);
  if (zoneProblem) issues.push({ field: 'timezone', message: zoneProblem });
  const problem = cronProblem(cron, zoneProblem ? undefined : value.timezone);
  if (problem) issues.push({ field: 'cron', message: problem });
  if (zoneProblem || problem) return undefined;
  return { cron: cron.trim(), ...(value.timezone ? { timezone: value.timezone } : {}) };
}

/** Checks every target as a job of the capability; field names become `targets[i]`, `input.x`. */
function jobsOf(
  value: z.output<typeof scheduleInputSchema>,
  registry: CapabilityRegistry,
  issues: FieldIssue[],
): NewJob[] {
  const jobs: NewJob[] = [];
  const seen = new Set<string>();
  value.targets.forEach((target, i) => {
    const checked = checkJobRequest(
      { capability: value.capability, target, ...(value.input ? { input: value.input } : {}) },
      registry,
      '',
    );
    if (!Array.isArray(checked)) {
      jobs.push(checked);
      return;
    }
    for (const issue of checked) {
      const field = issue.field === 'target' ? `targets[${i}]` : issue.field;
      const text = `${field}\u0000${issue.message}`;
      if (!seen.has(text)) issues.push({ field, message: issue.message });
      seen.add(text);
    }
  });
  return jobs;
}

function issuesOf(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)',
    message: issue.message,
  }));
}

/**
 * Validates a schedule request against the shape, its capability's input schema and the target
 * rules (the same checks an enqueue makes), so a schedule cannot store what would never enqueue. Pure.
 * @throws ScheduleValidationError (`schedule.invalid`) naming every bad field.
 */
export function parseScheduleInput(raw: unknown, registry: CapabilityRegistry): ScheduleSpec {
  const parsed = scheduleInputSchema.safeParse(raw);
  if (!parsed.success) throw new ScheduleValidationError(issuesOf(parsed.error));
  const value = parsed.data;
  const issues: FieldIssue[] = [];
  const cadence = cadenceOf(value, issues);
  const jobs = jobsOf(value, registry, issues);
  if (Buffer.byteLength(JSON.stringify(value.input ?? {})) > MAX_INPUT_BYTES) {
    issues.push({ field: 'input', message: `must serialize to at most ${MAX_INPUT_BYTES} bytes` });
  }
  const first = jobs[0];
  if (issues.length > 0 || !cadence || !first) throw new ScheduleValidationError(issues);
  return {
    capability: first.capability,
    targets: [...new Set(jobs.map((job) => job.target))],
    input: first.input,
    cadence,
    enabled: value.enabled ?? true,
    ...(value.startAt ? { startAt: new Date(value.startAt) } : {}),
  };
}

export interface ScheduleItemOptions {
  readonly id: string;
  readonly tenant: string;
  readonly now: Date;
  /** `config.indexShards`. */
  readonly shards: number;
  /** The user who created it (kept for audit). */
  readonly createdBy: string;
}

/**
 * The stored item of a new schedule (without the tenant partition, which the tenancy layer adds).
 * `dueKey` is set only while enabled, so the sparse `by-due` index holds only schedules that may
 * fire. Pure.
 */
export function scheduleItem(spec: ScheduleSpec, options: ScheduleItemOptions) {
  const now = options.now.toISOString();
  const first =
    spec.startAt && 'intervalMs' in spec.cadence ? spec.startAt : nextRunAfter(spec.cadence, options.now);
  return {
    key: scheduleKey(options.id),
    kind: 'schedule',
    id: options.id,
    capability: spec.capability,
    targets: [...spec.targets],
    input: spec.input,
    ...('intervalMs' in spec.cadence
      ? { intervalMs: spec.cadence.intervalMs }
      : { cron: spec.cadence.cron, ...(spec.cadence.timezone ? { timezone: spec.cadence.timezone } : {}) }),
    enabled: spec.enabled,
    nextRun: first.toISOString(),
    ...(spec.enabled ? { dueKey: dueKey(options.tenant, options.id, options.shards) } : {}),
    runs: 0,
    created: now,
    updated: now,
    createdBy: options.createdBy,
  };
}

const storedSchema = z.object({
  key: z.string(),
  id: z.string().regex(SCHEDULE_ID),
  capability: z.string(),
  targets: z.array(z.string()).min(1),
  input: z.record(z.string(), z.unknown()).default({}),
  intervalMs: z.number().int().positive().optional(),
  cron: z.string().optional(),
  timezone: z.string().optional(),
  enabled: z.boolean(),
  nextRun: z.string(),
  dueKey: z.string().optional(),
  lastRun: z.string().optional(),
  runs: z.number().int().min(0).default(0),
  created: z.string(),
  updated: z.string(),
  createdBy: z.string().optional(),
});

/** A schedule as read back from the table. */
export type StoredSchedule = z.output<typeof storedSchema> & { readonly cadence: Cadence };

/**
 * Parses a stored schedule item. Pure.
 * @throws ScheduleValidationError (`schedule.corrupt`) when the item breaks the model.
 */
export function parseStoredSchedule(item: Readonly<Record<string, unknown>>): StoredSchedule {
  const parsed = storedSchema.safeParse(item);
  if (!parsed.success) throw new ScheduleValidationError(issuesOf(parsed.error), 'schedule.corrupt');
  const value = parsed.data;
  let cadence: Cadence;
  if (value.intervalMs !== undefined) cadence = { intervalMs: value.intervalMs };
  else if (value.cron !== undefined) cadence = { cron: value.cron, timezone: value.timezone };
  else
    throw new ScheduleValidationError(
      [{ field: 'cron', message: 'neither interval nor cron' }],
      'schedule.corrupt',
    );
  return { ...value, cadence };
}

/**
 * The item of a schedule replaced by `spec` (an update): a new cadence, targets, input or
 * `enabled`, with the next run computed afresh from `now`; its id, creation, creator, run count
 * and last run are kept. Pure.
 */
export function updatedScheduleItem(
  spec: ScheduleSpec,
  stored: StoredSchedule,
  options: Omit<ScheduleItemOptions, 'id' | 'createdBy'>,
) {
  const item = scheduleItem(spec, { ...options, id: stored.id, createdBy: stored.createdBy ?? 'unknown' });
  return {
    ...item,
    created: stored.created,
    runs: stored.runs,
    ...(stored.lastRun === undefined ? {} : { lastRun: stored.lastRun }),
  };
}

/** The condition of replacing a schedule: it still exists and no scheduler claimed a run since it was read. */
export function unchangedSchedule(stored: Pick<StoredSchedule, 'nextRun' | 'updated'>) {
  return {
    expression: '#nr = :nr AND #up = :up',
    names: { '#nr': 'nextRun', '#up': 'updated' },
    values: { ':nr': stored.nextRun, ':up': stored.updated },
  };
}
