import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
} from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientSettings } from '../../src/aws/index.js';
import type { Logger } from '../../src/lib/logger.js';
import {
  type AuditEvent,
  listAudit,
  ownContext,
  systemContext,
  type TableDeps,
  TenantTable,
} from '../../src/tenancy/index.js';
import {
  type AccountCredentials,
  accountSecretName,
  CrossTenantSecretError,
  InvalidSecretError,
  putAccountSecret,
  readAccountSecret,
  SecretNotFoundError,
  type SecretsDeps,
} from '../../src/tenancy/secrets.js';
import {
  type AuditSink,
  auditToTable,
  CredentialsCache,
  resolveAwsCredentials,
} from '../../src/workers/credentials.js';
import { CallCounter, countingMiddleware } from '../../tools/instrument/call-counter.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { captureLog } from '../helpers/log-capture.js';

const A = 'tenant-a';
const B = 'tenant-b';
const ctxA = systemContext(A, 'worker');
const ctxB = systemContext(B, 'worker');

// Every secret value of this file: none may appear in any log line.
const V1 = 'v1-secret-wJalrXUtnFEMI/K7MDENG/bPxRfiCY';
const V2 = 'v2-secret-je7MtGbClwBF/2Zp9Utk/h3yCo8nvb';
const B_SECRET = 'b-secret-tagged-for-b-never-returned-to-a';
const keysV1: AccountCredentials = {
  kind: 'aws-keys',
  accessKeyId: 'AKIAINTEGRATIONV1001',
  secretAccessKey: V1,
  region: 'eu-west-1',
};
const keysV2: AccountCredentials = {
  kind: 'aws-keys',
  accessKeyId: 'AKIAINTEGRATIONV2002',
  secretAccessKey: V2,
};
const roleCreds: AccountCredentials = {
  kind: 'aws-role',
  roleArn: 'arn:aws:iam::210987654321:role/scanq-reader',
  externalId: 'ext-tenant-a',
};

const counter = new CallCounter();
let stack: TestStack;
let deps: SecretsDeps;
let tableDeps: TableDeps;

/** Creates a secret around the layer (what an operator, or an attacker with write access, could do). */
async function rawSecret(name: string, value: string, tenantTag: string | undefined): Promise<void> {
  await stack.clients.secrets.send(
    new CreateSecretCommand({
      Name: name,
      SecretString: value,
      ...(tenantTag ? { Tags: [{ Key: 'tenant', Value: tenantTag }] } : {}),
    }),
  );
}

function secretCalls(): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counter.snapshot()).filter(([operation]) => operation.startsWith('SecretsManager.')),
  );
}

/** A cache on a hand-driven clock, auditing into the table (or into `audit`). */
function cacheWith(options: { log?: Logger; audit?: AuditSink; ttlMs?: number } = {}) {
  const clock = { now: 1_000_000 };
  const cache = new CredentialsCache({
    secrets: deps,
    audit: options.audit ?? auditToTable(tableDeps),
    log: options.log ?? captureLog('trace').log,
    now: () => clock.now,
    ...(options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {}),
  });
  return { cache, clock };
}

async function auditOf(tenant: string) {
  return (await listAudit(new TenantTable(tableDeps, systemContext(tenant, 'test')))).records;
}

beforeAll(async () => {
  stack = await createTestStack('secrets', { clients: { middleware: [countingMiddleware(counter)] } });
  deps = {
    secrets: stack.clients.secrets,
    prefix: stack.config.resources.secretsPrefix,
    kmsKeyId: stack.config.resources.kmsKey,
  };
  tableDeps = { doc: stack.clients.doc, tableName: stack.config.resources.table };
});

afterAll(async () => {
  const listed = await stack.clients.secrets.send(
    new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [`${deps.prefix}/`] }], MaxResults: 100 }),
  );
  await Promise.all(
    (listed.SecretList ?? []).map((secret) =>
      stack.clients.secrets.send(
        new DeleteSecretCommand({ SecretId: secret.ARN, ForceDeleteWithoutRecovery: true }),
      ),
    ),
  );
  await destroyTestStack(stack);
});

