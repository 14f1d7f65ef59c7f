import { assertTenantId } from './context.js';
import { TenancyError } from './errors.js';
import { MAX_SHARDS } from './shards.js';

/**
 * The session policy of a tenant session (DESIGN §4; docs/SECURITY.md): what a capability's AWS
 * clients may touch while they run for one tenant. STS intersects it with the tenant-session role's
 * own policy (and its permission boundary), so the session can never do more than the role, and
 * only this tenant's share of it:
 *
 * - DynamoDB: the table's item actions where every partition key (`dynamodb:LeadingKeys`) is the
 *   tenant's own partition `t` or one of its job write shards `t#0` … `t#{S-1}` (shards.ts). No
 *   index: the table's indexes are cross-tenant (sweeper, scheduler) and a capability reads none.
 * - S3: objects under `{tenant}/` of the three buckets, and listings only with a `{tenant}/` prefix.
 * - Secrets Manager: `{prefix}/{tenant}/*` (the tenant's account secrets, secrets.ts).
 * - KMS: the CMK only through S3 and Secrets Manager (which the statements above hold to the tenant).
 *
 * Pure: the request is built here and unit-tested against the IAM policy grammar, because no local
 * endpoint evaluates condition keys (shared/LOCAL-AWS.md).
 */

/** STS refuses a session policy whose plain text is longer than this (AssumeRole `Policy`). */
export const SESSION_POLICY_MAX_CHARS = 2048;

/** The IAM grammar's policy language version. */
export const POLICY_VERSION = '2012-10-17';

/** The DynamoDB actions a tenant session may use on the table (what `TenantTable` sends). */
export const SESSION_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
] as const;

/** Object actions under `{tenant}/` (what `TenantFiles` sends; HeadObject is GetObject, a copy is Get + Put). */
export const SESSION_OBJECT_ACTIONS = [
  's3:GetObject',
  's3:PutObject',
  's3:DeleteObject',
  's3:AbortMultipartUpload',
] as const;

/** A condition block: operator → condition key → value(s). */
export type PolicyCondition = Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;

/** One statement of an identity (or session) policy. */
export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition?: PolicyCondition;
}

/** An IAM policy document. */
export interface PolicyDocument {
  readonly Version: typeof POLICY_VERSION;
  readonly Statement: readonly PolicyStatement[];
}

/** Where the tenant's resources are: one account and region (the tenant-session role's). */
export interface SessionPolicyScope {
  /** ARN partition: `aws`, `aws-cn`, `aws-us-gov`. */
  readonly partition: string;
  readonly region: string;
  /** 12-digit account id. */
  readonly account: string;
  readonly table: string;
  /** Every bucket a capability's `TenantFiles` reaches (results, uploads, quarantine). */
  readonly buckets: readonly string[];
  /** Secret name prefix (`config.resources.secretsPrefix`). */
  readonly secretsPrefix: string;
}

/** A session policy that cannot be built (too long for STS, or bad input). */
export class SessionPolicyError extends TenancyError {}

/** DNS suffix of service principals in `kms:ViaService` for a partition. */
function dnsSuffix(partition: string): string {
  return partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
}

/**
 * The partition values a tenant's items live under: `t`, and with `shards` S > 1 also `t#0` …
 * `t#{S-1}` (shards.ts `partitionOf`). Pure.
 */
export function tenantPartitions(tenant: string, shards: number): string[] {
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) {
    throw new SessionPolicyError(
      'sessionPolicy.invalidShards',
      `shards: must be a whole number 1-${MAX_SHARDS}`,
    );
  }
  return [tenant, ...(shards > 1 ? Array.from({ length: shards }, (_, n) => `${tenant}#${n}`) : [])];
}

/**
 * The LeadingKeys condition: the exact partitions when `exact`, else the tenant and the pattern
 * `t#*` (sound because a tenant id holds neither `#` nor a wildcard: context.ts).
 */
function leadingKeys(tenant: string, shards: number, exact: boolean): PolicyCondition {
  if (exact || shards === 1) {
    return { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': tenantPartitions(tenant, shards) } };
  }
  return { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [tenant, `${tenant}#*`] } };
}

