import type { z } from 'zod';
import { statusCode } from '../jobs/index.js';
import type { EnqueueResult } from '../producer/index.js';
import type { StoredSchedule } from '../scheduler/schedule.js';
import type { Item } from '../tenancy/index.js';
import type { accountViewSchema, enqueueResultSchema, jobViewSchema, scheduleViewSchema } from './schemas.js';

/**
 * Stored items as the API shows them: only documented fields, never internal ones (index keys,
 * owners, TTLs, secret references).
 */

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

/** The API path of a job. */
export function jobPath(key: string): string {
  return `/v1/jobs/${encodeURIComponent(key)}`;
}

/** A stored job item as the API shows it. */
export function jobView(item: Item): z.input<typeof jobViewSchema> {
  const status = str(item.status) ?? '';
  const history = Array.isArray(item.history) ? (item.history as unknown[]) : [];
  const self = jobPath(item.key);
  return {
    key: item.key,
    capability: str(item.capability) ?? '',
    target: str(item.target) ?? '',
    status: statusCode(status) ?? 'JQ',
    statusAt: status.slice(status.indexOf('#') + 1),
    created: str(item.created) ?? '',
    updated: str(item.updated) ?? '',
    attempt: num(item.attempt) ?? 0,
    allowRepeat: item.allowRepeat === true,
    input: (typeof item.input === 'object' && item.input !== null ? item.input : {}) as Record<
      string,
      unknown
    >,
    depth: num(item.depth) ?? 0,
    ...optional('parent', str(item.parent)),
    ...optional('root', str(item.root)),
    ...optional('error', str(item.error)),
    ...optional('asyncRef', str(item.asyncRef)),
    history: history.flatMap((entry) => {
      const e = entry as Record<string, unknown>;
      return typeof e?.status === 'string' && typeof e.at === 'string'
        ? [{ status: e.status, at: e.at }]
        : [];
    }),
    links: { self, ...optional('result', str(item.resultKey) === undefined ? undefined : `${self}/result`) },
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
