import { describe, expect, it } from 'vitest';
import { partitionOf, shardOfKey } from '../../../src/tenancy/index.js';
import {
  type PolicyDocument,
  packSessionPolicy,
  roleArnParts,
  SESSION_POLICY_MAX_CHARS,
  SessionPolicyError,
  type SessionPolicyScope,
  tenantPartitions,
  tenantSessionPolicy,
} from '../../../src/tenancy/session-policy.js';
import { tenantSessionRequest } from '../../../src/workers/tenant-session.js';
import { iamLike, identityPolicyValidator } from '../../helpers/iam-policy.js';

const scope: SessionPolicyScope = {
  partition: 'aws',
  region: 'eu-west-1',
  account: '123456789012',
  table: 'scanq-data',
  buckets: ['scanq-results', 'scanq-uploads', 'scanq-quarantine'],
  secretsPrefix: 'scanq',
};
const validate = identityPolicyValidator();
/** The longest tenant id the tenancy layer accepts (context.ts: 128 characters). */
const LONGEST_TENANT = `a${'b'.repeat(127)}`;

/** Whether the policy allows `action` on `resource` for a request with these condition values. */
function allows(
  policy: PolicyDocument,
  action: string,
  resource: string,
  context: Readonly<Record<string, readonly string[]>> = {},
): boolean {
  return policy.Statement.some((statement) => {
    if (statement.Effect !== 'Allow' || !statement.Action.some((a) => iamLike(a, action))) return false;
    if (!statement.Resource.some((r) => iamLike(r, resource))) return false;
    return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
      Object.entries(keys).every(([key, expected]) => {
        const wanted = typeof expected === 'string' ? [expected] : expected;
        const values = context[key];
        if (values === undefined) return false;
        const match = (value: string) =>
          operator.endsWith('StringLike')
            ? wanted.some((w) => iamLike(w, value))
            : operator.endsWith('StringEquals') && wanted.includes(value);
        // ForAllValues: every value of the request must match; a plain operator: the single value.
        return operator.startsWith('ForAllValues:')
          ? values.every(match)
          : values.length === 1 && match(values[0] ?? '');
      }),
    );
  });
}

const TABLE_ARN = 'arn:aws:dynamodb:eu-west-1:123456789012:table/scanq-data';
const leading = (...partitions: string[]) => ({ 'dynamodb:LeadingKeys': partitions });

