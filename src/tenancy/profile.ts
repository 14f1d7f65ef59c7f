import { isIP } from 'node:net';
import { z } from 'zod';
import { isCapabilityName, JOB_KEY_PREFIX } from '../jobs/keys.js';
import { isUserId } from './context.js';
import { TenancyError } from './errors.js';
import { MAX_SHARDS } from './shards.js';
import type { TenantTable } from './table.js';

/** Sort key of the one profile item of a tenant. */
export const PROFILE_KEY = '#tenant';

/** One field that failed validation, named by its path (`limits.maxInFlight`, `authorizedUsers.2`). */
export interface ProfileIssue {
  readonly field: string;
  readonly message: string;
}

/** A profile that breaks the schema: nothing is written. */
export class ProfileValidationError extends TenancyError {
  readonly issues: readonly ProfileIssue[];

  constructor(issues: readonly ProfileIssue[], code = 'tenant.invalidProfile') {
    super(code, issues.map((i) => `${i.field}: ${i.message}`).join('; '));
    this.issues = issues;
  }
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

/** A scope is an IP address, a CIDR or a domain (lowercased); anything else is refused. */
function scopeProblem(scope: string): string | undefined {
  const cidr = /^([0-9a-f:.]+)\/(\d{1,3})$/i.exec(scope);
  const address = cidr?.[1] ?? scope;
  const family = isIP(address);
  if (cidr) {
    return family !== 0 && Number(cidr[2]) <= (family === 4 ? 32 : 128) ? undefined : 'not a valid CIDR';
  }
  return family !== 0 || DOMAIN.test(scope) ? undefined : 'must be an IP address, CIDR or domain';
}

const scopeSchema = z
  .string()
  .trim()
  .toLowerCase()
  .superRefine((scope, ctx) => {
    const problem = scopeProblem(scope);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const unique = <T extends z.ZodType<string>>(item: T, max: number) =>
  z
    .array(item)
    .max(max)
    .transform((list) => [...new Set(list)]);

/** Defaults of `cascade`: off, and small enough that turning it on cannot fan out by surprise. */
export const CASCADE_DEFAULTS = { enabled: false, maxDepth: 2, maxChildren: 100, capabilities: [] } as const;

/** What a tenant admin may set. Unknown fields are refused so a typo is not silently ignored. */
export const profileInputSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  /** Plan limits. Defaults: 10 jobs in flight, 50 enqueues per second. */
  limits: z
    .strictObject({
      maxInFlight: z.number().int().min(1).max(100_000).default(10),
      ratePerSecond: z.number().positive().max(100_000).default(50),
      /**
       * The tenant's burst budget for the jobs queue (a token bucket; docs/WORKER.md "Lanes"):
       * refill in jobs per second and size in jobs. Unset: SCANQ_LANE_RATE and SCANQ_LANE_BURST.
       */
      laneRatePerSecond: z.number().positive().max(100_000).optional(),
      laneBurst: z.number().int().min(1).max(100_000).optional(),
    })
    .prefault({}),
  /** Users (MSP) allowed to assume this tenant. Default none. */
  authorizedUsers: unique(
    z.string().refine(isUserId, 'must be 1-256 printable characters, no spaces'),
    100,
  ).default([]),
  /** CIDRs, addresses and domains scans may reach. Default none. */
  allowedScopes: unique(scopeSchema, 1000).default([]),
  /**
   * Write shards of the tenant's jobs (a hot tenant's ceiling grows with it; docs/DEPLOY.md).
   * Set when the profile is first written, before the tenant's first job; fixed afterwards.
   * Default 1.
   */
  shards: z.number().int().min(1).max(MAX_SHARDS).optional(),
  /** Jobs spawning jobs from their findings. Defaults: off, depth 2, 100 children, no capabilities. */
  cascade: z
    .strictObject({
      enabled: z.boolean().default(CASCADE_DEFAULTS.enabled),
      maxDepth: z.number().int().min(0).max(10).default(CASCADE_DEFAULTS.maxDepth),
      maxChildren: z.number().int().min(0).max(10_000).default(CASCADE_DEFAULTS.maxChildren),
      capabilities: unique(
        z.string().refine(isCapabilityName, 'must be a capability name (lowercase, digits, -)'),
        100,
      ).default([]),
    })
    .prefault({}),
});

export type ProfileInput = z.input<typeof profileInputSchema>;

/** The stored profile, with every default applied. */
export type TenantProfile = Omit<z.output<typeof profileInputSchema>, 'shards'> & {
  readonly shards: number;
  readonly created: string;
  readonly updated: string;
};

const storedSchema = profileInputSchema.extend({
  shards: z.number().int().min(1).max(MAX_SHARDS).default(1),
  created: z.iso.datetime(),
  updated: z.iso.datetime(),
});

function issuesOf(error: z.ZodError): ProfileIssue[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(profile)',
    message: issue.message,
  }));
}

