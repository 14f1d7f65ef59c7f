import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { InvalidKeyError, TenancyError } from '../../src/tenancy/index.js';
import {
  type AccountCredentials,
  accountSecretName,
  createSecretRequest,
  InvalidSecretError,
  parseAccountCredentials,
  putSecretValueRequest,
} from '../../src/tenancy/secrets.js';
import { assumeRoleRequest, CredentialsCache } from '../../src/workers/credentials.js';
import { captureLog } from '../helpers/log-capture.js';

// Request building is tested here, not on the local endpoint, for one reason: moto's Secrets
// Manager stores `KmsKeyId` but never calls KMS, so no local test can prove a secret is encrypted
// with the CMK. What we can prove is that every CreateSecret we send names the CMK and the tenant.

const SECRET = 'wJalrXUtnFEMI/K7MDENG/unit-secret-value';
const keys: AccountCredentials = {
  kind: 'aws-keys',
  accessKeyId: 'AKIAUNITTEST00000001',
  secretAccessKey: SECRET,
  region: 'eu-west-1',
};
const role: AccountCredentials = {
  kind: 'aws-role',
  roleArn: 'arn:aws:iam::123456789012:role/scanq-reader',
  externalId: 'ext-123',
};
const deps = { prefix: 'scanq-test', kmsKeyId: 'alias/scanq-test' };
const ctx = { tenant: 'tenant-a' };

describe('Function: accountSecretName', () => {
  it('names the secret {prefix}/{tenant}/account/{accountId}', () => {
    expect(accountSecretName('scanq', 'tenant-a', '123456789012')).toBe(
      'scanq/tenant-a/account/123456789012',
    );
    expect(accountSecretName('p', 'a.b@c+d', 'A-z_0.9')).toBe('p/a.b@c+d/account/A-z_0.9');
  });

  it.each([
    ['empty', ''],
    ['65 characters', 'a'.repeat(65)],
    ['a slash', '1/../../tenant-b/account/1'],
    ['..', '..'],
    ['a space', 'a b'],
    ['a #', '#account#1'],
    ['a newline', '1\n'],
  ])('refuses an account id with %s', (_label, accountId) => {
    expect(() => accountSecretName('p', 'tenant-a', accountId)).toThrow(
      expect.objectContaining({ code: 'secrets.invalidAccountId', constructor: InvalidKeyError }),
    );
  });

  it('accepts 64 characters', () => {
    expect(accountSecretName('p', 't', 'a'.repeat(64))).toBe(`p/t/account/${'a'.repeat(64)}`);
  });

  it.each(['', 'a/b', '..', 'a#b', 'x'.repeat(129)])('refuses the tenant id %j', (tenant) => {
    expect(() => accountSecretName('p', tenant, '1')).toThrow(
      expect.objectContaining({ code: 'tenant.invalidId' }),
    );
  });
});

describe('Function: parseAccountCredentials', () => {
  it('accepts both kinds and drops unknown fields', () => {
    expect(parseAccountCredentials({ ...keys, note: 'x' })).toEqual(keys);
    expect(parseAccountCredentials(role)).toEqual(role);
    expect(
      parseAccountCredentials({
        kind: 'aws-keys',
        accessKeyId: 'ASIA0000000000000001',
        secretAccessKey: 's',
        sessionToken: 't',
      }),
    ).toEqual({
      kind: 'aws-keys',
      accessKeyId: 'ASIA0000000000000001',
      secretAccessKey: 's',
      sessionToken: 't',
    });
  });

  it.each([
    ['an unknown kind', { kind: 'gcp-key', secretAccessKey: SECRET }],
    ['keys without the secret', { kind: 'aws-keys', accessKeyId: 'AKIAUNITTEST00000001' }],
    ['a short access key id', { kind: 'aws-keys', accessKeyId: SECRET.slice(0, 5), secretAccessKey: SECRET }],
    ['a malformed role ARN', { kind: 'aws-role', roleArn: `arn:aws:iam::1:user/${SECRET}` }],
    ['a bad region', { ...keys, region: SECRET }],
    ['not an object', SECRET],
    ['the value in the discriminator', { kind: SECRET }],
    ['the value as a field name', { kind: 'aws-keys', [SECRET]: 1 }],
  ])('refuses %s without quoting the value', (_label, value) => {
    let thrown: unknown;
    try {
      parseAccountCredentials(value);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidSecretError);
    expect(thrown).toBeInstanceOf(TenancyError);
    expect(thrown).toMatchObject({ code: 'secrets.invalid' });
    const text = `${String(thrown)} ${JSON.stringify(thrown)}`;
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(SECRET.slice(0, 5));
  });
});

