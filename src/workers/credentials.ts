import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, type AssumeRoleCommandInput, type STSClient } from '@aws-sdk/client-sts';
import type { JobCredentials } from '../jobs/index.js';
import { coerceError, ScanqError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import {
  type AuditEvent,
  systemContext,
  type TableDeps,
  type TenantContext,
  TenantTable,
  writeAudit,
} from '../tenancy/index.js';
import {
  type AccountCredentials,
  accountSecretName,
  CrossTenantSecretError,
  readAccountSecret,
  type SecretsDeps,
} from '../tenancy/secrets.js';

/** Default time a value read from Secrets Manager is served from memory: 5 minutes. */
export const CREDENTIALS_TTL_MS = 5 * 60_000;

/** Audit action of a refused secret read. */
export const SECRET_READ_ACTION = 'secret.read';

/** Audit key of an account's secret: `#account#{accountId}` (the secret name is not a table key). */
export function accountAuditKey(accountId: string): string {
  return `#account#${accountId}`;
}

/** Records one audit event (where is the sink's business). */
export type AuditSink = (event: AuditEvent) => Promise<void>;

/**
 * An audit sink writing into the table: into the acted-in tenant's partition and, when the caller
 * came from another tenant (an MSP), into the caller's home partition too.
 * @param options.now clock for the audit timestamp; default `new Date()`.
 */
export function auditToTable(deps: TableDeps, options: { now?: () => Date } = {}): AuditSink {
  const now = options.now ?? (() => new Date());
  return async (event) => {
    const tenants = new Set([event.assumedTenant, event.callingTenant ?? event.assumedTenant]);
    const at = now();
    await Promise.all(
      [...tenants].map((tenant) =>
        writeAudit(new TenantTable(deps, systemContext(tenant, 'credentials')), event, { now: at }),
      ),
    );
  };
}

export interface CredentialsCacheOptions {
  readonly secrets: SecretsDeps;
  /** Where a refused (cross-tenant) read is audited; see `auditToTable`. */
  readonly audit: AuditSink;
  readonly log: Logger;
  /**
   * How long a value is served from memory after it was read. A rotated secret is seen only after
   * this, or after `invalidate`. Default `CREDENTIALS_TTL_MS` (5 min; `config.worker.credentialsTtlMs`).
   */
  readonly ttlMs?: number;
  /** Clock in epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /** Told whether each `get` was served from the cache (metrics). Default none. */
  readonly onLookup?: (result: 'hit' | 'miss') => void;
  /**
   * The Secrets Manager client reading a tenant's secrets: its tenant session's (tenant-session.ts)
   * when sessions are on. Default `secrets.secrets`, the worker's own.
   */
  readonly secretsClientOf?: (tenant: string) => SecretsManagerClient;
}

interface Entry {
  readonly value: Promise<AccountCredentials>;
  /** Infinity while the read is in flight; set when it succeeds. */
  expires: number;
}

/**
 * Tenant credentials held in memory for a TTL. Entries are keyed by the secret name derived from
 * the context's tenant and the account id, so a hit is always the asking tenant's own secret.
 * Concurrent misses of one key share one read; a failed read is never cached. A secret tagged for
 * another tenant is audited (one event and one warn line per read, however many callers waited)
 * and its `CrossTenantSecretError` rethrown.
 */
export class CredentialsCache {
  readonly #entries = new Map<string, Entry>();
  readonly #options: CredentialsCacheOptions;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: CredentialsCacheOptions) {
    this.#options = options;
    this.#ttlMs = options.ttlMs ?? CREDENTIALS_TTL_MS;
    this.#now = options.now ?? Date.now;
    if (!Number.isFinite(this.#ttlMs) || this.#ttlMs < 0) {
      throw new CredentialsError('credentials.invalidTtl', 'ttlMs: must be a finite number ≥ 0');
    }
  }

  #key(ctx: TenantContext, accountId: string): string {
    return accountSecretName(this.#options.secrets.prefix, ctx.tenant, accountId);
  }

  /**
   * The tenant's credentials for an account (frozen; shared by every caller of the entry).
   * @throws SecretNotFoundError, CrossTenantSecretError (audited), InvalidSecretError,
   *   InvalidKeyError, or the SDK's error when Secrets Manager fails.
   */
  async get(ctx: TenantContext, accountId: string): Promise<AccountCredentials> {
    const key = this.#key(ctx, accountId);
    const now = this.#now();
    const hit = this.#entries.get(key);
    if (hit && hit.expires > now) {
      this.#options.onLookup?.('hit');
      return hit.value;
    }
    this.#options.onLookup?.('miss');
    this.#prune(now);
    const entry: Entry = { value: this.#read(ctx, accountId), expires: Number.POSITIVE_INFINITY };
    this.#entries.set(key, entry);
    // Only this entry is touched: an `invalidate` and a newer read may have replaced it meanwhile.
    entry.value.then(
      () => {
        if (this.#entries.get(key) === entry) entry.expires = this.#now() + this.#ttlMs;
      },
      () => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      },
    );
    return entry.value;
  }

  /** Forgets the account's entry: the next `get` reads Secrets Manager (a read in flight still settles). */
  invalidate(ctx: TenantContext, accountId: string): void {
    this.#entries.delete(this.#key(ctx, accountId));
  }

  /** Entries held, fresh or not (for stats and tests). */
  get size(): number {
    return this.#entries.size;
  }

  /** Drops expired entries, so accounts no longer used do not keep their credentials in memory. */
  #prune(now: number): void {
    for (const [key, entry] of this.#entries) if (entry.expires <= now) this.#entries.delete(key);
  }

  async #read(ctx: TenantContext, accountId: string): Promise<AccountCredentials> {
    const { log, secrets, secretsClientOf } = this.#options;
    try {
      const client = secretsClientOf ? secretsClientOf(ctx.tenant) : secrets.secrets;
      const value = await readAccountSecret({ ...secrets, secrets: client }, ctx, accountId);
      log.debug({ tenant: ctx.tenant, user: ctx.user, accountId }, 'credentials read from Secrets Manager');
      return Object.freeze(value);
    } catch (error) {
      if (error instanceof CrossTenantSecretError) await this.#refused(ctx, accountId, error);
      throw error;
    }
  }

  /** Audits a refused read and logs it once; an audit failure is logged on the same line, not thrown. */
  async #refused(ctx: TenantContext, accountId: string, refusal: CrossTenantSecretError): Promise<void> {
    const event: AuditEvent = {
      action: SECRET_READ_ACTION,
      callingUser: ctx.user,
      callingTenant: ctx.homeTenant,
      assumedTenant: ctx.tenant,
      key: accountAuditKey(accountId),
      authorized: false,
    };
    let auditError: Error | undefined;
    try {
      await this.#options.audit(event);
    } catch (error) {
      auditError = coerceError(error);
    }
    this.#options.log.warn(
      {
        tenant: ctx.tenant,
        user: ctx.user,
        accountId,
        secretTenant: refusal.secretTenant,
        code: refusal.code,
        audited: auditError === undefined,
        ...(auditError ? { error: auditError } : {}),
      },
      'secret refused: not tagged for this tenant',
    );
  }
}

