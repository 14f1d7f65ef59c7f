import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { clientSettings } from '../aws/index.js';
import type { Config } from '../config/index.js';
import { errorName } from '../lib/errors.js';
import type { AccountCredentials, TenantContext } from '../tenancy/index.js';
import { resolveAwsCredentials } from '../workers/credentials.js';
import { ApiError } from './errors.js';

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

export interface ValidateDeps {
  readonly config: Config;
  /** scanq's own STS client (assumes roles for `aws-role` credentials). */
  readonly sts: STSClient;
}

/**
 * Validates credentials the way a scan will use them: `aws-role` is assumed with scanq's identity
 * (and the external id), then STS `GetCallerIdentity` is called with the resulting keys against the
 * configured STS endpoint. The account they belong to must be `accountId`.
 * @throws ApiError 503 `account.validationUnavailable` when STS cannot answer (throttling, 5xx,
 *   network): nothing is decided, nothing stored.
 */
export async function validateCredentials(
  deps: ValidateDeps,
  ctx: TenantContext,
  accountId: string,
  credentials: AccountCredentials,
): Promise<Validation> {
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
