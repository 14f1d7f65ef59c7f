/**
 * A stored job item as code reads it: parsed once, by a schema, where it leaves the table (the
 * store adapters), so no caller coerces stored fields by hand. Attributes the schema does not
 * name — index and TTL bookkeeping such as `openKey` or `expiresAt`, or fields of a newer
 * version — are dropped, never a reason to fail.
 */
import { z } from 'zod';
import { JobError } from './errors.js';
import { JOB_KEY_PREFIX } from './keys.js';
import { STATUS, statusCode } from './status.js';

const text = z.string();

/** One transition recorded on the job; the attempt-ending ones carry its execution record. */
export const historyEntrySchema = z.looseObject({
  status: text,
  at: text,
  owner: text.optional(),
  attempt: z.number().int().optional(),
  worker: text.optional(),
  startedAt: text.optional(),
  resultKey: text.optional(),
  error: text.optional(),
});

/** A job item of the table (without the tenant partition, which the tenancy layer strips). */
export const jobRecordSchema = z
  .object({
    key: text.startsWith(JOB_KEY_PREFIX),
    capability: text.min(1),
    target: text,
    input: z.record(z.string(), z.unknown()).default({}),
    /** `CODE#RFC3339`; `code` below is its parsed code. */
    status: text,
    /** `JQ` for a run, `JQA` for the completion of an async job; the claim keeps it. */
    phase: z.enum([STATUS.queued, STATUS.asyncReturning]).default(STATUS.queued),
    attempt: z.number().int().min(0).default(0),
    created: text,
    updated: text,
    allowRepeat: z.boolean().default(false),
    source: text.optional(),
    history: z.array(historyEntrySchema).default([]),
    depth: z.number().int().min(0).default(0),
    parent: text.optional(),
    root: text.optional(),
    owner: text.optional(),
    leaseUntil: text.optional(),
    started: text.optional(),
    finished: text.optional(),
    asyncRef: text.optional(),
    asyncDeadline: text.optional(),
    asyncResult: z.record(z.string(), z.unknown()).optional(),
    resultKey: text.optional(),
    error: text.optional(),
    /** A stable code of `error` (`cancelled` when job control ended the job). */
    errorCode: text.optional(),
    /** Job control asked the running attempt to stop (when), and who did. */
    cancelRequested: text.optional(),
    cancelledBy: text.optional(),
    /** Per-job options chosen at enqueue (within the capability's bounds). */
    timeoutMs: z.number().int().positive().optional(),
    maxAttempts: z.number().int().positive().optional(),
    lastError: text.optional(),
    /** When the sweeper looks at the open job next (`by-open`'s sort key; gone once finished). */
    sweepAt: text.optional(),
    /** What a passed job spawned (workers/cascade.ts writes it). */
    cascade: z.record(z.string(), z.unknown()).optional(),
  })
  .transform((job, ctx) => {
    const code = statusCode(job.status);
    if (code) return { ...job, code };
    ctx.issues.push({
      code: 'custom',
      path: ['status'],
      message: 'must be CODE#time with a known code',
      input: job.status,
    });
    return z.NEVER;
  });

/** A parsed job item. `code` is the code of `status` (`JR` for `JR#2026-…`). */
export type JobRecord = z.output<typeof jobRecordSchema>;

/** One entry of a job's `history`. */
export type HistoryEntry = z.output<typeof historyEntrySchema>;

/** A stored job item that does not parse: a bug or a hand edit, never a reason to crash a worker. */
export class InvalidJobRecordError extends JobError {
  /** The item's key when it had one. */
  readonly key: string | undefined;

  constructor(key: string | undefined, reason: string, options?: { cause?: unknown }) {
    super('job.invalidRecord', `stored job ${key ?? '(no key)'} is invalid: ${reason}`, options);
    this.key = key;
  }
}

/**
 * A conditional write of a job was refused: someone else owns it, finished it, or it is gone.
 * Business logic, not a failure; `stored` is the job as it was (undefined when there was none).
 */
export class JobConflictError extends JobError {
  readonly key: string;
  readonly stored: JobRecord | undefined;

  constructor(key: string, stored: JobRecord | undefined, options?: { cause?: unknown }) {
    super('job.conflict', `job ${key} changed or is gone`, options);
    this.key = key;
    this.stored = stored;
  }
}

/**
 * Parses a stored job item.
 * @throws InvalidJobRecordError naming the first field that breaks the schema.
 */
export function parseJobRecord(raw: unknown): JobRecord {
  const parsed = jobRecordSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const key =
    typeof raw === 'object' && raw !== null && 'key' in raw && typeof raw.key === 'string'
      ? raw.key
      : undefined;
  const issue = parsed.error.issues[0];
  const reason = issue ? `${issue.path.map(String).join('.') || '(item)'}: ${issue.message}` : 'invalid';
  throw new InvalidJobRecordError(key, reason, { cause: parsed.error });
}
