import {
  CreateSecretCommand,
  type CreateSecretCommandInput,
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type PutSecretValueCommandInput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { errorName } from '../lib/errors.js';
import { assertTenantId, type TenantContext } from './context.js';
import { InvalidKeyError, TenancyError } from './errors.js';

/** Tag keys every account secret carries; `tenant` is what a reader checks before using a value. */
export const SECRET_TAGS = { tenant: 'tenant', accountId: 'accountId', app: 'app' } as const;
/** Value of the `app` tag. */
export const SECRET_APP = 'scanq';

/** A secret tagged for another tenant than the reader's (or not tagged at all). The value is never read out. */
export class CrossTenantSecretError extends TenancyError {
  readonly tenant: string;
  readonly accountId: string;
  /** The `tenant` tag found on the secret (undefined when missing); an id for operators' logs. */
  readonly secretTenant: string | undefined;

  constructor(tenant: string, accountId: string, secretTenant: string | undefined) {
    super('secrets.crossTenant', `secret for account ${accountId} is not tagged for tenant ${tenant}`);
    this.tenant = tenant;
    this.accountId = accountId;
    this.secretTenant = secretTenant;
  }
}

/** No secret (or one scheduled for deletion) under the name derived from the context. */
export class SecretNotFoundError extends TenancyError {
  constructor(accountId: string, options?: { cause?: unknown }) {
    super('secrets.notFound', `no credentials stored for account ${accountId}`, options);
  }
}

/**
 * A value that is not valid `AccountCredentials` JSON. The message names fields and rules only,
 * never the value, and no parser error is kept as `cause` (JSON.parse quotes its input).
 */
export class InvalidSecretError extends TenancyError {}

const ACCOUNT_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Validates an account id: 1-64 characters of letters, digits and `. _ -`, not `..`. */
export function assertAccountId(accountId: unknown): string {
  if (typeof accountId !== 'string' || !ACCOUNT_ID.test(accountId) || accountId.includes('..')) {
    throw new InvalidKeyError(
      'secrets.invalidAccountId',
      'accountId: must be 1-64 characters of letters, digits and . _ -',
    );
  }
  return accountId;
}

/** The secret's name: `{prefix}/{tenant}/account/{accountId}`, both ids validated. */
export function accountSecretName(prefix: string, tenant: string, accountId: string): string {
  return `${prefix}/${assertTenantId(tenant)}/account/${assertAccountId(accountId)}`;
}

const region = z
  .string()
  .regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'must be an AWS region such as eu-west-1')
  .optional();
const awsKeys = z.object({
  kind: z.literal('aws-keys'),
  // The pattern and bounds of IAM's AccessKeyId type.
  accessKeyId: z.string().regex(/^\w{16,128}$/, 'must be 16-128 letters, digits or _'),
  secretAccessKey: z.string().min(1).max(1024),
  sessionToken: z.string().min(1).max(8192).optional(),
  region,
});
const awsRole = z.object({
  kind: z.literal('aws-role'),
  roleArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'must be an IAM role ARN'),
  externalId: z
    .string()
    .regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be 2-1224 characters of letters, digits and +=,.@:/-')
    .optional(),
  region,
});

/** Schema of a stored secret value; unknown fields are dropped. */
export const accountCredentialsSchema = z.discriminatedUnion('kind', [awsKeys, awsRole]);

/** What a tenant stores for one cloud account: static keys, or a role scanq assumes. */
export type AccountCredentials = z.infer<typeof accountCredentialsSchema>;

/** What the secrets functions need. */
export interface SecretsDeps {
  readonly secrets: SecretsManagerClient;
  /** Name prefix (`config.resources.secretsPrefix`). */
  readonly prefix: string;
  /** The customer managed KMS key (id, ARN or alias) every secret is encrypted with. */
  readonly kmsKeyId: string;
}

/**
 * Validates a value; the error lists fields and rules, never the value.
 * @throws InvalidSecretError `secrets.invalid`.
 */
export function parseAccountCredentials(value: unknown): AccountCredentials {
  const parsed = accountCredentialsSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  // Issue messages are our rules or zod's type names; zod v4 does not put the input in them.
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(value)'}: ${issue.message}`,
  );
  throw new InvalidSecretError('secrets.invalid', `invalid account credentials: ${problems.join('; ')}`);
}

function decode(secretString: string | undefined): AccountCredentials {
  let json: unknown;
  try {
    json = JSON.parse(secretString ?? '');
  } catch {
    // The SyntaxError quotes the text it failed on: neither its message nor the error is kept.
    throw new InvalidSecretError('secrets.invalid', 'invalid account credentials: not a JSON string');
  }
  return parseAccountCredentials(json);
}

/**
 * The CreateSecret request: encrypted with the CMK, tagged with tenant, account and app. Pure, so
 * tests can check what is sent (no local endpoint proves Secrets Manager uses the KMS key).
 */