describe('Functions: putAccountSecret / readAccountSecret', () => {
  it('stores, tags and reads back the value (round trip)', async () => {
    // Act
    const put = await putAccountSecret(deps, ctxA, 'acct-round', keysV1);
    const read = await readAccountSecret(deps, ctxA, 'acct-round');

    // Assess
    expect(put.created).toBe(true);
    expect(put.arn).toContain(`secret:${deps.prefix}/${A}/account/acct-round`);
    expect(put.versionId).not.toBe('');
    expect(put).not.toHaveProperty('value');
    expect(read).toEqual(keysV1);
    // moto stores KmsKeyId as sent and never calls KMS: this shows the request named the CMK, not
    // that the value is encrypted with it (the unit tests of createSecretRequest cover the request).
    const described = await stack.clients.secrets.send(new DescribeSecretCommand({ SecretId: put.arn }));
    expect(described.KmsKeyId).toBe(deps.kmsKeyId);
    expect(described.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'tenant', Value: A },
        { Key: 'accountId', Value: 'acct-round' },
        { Key: 'app', Value: 'scanq' },
      ]),
    );
  });

  it('rotates by adding a version that becomes current; the old one stays as AWSPREVIOUS', async () => {
    // Prepare
    const first = await putAccountSecret(deps, ctxA, 'acct-rotate', keysV1);

    // Act
    const second = await putAccountSecret(deps, ctxA, 'acct-rotate', keysV2);

    // Assess
    expect(second).toMatchObject({ arn: first.arn, created: false });
    expect(second.versionId).not.toBe(first.versionId);
    expect(await readAccountSecret(deps, ctxA, 'acct-rotate')).toEqual(keysV2);
    const versions = await stack.clients.secrets.send(
      new ListSecretVersionIdsCommand({ SecretId: first.arn }),
    );
    const stages = Object.fromEntries((versions.Versions ?? []).map((v) => [v.VersionId, v.VersionStages]));
    expect(stages[first.versionId]).toEqual(['AWSPREVIOUS']);
    expect(stages[second.versionId]).toEqual(['AWSCURRENT']);
  });

  it("derives the name from the context: tenant B reading A's account id finds nothing", async () => {
    await putAccountSecret(deps, ctxA, 'acct-shared-id', keysV1);

    await expect(readAccountSecret(deps, ctxB, 'acct-shared-id')).rejects.toMatchObject({
      constructor: SecretNotFoundError,
      code: 'secrets.notFound',
    });
    await expect(readAccountSecret(deps, ctxA, 'never-stored')).rejects.toBeInstanceOf(SecretNotFoundError);
  });

  it('refuses a secret under A’s name tagged for B, or untagged, without fetching its value', async () => {
    // Prepare
    await rawSecret(
      accountSecretName(deps.prefix, A, 'tagged-b'),
      JSON.stringify({ ...keysV1, secretAccessKey: B_SECRET }),
      B,
    );
    await rawSecret(accountSecretName(deps.prefix, A, 'untagged'), JSON.stringify(keysV1), undefined);
    counter.reset();

    // Act / Assess
    const refusal = await readAccountSecret(deps, ctxA, 'tagged-b').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(CrossTenantSecretError);
    expect(refusal).toMatchObject({
      code: 'secrets.crossTenant',
      tenant: A,
      accountId: 'tagged-b',
      secretTenant: B,
    });
    expect(JSON.stringify(refusal)).not.toContain(B_SECRET);
    await expect(readAccountSecret(deps, ctxA, 'untagged')).rejects.toMatchObject({
      code: 'secrets.crossTenant',
      secretTenant: undefined,
    });
    expect(secretCalls()).toEqual({ 'SecretsManager.DescribeSecret': 2 });
  });

  it('refuses to rotate a secret tagged for another tenant, leaving its value as it was', async () => {
    const name = accountSecretName(deps.prefix, A, 'tagged-b-rotate');
    await rawSecret(name, JSON.stringify({ ...keysV1, secretAccessKey: B_SECRET }), B);

    await expect(putAccountSecret(deps, ctxA, 'tagged-b-rotate', keysV2)).rejects.toBeInstanceOf(
      CrossTenantSecretError,
    );

    const stored = await stack.clients.secrets.send(new GetSecretValueCommand({ SecretId: name }));
    expect(JSON.parse(stored.SecretString ?? '{}')).toMatchObject({ secretAccessKey: B_SECRET });
  });

  it.each([
    ['not JSON', 'bad-json', `{"kind":"aws-keys","secretAccessKey":"${V1}"`],
    ['JSON of the wrong shape', 'bad-shape', JSON.stringify({ kind: 'aws-keys', secretAccessKey: V1 })],
  ])('reports a stored value that is %s as invalid, without quoting it', async (_label, accountId, value) => {
    await rawSecret(accountSecretName(deps.prefix, A, accountId), value, A);

    const error = await readAccountSecret(deps, ctxA, accountId).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InvalidSecretError);
    expect(error).toMatchObject({ code: 'secrets.invalid' });
    expect(error).not.toHaveProperty('cause');
    expect(`${String(error)} ${JSON.stringify(error)}`).not.toContain(V1);
  });

  it('treats a secret scheduled for deletion as not found', async () => {
    const put = await putAccountSecret(deps, ctxA, 'acct-deleted', keysV1);
    await stack.clients.secrets.send(new DeleteSecretCommand({ SecretId: put.arn, RecoveryWindowInDays: 7 }));

    await expect(readAccountSecret(deps, ctxA, 'acct-deleted')).rejects.toBeInstanceOf(SecretNotFoundError);
  });
});

