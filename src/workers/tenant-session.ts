import {
  AssumeRoleCommand,
  type AssumeRoleCommandInput,
  type AssumeRoleCommandOutput,
} from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { AwsClients, ScopedClients } from '../aws/clients.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../lib/logger.js';
import { TtlCache } from '../lib/ttl-cache.js';
import {
  packSessionPolicy,
  roleArnParts,
  type SessionPolicyScope,
  tenantSessionPolicy,
} from '../tenancy/session-policy.js';
import { CredentialsError } from './credentials.js';

/**
 * A session is assumed again this long before it expires. More than the SDK's own 5-minute
 * window, so when a client asks its provider for fresh keys the cache has already let go of the
 * old ones.
 */
export const SESSION_REFRESH_MARGIN_MS = 10 * 60_000;

/** Options of `TenantSessions`. */
export interface TenantSessionOptions {
  /** The worker's own STS client: the worker role assumes the tenant-session role. */
  readonly sts: { send(command: AssumeRoleCommand): Promise<AssumeRoleCommandOutput> };
  /** The tenant-session role (`SCANQ_TENANT_ROLE_ARN`); its account and partition name the resources. */
  readonly roleArn: string;
  /** Lifetime of a session, ms (`SCANQ_TENANT_SESSION_DURATION`, 15 min - 12 h). */
  readonly sessionMs: number;
  /** The resources a session may reach; account and partition come from `roleArn`. */
  readonly resources: Omit<SessionPolicyScope, 'partition' | 'account'>;
  /** Write shards of a tenant (its profile's `shards`, 1 without one): the partitions it may use. */
  readonly shardsOf: (tenant: string) => Promise<number>;
  /** Builds the clients of a session (same endpoints and middleware as the process's own). */
  readonly clients: Pick<AwsClients, 'withCredentials'>;
  readonly log: Logger;
  /** Clock in epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
}

/** The AssumeRole request of a tenant session. Pure. */
export function tenantSessionRequest(
  roleArn: string,
  tenant: string,
  policy: string,
  sessionMs: number,
): AssumeRoleCommandInput {
  return {
    RoleArn: roleArn,
    // The tenant shows in CloudTrail as the assumed-role session (STS allows 64 characters).
    RoleSessionName: `tenant-${tenant}`.slice(0, 64),
    DurationSeconds: Math.floor(sessionMs / 1000),
    Policy: policy,
  };
}

/**
 * Tenant sessions: per tenant, credentials of the tenant-session role assumed with a session
 * policy that reaches only that tenant's partitions, objects and secrets (session-policy.ts), held
 * in the TTL cache until `SESSION_REFRESH_MARGIN_MS` before they expire; and per tenant the clients
 * a capability gets, built on those credentials, so each request signs with a current session.
 * Concurrent first uses of a tenant share one AssumeRole; a failed one is not cached.
 */
export class TenantSessions {
  readonly #options: TenantSessionOptions;
  readonly #scope: SessionPolicyScope;
  readonly #now: () => number;
  readonly #sessions: TtlCache<AwsCredentialIdentity>;
  readonly #clients = new Map<string, ScopedClients>();

  constructor(options: TenantSessionOptions) {
    const parts = roleArnParts(options.roleArn);
    if (!parts) throw new CredentialsError('credentials.invalidRole', 'roleArn: must be an IAM role ARN');
    this.#options = options;
    this.#scope = { ...options.resources, ...parts };
    this.#now = options.now ?? Date.now;
    this.#sessions = new TtlCache(options.sessionMs, this.#now);
  }

  /** The tenant's session credentials (assumed on first use, again before they expire). */
  credentials(tenant: string): Promise<AwsCredentialIdentity> {
    return this.#sessions.get(
      tenant,
      () => this.#assume(tenant),
      (keys) =>
        keys.expiration
          ? keys.expiration.getTime() - this.#now() - SESSION_REFRESH_MARGIN_MS
          : this.#options.sessionMs - SESSION_REFRESH_MARGIN_MS,
    );
  }

  /** The clients a capability of `tenant` uses; they sign with the tenant's current session. */
  clientsFor(tenant: string): ScopedClients {
    let clients = this.#clients.get(tenant);
    if (!clients) {
      clients = this.#options.clients.withCredentials(() => this.credentials(tenant));
      this.#clients.set(tenant, clients);
    }
    return clients;
  }

  /** Closes every tenant's clients. */
  destroy(): void {
    for (const clients of this.#clients.values()) clients.destroy();
    this.#clients.clear();
  }

  /** The session policy `tenant` gets now (its shard count read through `shardsOf`). */
  async policyOf(tenant: string): Promise<string> {
    return packSessionPolicy(tenantSessionPolicy(tenant, await this.#options.shardsOf(tenant), this.#scope));
  }

  async #assume(tenant: string): Promise<AwsCredentialIdentity> {
    const { roleArn, sessionMs, sts, log } = this.#options;
    const policy = await this.policyOf(tenant);
    const out = await sts.send(
      new AssumeRoleCommand(tenantSessionRequest(roleArn, tenant, policy, sessionMs)),
    );
    const keys = out.Credentials;
    if (!keys?.AccessKeyId || !keys.SecretAccessKey || !keys.SessionToken) {
      throw new CredentialsError('credentials.noKeys', 'STS AssumeRole returned no credentials');
    }
    log.debug(
      { tenant, expiration: keys.Expiration?.toISOString(), policyChars: policy.length },
      'tenant session assumed',
    );
    return {
      accessKeyId: keys.AccessKeyId,
      secretAccessKey: keys.SecretAccessKey,
      sessionToken: keys.SessionToken,
      ...(keys.Expiration ? { expiration: keys.Expiration } : {}),
    };
  }
}

/**
 * The worker's tenant sessions when `SCANQ_TENANT_ROLE_ARN` is set, else undefined (capabilities
 * then use the worker's own credentials).
 */
export function tenantSessionsOf(
  config: Config,
  clients: Pick<AwsClients, 'sts' | 'withCredentials'>,
  shardsOf: (tenant: string) => Promise<number>,
  log: Logger,
): TenantSessions | undefined {
  const { roleArn, sessionMs } = config.worker.tenantSession;
  if (!roleArn) return undefined;
  const r = config.resources;
  return new TenantSessions({
    sts: clients.sts,
    roleArn,
    sessionMs,
    resources: {
      region: config.region,
      table: r.table,
      buckets: [r.resultsBucket, r.uploadsBucket, r.quarantineBucket],
      secretsPrefix: r.secretsPrefix,
    },
    shardsOf,
    clients,
    log,
  });
}
