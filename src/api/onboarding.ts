import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { clientSettings } from '../aws/index.js';
import type { Config } from '../config/index.js';
import { errorName } from '../lib/errors.js';
import type { AccountCredentials, TenantContext } from '../tenancy/index.js';
import { resolveAwsCredentials } from '../workers/credentials.js';
import { ApiError, type FieldMessage, RequestValidationError } from './errors.js';

/** Sort key of an onboarded cloud account. */
export function accountKey(provider: string, accountId: string): string {
  return `#account#${provider}#${accountId}`;
}

/** Sort key of a registered provider. */
export function providerKey(name: string): string {
  return `#provider#${name}`;
}

/** What validating credentials found. `reason` never carries a credential or an STS message text. */
export type Validation =
  | { readonly state: 'active'; readonly identityArn: string }
  | { readonly state: 'invalid'; readonly reason: string };

/** STS answers that mean "these credentials do not work" rather than "try again later". */
const REFUSALS = new Set([
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'AccessDenied',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidAccessKeyId',
  'AuthFailure',
  'RegionDisabledException',
  'ValidationError',
]);

/** True for an STS error that says the credentials (or role) are refused, by its type name and status. */
export function isRefusal(error: unknown): boolean {
  const name = errorName(error) ?? '';
  if (REFUSALS.has(name)) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
  return (
    typeof status === 'number' && status >= 400 && status < 500 && status !== 429 && !/Throttl/.test(name)
  );
}

/** Longest AWS region name accepted (the longest real one has 14 characters). */
const MAX_REGION_LENGTH = 32;
/** What a signed request can carry in a header or signature: visible ASCII. */
const HEADER_SAFE = /^[\x21-\x7e]*$/;

/**
 * What in `credentials` could never leave the SDK as a request (checked before any call, so the
 * caller gets a 400 naming the field rather than a 503 "retry"). Pure.
 */
export function credentialProblems(credentials: AccountCredentials): FieldMessage[] {
  const problems: FieldMessage[] = [];
  if (credentials.region !== undefined && credentials.region.length > MAX_REGION_LENGTH) {
    problems.push({
      field: 'credentials.region',
      message: `must be at most ${MAX_REGION_LENGTH} characters`,
    });
  }
  const sent =
    credentials.kind === 'aws-keys'
      ? { secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken }
      : { externalId: credentials.externalId };
  for (const [name, value] of Object.entries(sent)) {
    if (value !== undefined && !HEADER_SAFE.test(value)) {
      problems.push({
        field: `credentials.${name}`,
        message: 'must be visible ASCII (no spaces or line breaks)',
      });
    }
  }
  return problems;
}

/** Network failures and timeouts: the request may have left, and a retry may work. */
const UNREACHABLE = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);

/**
 * True for an SDK error raised before the request left (client-side validation, a header Node
 * refuses): no HTTP status came back and it is no network failure or timeout. Decided by type and
 * code, never by message text.
 */
export function neverSent(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { $metadata, code } = error as { $metadata?: { httpStatusCode?: number }; code?: unknown };
  if ($metadata?.httpStatusCode !== undefined) return false;
  if (typeof code === 'string' && UNREACHABLE.has(code)) return false;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return false;
  return code === 'ERR_INVALID_CHAR' || code === 'ERR_INVALID_HTTP_TOKEN' || $metadata === undefined;
}

export interface ValidateDeps {
  readonly config: Config;
  /** scanq's own STS client (assumes roles for `aws-role` credentials). */
  readonly sts: STSClient;
}

/**
 * Validates credentials the way a scan will use them: `aws-role` is assumed with scanq's identity
 * (and the external id), then STS `GetCallerIdentity` is called with the resulting keys against the
 * configured STS endpoint. The account they belong to must be `accountId`.
 * @throws RequestValidationError (400) naming the field when the credentials cannot even be sent
 *   (an overlong region, a token with characters no HTTP header may carry): retrying cannot help.
 * @throws ApiError 503 `account.validationUnavailable` when STS cannot answer (throttling, 5xx,
 *   network): nothing is decided, nothing stored.
 */
export async function validateCredentials(
  deps: ValidateDeps,
  ctx: TenantContext,
  accountId: string,
  credentials: AccountCredentials,
): Promise<Validation> {
  const problems = credentialProblems(credentials);
  if (problems.length > 0) throw new RequestValidationError(problems);
  let sts: STSClient | undefined;
  try {
    const keys = await resolveAwsCredentials(credentials, deps.sts, { tenant: ctx.tenant });
    sts = new STSClient({
      ...clientSettings(deps.config, 'sts'),
      region: credentials.region ?? deps.config.region,
      credentials: {
        accessKeyId: keys.accessKeyId,
        secretAccessKey: keys.secretAccessKey,
        ...(keys.sessionToken ? { sessionToken: keys.sessionToken } : {}),
      },
    });
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    if (identity.Account !== accountId) {
      return {
        state: 'invalid',
        reason: `the credentials belong to account ${identity.Account ?? 'unknown'}`,
      };
    }
    return { state: 'active', identityArn: identity.Arn ?? '' };
  } catch (error) {
    if (isRefusal(error)) {
      const step = credentials.kind === 'aws-role' && sts === undefined ? 'AssumeRole' : 'GetCallerIdentity';
      return {
        state: 'invalid',
        reason: `STS ${step} refused the credentials (${errorName(error) ?? 'error'})`,
      };
    }
    if (neverSent(error)) {
      const message = `the credentials cannot be used to sign a request (${errorName(error) ?? 'error'})`;
      throw new RequestValidationError([{ field: 'credentials', message }], 'account.unusableCredentials');
    }
    throw new ApiError(
      503,
      'account.validationUnavailable',
      'STS could not validate the credentials; retry',
      {
        cause: error,
      },
    );
  } finally {
    sts?.destroy();
  }
}