/** Base of credential resolution errors. */
export class CredentialsError extends ScanqError {}

/** Options of `resolveAwsCredentials`. */
export interface ResolveOptions {
  /** The job's tenant: names the STS session `scanq-{tenant}` (cut to STS's 64 characters). */
  readonly tenant: string;
  /** Lifetime of assumed-role keys, 900-43,200 s (the role's maximum applies). Default 3,600 (STS's). */
  readonly durationSeconds?: number;
}

/** Keys a capability can use; `expiration` is set for assumed-role keys. */
export interface ResolvedAwsCredentials extends JobCredentials {
  readonly expiration?: Date;
}

/** The AssumeRole request for a role secret. Pure. */
export function assumeRoleRequest(
  creds: Extract<AccountCredentials, { kind: 'aws-role' }>,
  options: ResolveOptions,
): AssumeRoleCommandInput {
  return {
    RoleArn: creds.roleArn,
    RoleSessionName: `scanq-${options.tenant}`.slice(0, 64),
    ...(creds.externalId ? { ExternalId: creds.externalId } : {}),
    ...(options.durationSeconds !== undefined ? { DurationSeconds: options.durationSeconds } : {}),
  };
}

/**
 * Keys to act in the account: `aws-keys` as stored; `aws-role` through STS AssumeRole (with the
 * external id when set), using the worker's own identity.
 * @throws CredentialsError `credentials.noKeys` when STS answers without keys; STS errors as thrown.
 */
export async function resolveAwsCredentials(
  creds: AccountCredentials,
  sts: STSClient,
  options: ResolveOptions,
): Promise<ResolvedAwsCredentials> {
  if (creds.kind === 'aws-keys') {
    return {
      accessKeyId: creds.accessKeyId,
      secretAccessKey: creds.secretAccessKey,
      ...(creds.sessionToken ? { sessionToken: creds.sessionToken } : {}),
    };
  }
  const out = await sts.send(new AssumeRoleCommand(assumeRoleRequest(creds, options)));
  const keys = out.Credentials;
  if (!keys?.AccessKeyId || !keys.SecretAccessKey || !keys.SessionToken) {
    throw new CredentialsError('credentials.noKeys', 'STS AssumeRole returned no credentials');
  }
  return {
    accessKeyId: keys.AccessKeyId,
    secretAccessKey: keys.SecretAccessKey,
    sessionToken: keys.SessionToken,
    ...(keys.Expiration ? { expiration: keys.Expiration } : {}),
  };
}
