import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { TABLE } from '../local-aws/manifest.js';
import { TenancyError } from './errors.js';
import type { Item, TenantTable } from './table.js';

/** Sort-key prefix of audit items: `#audit#{iso-ts}#{id}`, so a query returns them in time order. */
export const AUDIT_PREFIX = '#audit#';

/** Default retention of audit items (DynamoDB TTL). */
export const AUDIT_TTL_DAYS = 90;

/** A security event: who acted, in which tenant, on what, and whether it was allowed. */
export interface AuditEvent {
  /** What was attempted (an `ACTIONS` entry, e.g. `tenant:assume`). */
  readonly action: string;
  /** The real user behind the request, whatever tenant they act in. */
  readonly callingUser: string;
  /** The calling user's home tenant, so a customer sees which MSP acted. */
  readonly callingTenant?: string;
  /** The tenant acted in (or asked for). */
  readonly assumedTenant: string;
  /** The item or object concerned (stored as `resourceKey`: `key` is the table's sort key). */
  readonly key: string;
  readonly authorized: boolean;
  /**
   * What kind of access or refusal it records, so a trail can be counted by kind: `assume`,
   * `tenantParam` (a path naming another tenant), `role`, `expiredToken`, `crossTenantKey` (a file
   * key of another tenant), `crossTenantCursor` (a list cursor of another tenant), `crossTenantSecret`.
   * Never the reason of an assumption denial (that would tell a prober about the tenant).
   */
  readonly kind?: string;
}

/** An audit event as stored. */
export interface AuditRecord extends AuditEvent {
  /** The audit item's own sort key. */
  readonly id: string;
  readonly at: string;
  /** Epoch seconds after which DynamoDB may delete it. */
  readonly expiresAt: number;
}

/**
 * The item for an event at `now`, expiring `ttlDays` later. Pure (apart from the random id that
 * keeps two events of the same millisecond apart).
 */
export function auditItem(event: AuditEvent, options: { now: Date; ttlDays?: number }): Item {
  const ttlDays = options.ttlDays ?? AUDIT_TTL_DAYS;
  if (!Number.isInteger(ttlDays) || ttlDays < 1 || ttlDays > 3650) {
    throw new TenancyError('audit.invalidTtl', 'ttlDays: must be a whole number from 1 to 3650');
  }
  const at = options.now.toISOString();
  const { key, ...rest } = event;
  return {
    ...rest,
    key: `${AUDIT_PREFIX}${at}#${randomBytes(8).toString('hex')}`,
    resourceKey: key,
    at,
    [TABLE.ttlAttribute]: Math.floor(options.now.getTime() / 1000) + ttlDays * 86_400,
  };
}

/**
 * Appends an audit event to the table's tenant. Never overwrites: the write is conditional on the
 * key being new.
 * @param options.now when it happened; options.ttlDays retention, default 90.
 */
export async function writeAudit(
  table: TenantTable,
  event: AuditEvent,
  options: { now: Date; ttlDays?: number },
): Promise<AuditRecord> {
  const item = auditItem(event, options);
  await table.put(item, {
    condition: { expression: 'attribute_not_exists(#ak)', names: { '#ak': TABLE.sortKey } },
  });
  return toRecord(item);
}

const storedSchema = z.object({
  key: z.string(),
  action: z.string(),
  callingUser: z.string(),
  callingTenant: z.string().optional(),
  assumedTenant: z.string(),
  resourceKey: z.string(),
  authorized: z.boolean(),
  kind: z.string().optional(),
  at: z.string(),
  [TABLE.ttlAttribute]: z.number(),
});

function toRecord(item: Item): AuditRecord {
  const parsed = storedSchema.safeParse(item);
  if (!parsed.success) {
    throw new TenancyError('audit.corruptRecord', `audit item ${item.key} does not match the audit schema`);
  }
  const { key, resourceKey, [TABLE.ttlAttribute]: expiresAt, ...event } = parsed.data;
  return { ...event, id: key, key: resourceKey, expiresAt };
}

/**
 * One page of the tenant's audit events, newest first by default.
 * @param options.limit page size, default 50; options.oldestFirst default false.
 */
export async function listAudit(
  table: TenantTable,
  options: { limit?: number; cursor?: string; oldestFirst?: boolean } = {},
): Promise<{ records: AuditRecord[]; cursor?: string }> {
  const page = await table.query({
    prefix: AUDIT_PREFIX,
    limit: options.limit ?? 50,
    forward: options.oldestFirst ?? false,
    consistent: true,
    ...(options.cursor ? { cursor: options.cursor } : {}),
  });
  return { records: page.items.map(toRecord), ...(page.cursor ? { cursor: page.cursor } : {}) };
}