describe('Function: createSecretRequest', () => {
  it('encrypts with the CMK and tags the secret with its tenant, account and app', () => {
    // Act
    const request = createSecretRequest(deps, ctx, '123456789012', keys);

    // Assess
    expect(request.Name).toBe('scanq-test/tenant-a/account/123456789012');
    expect(request.KmsKeyId).toBe('alias/scanq-test');
    expect(request.Tags).toEqual([
      { Key: 'tenant', Value: 'tenant-a' },
      { Key: 'accountId', Value: '123456789012' },
      { Key: 'app', Value: 'scanq' },
    ]);
    expect(JSON.parse(request.SecretString ?? '')).toEqual(keys);
  });

  it('stores only the validated fields', () => {
    const request = createSecretRequest(deps, ctx, '1', { ...role, extra: 'dropped' } as AccountCredentials);
    expect(JSON.parse(request.SecretString ?? '')).toEqual(role);
  });

  it('refuses an invalid value or account id before anything could be sent', () => {
    expect(() =>
      createSecretRequest(deps, ctx, '1', { kind: 'aws-keys', accessKeyId: 'x' } as AccountCredentials),
    ).toThrow(InvalidSecretError);
    expect(() => createSecretRequest(deps, ctx, '../1', keys)).toThrow(InvalidKeyError);
  });
});

describe('Function: putSecretValueRequest', () => {
  it('writes the validated value to the given secret (a new version, made current)', () => {
    const request = putSecretValueRequest('arn:aws:secretsmanager:eu-west-1:1:secret:x', role);
    expect(request).toEqual({
      SecretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:x',
      SecretString: JSON.stringify(role),
    });
    expect(request).not.toHaveProperty('VersionStages');
  });
});

describe('Function: assumeRoleRequest', () => {
  const roleCreds = { kind: 'aws-role', roleArn: 'arn:aws:iam::123456789012:role/r' } as const;

  it('names the session after the tenant and passes the external id when set', () => {
    expect(assumeRoleRequest({ ...roleCreds, externalId: 'ext-1' }, { tenant: 'tenant-a' })).toEqual({
      RoleArn: 'arn:aws:iam::123456789012:role/r',
      RoleSessionName: 'scanq-tenant-a',
      ExternalId: 'ext-1',
    });
    expect(assumeRoleRequest(roleCreds, { tenant: 't', durationSeconds: 900 })).toEqual({
      RoleArn: 'arn:aws:iam::123456789012:role/r',
      RoleSessionName: 'scanq-t',
      DurationSeconds: 900,
    });
  });

  it('cuts the session name to the 64 characters STS allows', () => {
    const name = assumeRoleRequest(roleCreds, { tenant: 'x'.repeat(128) }).RoleSessionName ?? '';
    expect(name).toHaveLength(64);
    expect(name.startsWith('scanq-x')).toBe(true);
  });
});

describe('Class: CredentialsCache', () => {
  it('refuses a negative or non-finite TTL', () => {
    // Prepare: a client that is never sent anything (constructing one needs no network).
    const secrets = new SecretsManagerClient({ region: 'eu-west-1' });
    const options = { secrets: { ...deps, secrets }, audit: async () => {}, log: captureLog().log };

    // Act / Assess
    for (const ttlMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new CredentialsCache({ ...options, ttlMs })).toThrow(
        expect.objectContaining({ code: 'credentials.invalidTtl' }),
      );
    }
    expect(new CredentialsCache({ ...options, ttlMs: 0 }).size).toBe(0);
    secrets.destroy();
  });
});