describe('Class: CredentialsCache', () => {
  it('serves the old value until the TTL passes or the entry is invalidated (honest about rotation)', async () => {
    // Prepare
    await putAccountSecret(deps, ctxA, 'cache-rotate', keysV1);
    const { cache, clock } = cacheWith({ ttlMs: 60_000 });
    expect(await cache.get(ctxA, 'cache-rotate')).toEqual(keysV1);
    await putAccountSecret(deps, ctxA, 'cache-rotate', keysV2);
    counter.reset();

    // Act / Assess: within the TTL the cached (old) value, without a call.
    clock.now += 59_999;
    expect(await cache.get(ctxA, 'cache-rotate')).toEqual(keysV1);
    expect(secretCalls()).toEqual({});

    // After invalidate, the new value.
    cache.invalidate(ctxA, 'cache-rotate');
    expect(await cache.get(ctxA, 'cache-rotate')).toEqual(keysV2);
    expect(secretCalls()).toEqual({ 'SecretsManager.DescribeSecret': 1, 'SecretsManager.GetSecretValue': 1 });
  });

  it('reads again once the TTL has passed', async () => {
    await putAccountSecret(deps, ctxA, 'cache-ttl', keysV1);
    const { cache, clock } = cacheWith({ ttlMs: 60_000 });
    await cache.get(ctxA, 'cache-ttl');
    await putAccountSecret(deps, ctxA, 'cache-ttl', keysV2);

    clock.now += 60_000;

    expect(await cache.get(ctxA, 'cache-ttl')).toEqual(keysV2);
  });

  it('shares one read between concurrent misses and hands out a frozen value', async () => {
    await putAccountSecret(deps, ctxA, 'cache-concurrent', keysV1);
    const { cache } = cacheWith();
    counter.reset();

    const values = await Promise.all(Array.from({ length: 5 }, () => cache.get(ctxA, 'cache-concurrent')));

    expect(secretCalls()).toEqual({ 'SecretsManager.DescribeSecret': 1, 'SecretsManager.GetSecretValue': 1 });
    expect(new Set(values).size).toBe(1);
    expect(Object.isFrozen(values[0])).toBe(true);
  });

  it("never serves A's cached entry to B for the same account id", async () => {
    await putAccountSecret(deps, ctxA, 'cache-tenants', keysV1);
    const { cache } = cacheWith();
    expect(await cache.get(ctxA, 'cache-tenants')).toEqual(keysV1);

    await expect(cache.get(ctxB, 'cache-tenants')).rejects.toBeInstanceOf(SecretNotFoundError);
    // An assumed context acts in its target tenant: the key follows `tenant`, not the caller.
    const mspInB = { ...ownContext({ tenant: 'msp', user: 'mallory@msp', roles: ['admin'] }), tenant: B };
    await expect(cache.get(mspInB, 'cache-tenants')).rejects.toBeInstanceOf(SecretNotFoundError);
  });

  it('audits a secret tagged for another tenant once per read, logs one warn line with ids, and rethrows', async () => {
    // Prepare
    await rawSecret(
      accountSecretName(deps.prefix, A, 'cache-tagged-b'),
      JSON.stringify({ ...keysV1, secretAccessKey: B_SECRET }),
      B,
    );
    const { log, lines } = captureLog('trace');
    const { cache } = cacheWith({ log });
    const before = (await auditOf(A)).length;

    // Act: three workers ask at once.
    const results = await Promise.allSettled([1, 2, 3].map(() => cache.get(ctxA, 'cache-tagged-b')));

    // Assess
    for (const result of results) {
      expect(result).toMatchObject({ status: 'rejected', reason: { code: 'secrets.crossTenant' } });
    }
    const records = await auditOf(A);
    expect(records).toHaveLength(before + 1);
    expect(records[0]).toMatchObject({
      action: 'secret.read',
      callingUser: 'system:worker',
      assumedTenant: A,
      key: '#account#cache-tagged-b',
      authorized: false,
    });
    expect(await auditOf(B)).toEqual([]);
    const warns = lines().filter((line) => line.level === 40);
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({
      tenant: A,
      accountId: 'cache-tagged-b',
      secretTenant: B,
      audited: true,
    });
    expect(JSON.stringify(lines())).not.toContain(B_SECRET);
    expect(cache.size).toBe(0);
  });

  it('still refuses (and says the audit failed) when the audit write fails', async () => {
    await rawSecret(accountSecretName(deps.prefix, A, 'cache-audit-down'), JSON.stringify(keysV1), B);
    const { log, lines } = captureLog();
    const events: AuditEvent[] = [];
    const { cache } = cacheWith({
      log,
      audit: async (event) => {
        events.push(event);
        throw new Error('table unavailable');
      },
    });

    await expect(cache.get(ctxA, 'cache-audit-down')).rejects.toBeInstanceOf(CrossTenantSecretError);

    expect(events).toHaveLength(1);
    expect(lines()).toEqual([
      expect.objectContaining({ level: 40, audited: false, accountId: 'cache-audit-down' }),
    ]);
  });
});