describe('Function: tenantSessionPolicy', () => {
  it.each([
    ['acme', 1],
    ['acme', 4],
    ['a.b_c@d+e-f', 16],
    [LONGEST_TENANT, 1],
    [LONGEST_TENANT, 64],
  ])(
    'builds a policy of tenant %s with %i shards that the IAM grammar accepts, within STS’s limit',
    (tenant, shards) => {
      // Act
      const policy = tenantSessionPolicy(tenant, shards, scope);

      // Assess
      expect(validate(policy), JSON.stringify(validate.errors)).toBe(true);
      expect(packSessionPolicy(policy).length).toBeLessThanOrEqual(SESSION_POLICY_MAX_CHARS);
      for (const statement of policy.Statement) {
        expect(statement.Sid).toMatch(/^[A-Za-z0-9]+$/);
        for (const action of statement.Action) expect(action).toMatch(/^[a-z0-9-]+:\*?[A-Za-z]+$/);
        // Each statement names the resources of its actions' service, never `*`.
        const services = new Set(statement.Action.map((a) => a.split(':')[0]));
        expect(services.size).toBe(1);
        for (const resource of statement.Resource) {
          expect(resource.split(':')[2]).toBe([...services][0]);
          expect(resource).not.toBe('*');
        }
      }
    },
  );

  it('fits every shard count with the longest tenant id', () => {
    for (let shards = 1; shards <= 64; shards++) {
      const packed = packSessionPolicy(tenantSessionPolicy(LONGEST_TENANT, shards, scope));
      expect(packed.length).toBeLessThanOrEqual(SESSION_POLICY_MAX_CHARS);
    }
  });

  it('names every partition exactly while that fits, and t#* once it does not', () => {
    // Act
    const exact = tenantSessionPolicy('acme', 8, scope).Statement[0]?.Condition;
    const collapsed = tenantSessionPolicy(LONGEST_TENANT, 64, scope).Statement[0]?.Condition;

    // Assess
    expect(exact).toEqual({ 'ForAllValues:StringEquals': leading(...tenantPartitions('acme', 8)) });
    expect(tenantPartitions('acme', 3)).toEqual(['acme', 'acme#0', 'acme#1', 'acme#2']);
    expect(collapsed).toEqual({
      'ForAllValues:StringLike': leading(LONGEST_TENANT, `${LONGEST_TENANT}#*`),
    });
  });

  it.each([
    ['exact', 'acme', 4],
    ['collapsed', LONGEST_TENANT, 64],
  ])(
    '(%s) lets the tenant reach its own partitions and shards, and no other tenant’s',
    (_form, tenant, shards) => {
      // Prepare
      const policy = tenantSessionPolicy(tenant, shards, scope);
      const jobKey = '#job#a.example.com#noop';
      const own = [tenant, partitionOf(tenant, jobKey, shards), `${tenant}#${shardOfKey(jobKey, shards)}`];
      const others = [
        `${tenant}2`,
        tenant.slice(0, -1),
        `${tenant}.x`,
        `${tenant}2#0`,
        `x${tenant}`,
        `${tenant}/`,
      ];

      // Assess
      for (const partition of own)
        expect(allows(policy, 'dynamodb:GetItem', TABLE_ARN, leading(partition))).toBe(true);
      for (const partition of others)
        expect(allows(policy, 'dynamodb:PutItem', TABLE_ARN, leading(partition)), partition).toBe(false);
      // A batch is allowed only when every item is the tenant's.
      expect(allows(policy, 'dynamodb:BatchWriteItem', TABLE_ARN, leading(tenant, `${tenant}2`))).toBe(false);
      // The cross-tenant indexes are not granted.
      expect(allows(policy, 'dynamodb:Query', `${TABLE_ARN}/index/by-open`, leading(tenant))).toBe(false);
    },
  );

  it('reaches objects, listings and secrets under the tenant only', () => {
    // Prepare
    const policy = tenantSessionPolicy('acme', 1, scope);
    const object = (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`;
    const secret = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`;
    const list = (prefix: string) =>
      allows(policy, 's3:ListBucket', 'arn:aws:s3:::scanq-uploads', { 's3:prefix': [prefix] });

    // Assess
    for (const bucket of scope.buckets) {
      expect(allows(policy, 's3:GetObject', object(bucket, 'acme/uploads/2026-12-03/a.json'))).toBe(true);
      expect(allows(policy, 's3:PutObject', object(bucket, 'acme2/uploads/2026-12-03/a.json'))).toBe(false);
      expect(allows(policy, 's3:GetObject', object(bucket, 'acm/x'))).toBe(false);
    }
    expect(allows(policy, 's3:GetObject', object('other-bucket', 'acme/x'))).toBe(false);
    expect(list('acme/uploads/')).toBe(true);
    expect(list('acme2/')).toBe(false);
    expect(list('')).toBe(false);
    expect(allows(policy, 's3:ListBucket', 'arn:aws:s3:::scanq-uploads')).toBe(false);
    expect(allows(policy, 'secretsmanager:GetSecretValue', secret('scanq/acme/account/111'))).toBe(true);
    expect(allows(policy, 'secretsmanager:GetSecretValue', secret('scanq/acme2/account/111'))).toBe(false);
    expect(allows(policy, 'secretsmanager:PutSecretValue', secret('scanq/acme/account/111'))).toBe(false);
    const key = 'arn:aws:kms:eu-west-1:123456789012:key/1234';
    // The key only through the two services, whose statements above hold the session to the tenant.
    expect(
      allows(policy, 'kms:Decrypt', key, { 'kms:ViaService': ['secretsmanager.eu-west-1.amazonaws.com'] }),
    ).toBe(true);
    expect(allows(policy, 'kms:Decrypt', key, { 'kms:ViaService': ['s3.eu-west-1.amazonaws.com'] })).toBe(
      true,
    );
    expect(allows(policy, 'kms:Decrypt', key, { 'kms:ViaService': ['sqs.eu-west-1.amazonaws.com'] })).toBe(
      false,
    );
  });

  it('in its most compact form still names the buckets of objects and holds listings to the tenant', () => {
    // Prepare
    const policy = tenantSessionPolicy(LONGEST_TENANT, 64, scope);
    const object = (key: string) => `arn:aws:s3:::scanq-uploads/${key}`;
    const list = (prefix: string) =>
      allows(policy, 's3:ListBucket', 'arn:aws:s3:::scanq-uploads', { 's3:prefix': [prefix] });

    // Assess
    expect(policy.Statement[0]?.Action).toEqual(['dynamodb:*Item', 'dynamodb:Query']);
    expect(allows(policy, 'dynamodb:BatchWriteItem', TABLE_ARN, leading(LONGEST_TENANT))).toBe(true);
    expect(allows(policy, 'dynamodb:Scan', TABLE_ARN, leading(LONGEST_TENANT))).toBe(false);
    expect(allows(policy, 's3:GetObject', object(`${LONGEST_TENANT}/uploads/x`))).toBe(true);
    // Another tenant's key with this tenant's id further in is not reached.
    expect(allows(policy, 's3:GetObject', object(`x/uploads/2026-12-03/${LONGEST_TENANT}/y`))).toBe(false);
    expect(list(`${LONGEST_TENANT}/uploads/`)).toBe(true);
    expect(list('x/')).toBe(false);
  });

  it('uses the partition’s ARNs and service domain', () => {
    const packed = packSessionPolicy(
      tenantSessionPolicy('acme', 1, { ...scope, partition: 'aws-cn', region: 'cn-north-1' }),
    );
    expect(packed).toContain('arn:aws-cn:dynamodb:cn-north-1:');
    expect(packed).toContain('s3.cn-north-1.amazonaws.com.cn');
  });

  it('refuses a policy STS would refuse, a bad tenant id and a bad shard count', () => {
    expect(() => tenantSessionPolicy('acme', 1, { ...scope, table: 't'.repeat(2_000) })).toThrow(
      SessionPolicyError,
    );
    expect(() => tenantSessionPolicy('ac/me', 1, scope)).toThrow(/tenant/);
    expect(() => tenantSessionPolicy('acme', 65, scope)).toThrow(SessionPolicyError);
  });
});

describe('Validator: the IAM grammar (cfn-lint’s schema)', () => {
  it.each<[string, (p: Record<string, unknown>) => unknown]>([
    ['an effect that is not Allow or Deny', (p) => ({ ...p, Statement: [{ ...first(p), Effect: 'allow' }] })],
    ['a statement without a resource', (p) => ({ ...p, Statement: [{ ...first(p), Resource: undefined }] })],
    [
      'Action and NotAction together',
      (p) => ({ ...p, Statement: [{ ...first(p), NotAction: ['s3:GetObject'] }] }),
    ],
    [
      'an unknown condition operator',
      (p) => ({ ...p, Statement: [{ ...first(p), Condition: { StringEqual: {} } }] }),
    ],
    ['a version that is not the grammar’s', (p) => ({ ...p, Version: '2024-01-01' })],
    ['a Sid with punctuation', (p) => ({ ...p, Statement: [{ ...first(p), Sid: 'tenant-items' }] })],
    ['two statements with one Sid', (p) => ({ ...p, Statement: [first(p), first(p)] })],
  ])('refuses %s', (_what, mutate) => {
    const policy = JSON.parse(packSessionPolicy(tenantSessionPolicy('acme', 1, scope))) as Record<
      string,
      unknown
    >;
    expect(validate(JSON.parse(JSON.stringify(mutate(policy))))).toBe(false);
  });
});

function first(policy: Record<string, unknown>): Record<string, unknown> {
  return (policy.Statement as Record<string, unknown>[])[0] ?? {};
}

describe('Function: tenantSessionRequest / roleArnParts', () => {
  it('names the session after the tenant within 64 characters and asks for the configured duration', () => {
    const request = tenantSessionRequest('arn:aws:iam::123456789012:role/r', LONGEST_TENANT, '{}', 3_600_000);
    expect(request).toMatchObject({
      RoleArn: 'arn:aws:iam::123456789012:role/r',
      DurationSeconds: 3_600,
      Policy: '{}',
    });
    expect(request.RoleSessionName).toHaveLength(64);
    expect(request.RoleSessionName).toMatch(/^tenant-ab+$/);
  });

  it('reads partition and account from a role ARN and refuses anything else', () => {
    expect(roleArnParts('arn:aws-us-gov:iam::123456789012:role/path/r')).toEqual({
      partition: 'aws-us-gov',
      account: '123456789012',
    });
    expect(roleArnParts('arn:aws:iam::123456789012:user/u')).toBeUndefined();
  });
});
