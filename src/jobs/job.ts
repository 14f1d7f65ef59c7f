import { z } from 'zod';
import { shardOfKey } from '../tenancy/shards.js';
import type { CapabilityDefinition, CapabilityRegistry } from './capability.js';
import { type FieldIssue, JobValidationError } from './errors.js';
import { isCapabilityName, jobKey, normalizeTarget } from './keys.js';
import { STATUS, statusValue } from './status.js';

/** Largest serialized `input` accepted (DynamoDB items are ≤ 400 KB; messages ≤ 256 KB). */
export const MAX_INPUT_BYTES = 32 * 1024;

/** What a caller asks for. */
export interface JobRequest {
  readonly capability: string;
  readonly target: string;
  readonly input?: Readonly<Record<string, unknown>>;
  /** Rule 5: a later insert may replace this job whatever its status. */
  readonly allowRepeat?: boolean;
  /** Seconds before the job's message becomes visible to workers (SQS `DelaySeconds`, 0-900). */
  readonly delaySeconds?: number;
  /** This job's attempt timeout in seconds, at most the capability's `bounds.maxTimeoutMs`. */
  readonly timeoutSeconds?: number;
  /** This job's attempt budget, at most the capability's `bounds.maxAttempts`. */
  readonly maxAttempts?: number;
}

/** SQS's largest `DelaySeconds`. */
export const MAX_DELAY_SECONDS = 900;

/** Per-job options a request may set, validated against the capability's bounds. */
export interface JobOptions {
  readonly delaySeconds?: number;
  readonly timeoutMs?: number;
  readonly maxAttempts?: number;
}

/** The largest timeout and attempt budget a job of `capability` may ask for. Pure. */
export function capabilityBounds(
  capability: Pick<CapabilityDefinition, 'timeoutMs' | 'maxAttempts' | 'bounds'>,
): {
  readonly maxTimeoutMs: number;
  readonly maxAttempts: number;
} {
  return {
    maxTimeoutMs: capability.bounds?.maxTimeoutMs ?? capability.timeoutMs,
    maxAttempts:
      capability.bounds?.maxAttempts ?? Math.max(capability.maxAttempts, DEFAULT_MAX_ATTEMPTS_BOUND),
  };
}

/** A job may ask for up to this many attempts unless its capability says otherwise. */
export const DEFAULT_MAX_ATTEMPTS_BOUND = 10;

/** The timeout and budget an attempt of this job runs with: its own options, else the capability's. */
export function effectiveLimits(
  capability: Pick<CapabilityDefinition, 'timeoutMs' | 'maxAttempts'>,
  job: { readonly timeoutMs?: number | undefined; readonly maxAttempts?: number | undefined },
): { readonly timeoutMs: number; readonly maxAttempts: number } {
  return {
    timeoutMs: job.timeoutMs ?? capability.timeoutMs,
    maxAttempts: job.maxAttempts ?? capability.maxAttempts,
  };
}

/** Lineage of a job spawned by another (cascade); user- and schedule-started jobs have none. */
export interface JobLineage {
  readonly parent: string;
  readonly root: string;
  readonly depth: number;
}

/** A validated, normalized job ready for the conditional insert. */
export interface NewJob {
  readonly key: string;
  readonly capability: string;
  readonly target: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly allowRepeat: boolean;
  /** `JQ`, or `JQA` for an async job returning from its outside scanner. */
  readonly status: typeof STATUS.queued | typeof STATUS.asyncReturning;
  readonly lineage?: JobLineage;
  /** For `JQA`: what the outside scanner returned (a pointer, never a secret). */
  readonly asyncResult?: Readonly<Record<string, unknown>>;
  /** Transitions carried over from the item this one replaces (async returns). */
  readonly history?: readonly unknown[];
  /** Per-job options (delay, timeout, attempts), validated. */
  readonly options?: JobOptions;
}

/** At most this many transitions are kept on a job item. */
export const MAX_HISTORY = 50;

/** Deepest nesting of `input` accepted (deeper would only be an attack on the serializer's stack). */
export const MAX_INPUT_DEPTH = 32;

/** True when objects/arrays nest deeper than `max` levels. Iterative, so it cannot overflow the stack. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const next = stack.pop();
    if (!next || typeof next.value !== 'object' || next.value === null) continue;
    if (next.depth >= max) return true;
    for (const child of Object.values(next.value)) stack.push({ value: child, depth: next.depth + 1 });
  }
  return false;
}

const requestShape = z.strictObject({
  capability: z.string(),
  target: z.string(),
  input: z.record(z.string(), z.unknown()).optional(),
  allowRepeat: z.boolean().optional(),
  delaySeconds: z.number().int().min(0).max(MAX_DELAY_SECONDS).optional(),
  timeoutSeconds: z.number().int().min(1).optional(),
  maxAttempts: z.number().int().min(1).optional(),
});

/** The request's options, each within `capability`'s bounds; problems are pushed to `issues`. */
function checkOptions(
  request: z.output<typeof requestShape>,
  capability: CapabilityDefinition,
  field: (name: string) => string,
  issues: FieldIssue[],
): JobOptions {
  const bounds = capabilityBounds(capability);
  const maxTimeoutSeconds = Math.floor(bounds.maxTimeoutMs / 1000);
  if (request.timeoutSeconds !== undefined && request.timeoutSeconds > maxTimeoutSeconds)
    issues.push({
      field: field('timeoutSeconds'),
      message: `must be at most ${maxTimeoutSeconds} for capability ${capability.name}`,
    });
  if (request.maxAttempts !== undefined && request.maxAttempts > bounds.maxAttempts)
    issues.push({
      field: field('maxAttempts'),
      message: `must be at most ${bounds.maxAttempts} for capability ${capability.name}`,
    });
  return {
    ...(request.delaySeconds ? { delaySeconds: request.delaySeconds } : {}),
    ...(request.timeoutSeconds === undefined ? {} : { timeoutMs: request.timeoutSeconds * 1000 }),
    ...(request.maxAttempts === undefined ? {} : { maxAttempts: request.maxAttempts }),
  };
}

