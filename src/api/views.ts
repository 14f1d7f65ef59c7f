import type { z } from 'zod';
import { type JobRecord, statusCode } from '../jobs/index.js';
import type { EnqueueResult } from '../producer/index.js';
import type { StoredSchedule } from '../scheduler/schedule.js';
import type { Item } from '../tenancy/index.js';
import type { accountViewSchema, enqueueResultSchema, jobViewSchema, scheduleViewSchema } from './schemas.js';

/**
 * Stored items as the API shows them: only documented fields, never internal ones (index keys,
 * owners, TTLs, secret references).
 */

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

/** The API path of a job. */
export function jobPath(key: string): string {
  return `/v1/jobs/${encodeURIComponent(key)}`;
}

/** A stored job as the API shows it. */
export function jobView(job: JobRecord): z.input<typeof jobViewSchema> {
  const self = jobPath(job.key);
  return {
    key: job.key,
    capability: job.capability,
    target: job.target,
    status: job.code,
    statusAt: job.status.slice(job.status.indexOf('#') + 1),
    created: job.created,
    updated: job.updated,
    attempt: job.attempt,
    allowRepeat: job.allowRepeat,
    input: job.input,
    depth: job.depth,
    ...optional('parent', job.parent),
    ...optional('root', job.root),
    ...optional('error', job.error),
    ...optional('errorCode', job.errorCode),
    ...optional('cancelRequested', job.cancelRequested),
    ...optional('timeoutSeconds', job.timeoutMs === undefined ? undefined : Math.round(job.timeoutMs / 1000)),
    ...optional('maxAttempts', job.maxAttempts),
    ...optional('asyncRef', job.asyncRef),
    history: job.history.map((entry) => ({ status: entry.status, at: entry.at })),
    links: { self, ...optional('result', job.resultKey === undefined ? undefined : `${self}/result`) },
  };
}

/** One enqueue outcome as the API shows it (status codes without their timestamps). */
export function enqueueResultView(result: EnqueueResult): z.input<typeof enqueueResultSchema> {
  const ids = { key: result.key, capability: result.capability, target: result.target };
  if (result.accepted) {
    return {
      ...ids,
      accepted: true,
      ...optional('status', statusCode(result.status)),
      rule: result.rule,
      enqueued: result.enqueued,
    };
  }
  return {
    ...ids,
    accepted: false,
    reason: result.reason,
    ...optional('storedStatus', statusCode(result.storedStatus)),
  };
}

/** A stored account item as the API shows it: metadata only, never the secret or its reference. */
export function accountView(item: Item): z.input<typeof accountViewSchema> {
  return {
    provider: str(item.provider) ?? '',
    accountId: str(item.accountId) ?? '',
    ...optional('name', str(item.name)),
    state: item.state === 'active' ? 'active' : 'invalid',
    ...optional('reason', str(item.reason)),
    credentialKind: str(item.credentialKind) ?? '',
    validatedAt: str(item.validatedAt) ?? '',
    ...optional('rotatedAt', str(item.rotatedAt)),
    created: str(item.created) ?? '',
    updated: str(item.updated) ?? '',
  };
}

/** A schedule as the API shows it (without its index key). */
export function scheduleView(schedule: StoredSchedule): z.input<typeof scheduleViewSchema> {
  return {
    id: schedule.id,
    capability: schedule.capability,
    targets: schedule.targets,
    input: schedule.input,
    ...optional('intervalMs', schedule.intervalMs),
    ...optional('cron', schedule.cron),
    ...optional('timezone', schedule.timezone),
    enabled: schedule.enabled,
    nextRun: schedule.nextRun,
    ...optional('lastRun', schedule.lastRun),
    created: schedule.created,
    updated: schedule.updated,
  };
}