/**
 * Validates what a caller sends and applies defaults. Pure.
 * @throws ProfileValidationError (`tenant.invalidProfile`) naming every bad field.
 */
export function parseProfileInput(raw: unknown): z.output<typeof profileInputSchema> {
  const parsed = profileInputSchema.safeParse(raw);
  if (!parsed.success) throw new ProfileValidationError(issuesOf(parsed.error));
  return parsed.data;
}

/**
 * Reads the tenant's profile (strongly consistent: it decides who may assume the tenant, and a
 * revocation must take effect at once). Undefined when the tenant has none.
 * @throws ProfileValidationError (`tenant.corruptProfile`) when the stored item breaks the schema.
 */
export async function getProfile(table: TenantTable): Promise<TenantProfile | undefined> {
  const item = await table.get(PROFILE_KEY, { consistent: true });
  if (!item) return undefined;
  const { key: _key, ...fields } = item;
  const parsed = storedSchema.safeParse(fields);
  if (!parsed.success) throw new ProfileValidationError(issuesOf(parsed.error), 'tenant.corruptProfile');
  return parsed.data;
}

/**
 * Validates and writes the whole profile (a replace, not a merge), keeping `created` from the
 * stored one. Storage only: the caller authorizes `tenant:write` first. Two concurrent first
 * writes may each set `created`; the later one wins, which is harmless for a timestamp.
 * @param options.now clock; default `new Date()`.
 * @throws ProfileValidationError (`tenant.invalidProfile`) naming every bad field; nothing is written.
 */
export async function putProfile(
  table: TenantTable,
  input: unknown,
  options: { now?: Date } = {},
): Promise<TenantProfile> {
  const fields = parseProfileInput(input);
  const at = (options.now ?? new Date()).toISOString();
  const existing = await table.get(PROFILE_KEY, { consistent: true });
  const stored = typeof existing?.shards === 'number' ? existing.shards : undefined;
  const shards = await checkShards(table, fields.shards, existing ? (stored ?? 1) : undefined);
  const created = typeof existing?.created === 'string' ? existing.created : at;
  const profile: TenantProfile = { ...fields, shards, created, updated: at };
  await table.put({ key: PROFILE_KEY, ...profile });
  table.forgetShards();
  return profile;
}

/**
 * The shard count a profile write may store: the stored one (a change would strand the jobs in
 * their partitions), or for a first profile the one asked for — more than one only while the
 * tenant has no job yet.
 * @throws ProfileValidationError naming `shards`.
 */
async function checkShards(
  table: TenantTable,
  wanted: number | undefined,
  stored: number | undefined,
): Promise<number> {
  if (stored !== undefined) {
    if (wanted !== undefined && wanted !== stored) {
      throw new ProfileValidationError([
        { field: 'shards', message: `fixed when the tenant was created (${stored}); it cannot change` },
      ]);
    }
    return stored;
  }
  if ((wanted ?? 1) > 1 && (await table.query({ prefix: JOB_KEY_PREFIX, limit: 1 })).items.length > 0) {
    throw new ProfileValidationError([
      { field: 'shards', message: 'can only be set before the tenant has jobs; this tenant has some' },
    ]);
  }
  return wanted ?? 1;
}