/**
 * Validates one job request against the shape and its capability's schema, normalizing the
 * target. Every problem is collected, named from `path` (e.g. `jobs[3]`). Pure.
 */
export function checkJobRequest(
  raw: unknown,
  registry: CapabilityRegistry,
  path: string,
): NewJob | FieldIssue[] {
  const shaped = requestShape.safeParse(raw);
  if (!shaped.success) {
    return shaped.error.issues.map((issue) => ({
      field: [path, ...issue.path.map(String)].filter(Boolean).join('.'),
      message: issue.message,
    }));
  }
  const request = shaped.data;
  const issues: FieldIssue[] = [];
  const field = (name: string) => (path ? `${path}.${name}` : name);
  const capability = isCapabilityName(request.capability) ? registry.get(request.capability) : undefined;
  if (!capability) {
    issues.push({
      field: field('capability'),
      message: `unknown capability; known: ${registry.names().join(', ')}`,
    });
  }
  const target = normalizeTarget(capability?.targetKind ?? 'any', request.target);
  if (!target.ok) issues.push({ field: field('target'), message: target.reason });
  let input: Record<string, unknown> = {};
  const options = capability ? checkOptions(request, capability, field, issues) : {};
  if (capability) {
    const parsed = capability.input.safeParse(request.input ?? {});
    if (parsed.success) input = (parsed.data ?? {}) as Record<string, unknown>;
    else {
      for (const issue of parsed.error.issues) {
        issues.push({ field: [field('input'), ...issue.path.map(String)].join('.'), message: issue.message });
      }
    }
  }
  if (nestedDeeperThan(request.input ?? {}, MAX_INPUT_DEPTH)) {
    issues.push({ field: field('input'), message: `must nest at most ${MAX_INPUT_DEPTH} levels` });
  } else if (Buffer.byteLength(JSON.stringify(request.input ?? {})) > MAX_INPUT_BYTES) {
    issues.push({ field: field('input'), message: `must serialize to at most ${MAX_INPUT_BYTES} bytes` });
  }
  if (issues.length > 0 || !capability || !target.ok) return issues;
  return {
    key: jobKey(target.value, capability.name),
    capability: capability.name,
    target: target.value,
    input,
    allowRepeat: request.allowRepeat ?? false,
    status: STATUS.queued,
    ...(Object.keys(options).length > 0 ? { options } : {}),
  };
}

/**
 * Validates a batch: all or nothing, so a bad entry never half-enqueues a batch.
 * @throws JobValidationError naming every bad field.
 */
export function validateJobRequests(raw: readonly unknown[], registry: CapabilityRegistry): NewJob[] {
  const jobs: NewJob[] = [];
  const issues: FieldIssue[] = [];
  raw.forEach((entry, i) => {
    const checked = checkJobRequest(entry, registry, raw.length === 1 ? '' : `jobs[${i}]`);
    if (Array.isArray(checked)) issues.push(...checked);
    else jobs.push(checked);
  });
  if (issues.length > 0) throw new JobValidationError(issues);
  return jobs;
}

/** Deterministic shard of a job (or schedule) in a cross-tenant index, so its writes stay in one shard. */
export function shardOf(tenant: string, key: string, shards: number): number {
  return shardOfKey(`${tenant}\u0000${key}`, shards);
}

/** `open#shard`: the partition of a non-terminal job in the sweeper's `by-open` index. */
export function openKey(shard: number): string {
  return `open#${shard}`;
}

export interface ItemOptions {
  readonly now: Date;
  readonly ttlMs: number;
  /** Shards of the `by-open` index (`SCANQ_INDEX_SHARDS`). */
  readonly shards: number;
  /** The user or component that asked for the job (audit). */
  readonly source: string;
}

/** The stored job item (without the tenant partition, which the tenancy layer adds). */
export function jobItem(tenant: string, job: NewJob, options: ItemOptions) {
  const now = options.now.toISOString();
  return {
    key: job.key,
    kind: 'job',
    capability: job.capability,
    target: job.target,
    input: job.input,
    status: statusValue(job.status, options.now),
    /** `JQ` for a run, `JQA` for the completion of an async job; the claim keeps it. */
    phase: job.status,
    created: now,
    updated: now,
    allowRepeat: job.allowRepeat,
    attempt: 0,
    history: [...(job.history ?? []), { status: job.status, at: now }].slice(-MAX_HISTORY),
    source: options.source,
    openKey: openKey(shardOf(tenant, job.key, options.shards)),
    // A delayed job's message is invisible until its delay ends: the sweeper counts from then.
    sweepAt: job.options?.delaySeconds
      ? new Date(options.now.getTime() + job.options.delaySeconds * 1000).toISOString()
      : now,
    ...(job.options?.timeoutMs === undefined ? {} : { timeoutMs: job.options.timeoutMs }),
    ...(job.options?.maxAttempts === undefined ? {} : { maxAttempts: job.options.maxAttempts }),
    expiresAt: Math.floor((options.now.getTime() + options.ttlMs) / 1000),
    ...(job.lineage
      ? { parent: job.lineage.parent, root: job.lineage.root, depth: job.lineage.depth }
      : { depth: 0 }),
    ...(job.asyncResult ? { asyncResult: job.asyncResult } : {}),
  };
}