describe('Function: resolveAwsCredentials', () => {
  it('assumes an aws-role through STS with the tenant session name; the keys act as that role', async () => {
    // Prepare
    await putAccountSecret(deps, ctxA, 'acct-role', roleCreds);
    const { cache } = cacheWith();
    const stored = await cache.get(ctxA, 'acct-role');

    // Act
    const resolved = await resolveAwsCredentials(stored, stack.clients.sts, {
      tenant: A,
      durationSeconds: 900,
    });

    // Assess
    expect(resolved.accessKeyId).not.toBe('');
    expect(resolved.sessionToken).toBeTruthy();
    expect(resolved.expiration).toBeInstanceOf(Date);
    const asRole = new STSClient({ ...clientSettings(stack.config, 'sts'), credentials: resolved });
    try {
      const identity = await asRole.send(new GetCallerIdentityCommand({}));
      expect(identity.Account).toBe('210987654321');
      expect(identity.Arn).toBe('arn:aws:sts::210987654321:assumed-role/scanq-reader/scanq-tenant-a');
    } finally {
      asRole.destroy();
    }
  });

  it('returns aws-keys as stored, without calling STS', async () => {
    counter.reset();

    const resolved = await resolveAwsCredentials(keysV1, stack.clients.sts, { tenant: A });

    expect(resolved).toEqual({ accessKeyId: keysV1.accessKeyId, secretAccessKey: V1 });
    expect(counter.snapshot()).toEqual({});
  });
});

describe('The whole flow, logged the way a worker logs', () => {
  it('leaves no secret value in any line', async () => {
    // Prepare
    const { log, lines } = captureLog('trace');
    const { cache } = cacheWith({ log });
    const secrets: string[] = [V1, V2, B_SECRET];

    // Act: store, rotate, read through the cache, resolve, and refuse — logging results and errors
    // as carelessly as a worker at debug level might.
    const stored = await putAccountSecret(deps, ctxA, 'flow', keysV1);
    log.debug({ tenant: A, accountId: 'flow', result: stored }, 'secret stored');
    const rotated = await putAccountSecret(deps, ctxA, 'flow', keysV2);
    log.debug({ tenant: A, accountId: 'flow', result: rotated, value: keysV2 }, 'secret rotated');
    const creds = await cache.get(ctxA, 'flow');
    log.debug({ tenant: A, credentials: creds }, 'credentials for job');
    const resolved = await resolveAwsCredentials(creds, stack.clients.sts, { tenant: A });
    log.debug({ job: { tenant: A, runCtx: { credentials: resolved } } }, 'attempt starting');
    await putAccountSecret(deps, ctxA, 'flow-role', roleCreds);
    const assumed = await resolveAwsCredentials(await cache.get(ctxA, 'flow-role'), stack.clients.sts, {
      tenant: A,
    });
    secrets.push(assumed.secretAccessKey, assumed.sessionToken ?? 'no-session-token');
    log.debug({ tenant: A, resolved: assumed }, 'role assumed');
    await rawSecret(
      accountSecretName(deps.prefix, A, 'flow-tagged-b'),
      JSON.stringify({ ...keysV1, secretAccessKey: B_SECRET }),
      B,
    );
    const refusal = await cache.get(ctxA, 'flow-tagged-b').catch((error: unknown) => error);
    log.error({ error: refusal, tenant: A }, 'attempt failed');

    // Assess: lines were written (the flow was logged) and none carries a value.
    const text = JSON.stringify(lines());
    expect(lines().length).toBeGreaterThanOrEqual(7);
    expect(text).toContain('[redacted]');
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