export function createSecretRequest(
  deps: Pick<SecretsDeps, 'prefix' | 'kmsKeyId'>,
  ctx: Pick<TenantContext, 'tenant'>,
  accountId: string,
  value: AccountCredentials,
): CreateSecretCommandInput {
  return {
    Name: accountSecretName(deps.prefix, ctx.tenant, accountId),
    KmsKeyId: deps.kmsKeyId,
    SecretString: JSON.stringify(parseAccountCredentials(value)),
    Tags: [
      { Key: SECRET_TAGS.tenant, Value: ctx.tenant },
      { Key: SECRET_TAGS.accountId, Value: accountId },
      { Key: SECRET_TAGS.app, Value: SECRET_APP },
    ],
  };
}

/** The PutSecretValue request of a rotation: a new version that becomes AWSCURRENT. Pure. */
export function putSecretValueRequest(
  secretId: string,
  value: AccountCredentials,
): PutSecretValueCommandInput {
  return { SecretId: secretId, SecretString: JSON.stringify(parseAccountCredentials(value)) };
}

/** A field the service always returns; its absence is a broken endpoint, not a missing secret. */
function present(value: string | undefined, field: string): string {
  if (!value) throw new TenancyError('secrets.unexpectedResponse', `Secrets Manager returned no ${field}`);
  return value;
}

function tagOf(described: DescribeSecretCommandOutput, key: string): string | undefined {
  return described.Tags?.find((tag) => tag.Key === key)?.Value;
}

/**
 * Describes the secret under the context's name and checks it is the tenant's.
 * @throws SecretNotFoundError when absent or scheduled for deletion; CrossTenantSecretError when
 *   its `tenant` tag is not the context's tenant.
 */
async function describeOwn(
  deps: SecretsDeps,
  ctx: TenantContext,
  accountId: string,
): Promise<{ arn: string; name: string }> {
  const name = accountSecretName(deps.prefix, ctx.tenant, accountId);
  let described: DescribeSecretCommandOutput;
  try {
    described = await deps.secrets.send(new DescribeSecretCommand({ SecretId: name }));
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException')
      throw new SecretNotFoundError(accountId, { cause: error });
    throw error;
  }
  // A name ending in `-xxxxxx` can match another secret's ARN suffix: only the exact name is ours.
  if (described.Name !== name || !described.ARN || described.DeletedDate)
    throw new SecretNotFoundError(accountId);
  const tagged = tagOf(described, SECRET_TAGS.tenant);
  if (tagged !== ctx.tenant) throw new CrossTenantSecretError(ctx.tenant, accountId, tagged?.slice(0, 128));
  return { arn: described.ARN, name };
}

/** What `putAccountSecret` did; never the value. */
export interface PutSecretResult {
  readonly arn: string;
  readonly versionId: string;
  /** True when the secret was created, false when a new version was added (rotation). */
  readonly created: boolean;
}

/**
 * Stores the tenant's credentials for an account: creates the secret (CMK-encrypted, tagged) or,
 * when it exists, adds a new version that becomes current (rotation). An existing secret must
 * carry the context's tenant tag; its KMS key and tags are left as they are.
 * @throws InvalidSecretError for an invalid value (nothing is written); CrossTenantSecretError when
 *   the existing secret is tagged for another tenant; InvalidKeyError for a bad account id.
 */
export async function putAccountSecret(
  deps: SecretsDeps,
  ctx: TenantContext,
  accountId: string,
  value: AccountCredentials,
): Promise<PutSecretResult> {
  const request = createSecretRequest(deps, ctx, accountId, value);
  try {
    const out = await deps.secrets.send(new CreateSecretCommand(request));
    return { arn: present(out.ARN, 'ARN'), versionId: present(out.VersionId, 'VersionId'), created: true };
  } catch (error) {
    if (errorName(error) !== 'ResourceExistsException') throw error;
  }
  const { arn } = await describeOwn(deps, ctx, accountId);
  const out = await deps.secrets.send(new PutSecretValueCommand(putSecretValueRequest(arn, value)));
  return { arn: out.ARN ?? arn, versionId: present(out.VersionId, 'VersionId'), created: false };
}

/**
 * Reads the tenant's credentials for an account. The name comes from the context, so another
 * tenant's secret is simply not found; the `tenant` tag is checked before the value is fetched.
 * @throws SecretNotFoundError `secrets.notFound`; CrossTenantSecretError `secrets.crossTenant`
 *   (the value is not read); InvalidSecretError `secrets.invalid`; InvalidKeyError for a bad id.
 */
export async function readAccountSecret(
  deps: SecretsDeps,
  ctx: TenantContext,
  accountId: string,
): Promise<AccountCredentials> {
  const { arn } = await describeOwn(deps, ctx, accountId);
  let secretString: string | undefined;
  try {
    // By ARN: the value comes from the very secret whose tag was checked, not a re-created namesake.
    const out = await deps.secrets.send(new GetSecretValueCommand({ SecretId: arn }));
    secretString = out.SecretString;
  } catch (error) {
    const name = errorName(error);
    if (name === 'ResourceNotFoundException' || name === 'InvalidRequestException') {
      throw new SecretNotFoundError(accountId, { cause: error });
    }
    throw error;
  }
  return decode(secretString);
}