/**
 * How compact a policy is written, most explicit first: every partition, listing bucket and table
 * action named; then `t#*` for the shards; then also listings of any bucket (still with the
 * `{tenant}/` prefix) and the table's actions as `dynamodb:*Item` and `Query` — which STS
 * intersects with the role's own policy, so they still mean only the role's buckets and actions.
 * Object ARNs always name their buckets: a wildcard bucket (`*\/t/*`) would match another
 * tenant's key that has `/t/` further in.
 */
const FORMS = [
  { exactPartitions: true, compact: false },
  { exactPartitions: false, compact: false },
  { exactPartitions: false, compact: true },
] as const;
type Form = (typeof FORMS)[number];

function statements(tenant: string, shards: number, scope: SessionPolicyScope, form: Form) {
  const { partition: p, region, account } = scope;
  const secrets = `arn:${p}:secretsmanager:${region}:${account}:secret:${scope.secretsPrefix}/${tenant}/*`;
  const via = (service: string) => `${service}.${region}.${dnsSuffix(p)}`;
  const listed = form.compact ? ['*'] : scope.buckets;
  const out: PolicyStatement[] = [
    {
      Sid: 'Items',
      Effect: 'Allow',
      Action: form.compact ? ['dynamodb:*Item', 'dynamodb:Query'] : SESSION_TABLE_ACTIONS,
      Resource: [`arn:${p}:dynamodb:${region}:${account}:table/${scope.table}`],
      Condition: leadingKeys(tenant, shards, form.exactPartitions),
    },
    {
      Sid: 'Objects',
      Effect: 'Allow',
      Action: SESSION_OBJECT_ACTIONS,
      Resource: scope.buckets.map((bucket) => `arn:${p}:s3:::${bucket}/${tenant}/*`),
    },
    {
      Sid: 'Listings',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: listed.map((bucket) => `arn:${p}:s3:::${bucket}`),
      Condition: { StringLike: { 's3:prefix': [`${tenant}/*`] } },
    },
    {
      Sid: 'Secrets',
      Effect: 'Allow',
      Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
      Resource: [secrets],
    },
    {
      // The CMK, only as S3 and Secrets Manager use it on the session's behalf for the requests
      // above (bucket keys make S3's encryption context the bucket, so no tenant is in it).
      Sid: 'Keys',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: [`arn:${p}:kms:${region}:${account}:key/*`],
      Condition: { StringEquals: { 'kms:ViaService': [via('s3'), via('secretsmanager')] } },
    },
  ];
  return out;
}

/**
 * The session policy of `tenant` with `shards` write shards, in the most explicit form (`FORMS`)
 * that fits STS's limit: every partition and bucket named for a short tenant id, `t#*` and any of
 * the role's buckets for the longest ids with many shards.
 * @throws SessionPolicyError `sessionPolicy.tooLarge` when even the short form passes
 *   `SESSION_POLICY_MAX_CHARS`; `tenant.invalidId` for a bad tenant id.
 */
export function tenantSessionPolicy(
  tenant: string,
  shards: number,
  scope: SessionPolicyScope,
): PolicyDocument {
  assertTenantId(tenant);
  for (const form of FORMS) {
    const policy: PolicyDocument = {
      Version: POLICY_VERSION,
      Statement: statements(tenant, shards, scope, form),
    };
    if (packSessionPolicy(policy).length <= SESSION_POLICY_MAX_CHARS) return policy;
  }
  throw new SessionPolicyError(
    'sessionPolicy.tooLarge',
    `session policy of tenant ${tenant} is longer than ${SESSION_POLICY_MAX_CHARS} characters`,
  );
}

/** The policy as sent in AssumeRole `Policy`: JSON without whitespace. Pure. */
export function packSessionPolicy(policy: PolicyDocument): string {
  return JSON.stringify(policy);
}

const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;

/** Partition and account of a role ARN (where the tenant's resources are). Undefined when it is not one. */
export function roleArnParts(roleArn: string): { partition: string; account: string } | undefined {
  const match = ROLE_ARN.exec(roleArn);
  return match?.[1] && match[2] ? { partition: match[1], account: match[2] } : undefined;
}
