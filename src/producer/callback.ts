import { z } from 'zod';
import {
  type CallbackClaims,
  CallbackError,
  ForgedTokenError,
  type ReturnedOutput,
  WeakSecretError,
} from '../jobs/capabilities/callback-token.js';
import { STATUS, statusCode } from '../jobs/index.js';
import { systemContext } from '../tenancy/index.js';
import type { EnqueueResult, Producer } from './producer.js';

export {
  CALLBACK_TOKEN_VERSION,
  type CallbackClaims,
  CallbackError,
  ExpiredTokenError,
  ForgedTokenError,
  MalformedTokenError,
  MIN_CALLBACK_SECRET_BYTES,
  type ReturnedOutput,
  returnedOutputSchema,
  signCallbackToken,
  verifyCallbackToken,
  WeakSecretError,
} from '../jobs/capabilities/callback-token.js';

/** The callback body breaks its schema; `issues` name the fields. */
export class CallbackBodyError extends CallbackError {
  readonly issues: readonly { field: string; message: string }[];
  constructor(issues: readonly { field: string; message: string }[]) {
    super('callback.invalidBody', issues.map((i) => `${i.field}: ${i.message}`).join('; '));
    this.issues = issues;
  }
}

/** What the outside scanner reports in its callback body. Unknown fields are refused. */
export const callbackBodySchema = z.strictObject({
  /** `done` (default): the output is in place; `failed`: the scan could not run. */
  status: z.enum(['done', 'failed']).default('done'),
  /** Why it failed (shown on the job), ≤ 1000 characters. */
  error: z.string().max(1000).optional(),
});
export type CallbackBody = z.output<typeof callbackBodySchema>;

/**
 * Validates a callback body (`undefined` or an empty body means `{ status: 'done' }`). Pure.
 * @throws CallbackBodyError naming each bad field.
 */
export function parseCallbackBody(raw: unknown): CallbackBody {
  const parsed = callbackBodySchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  throw new CallbackBodyError(
    parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(body)', message: i.message })),
  );
}

/**
 * How a callback was answered:
 * - `accepted`: the job is queued for completion (`JQA`) — HTTP 202;
 * - `duplicate`: a return is already queued for this job (a retried callback) — HTTP 200, nothing done;
 * - `notYet`: the job is still `JR` (the worker has not recorded the hand-off yet) — HTTP 409 with
 *   Retry-After, the scanner retries (until its token expires);
 * - `rejected`: the job is not waiting for this hand-off (finished, failed at its deadline, handed
 *   off again under another ref) — HTTP 410, the scanner stops.
 */
export type CallbackAnswer =
  | { readonly outcome: 'accepted'; readonly result: EnqueueResult }
  | { readonly outcome: 'duplicate' | 'notYet' | 'rejected'; readonly storedStatus: string | undefined };

/**
 * Re-inserts the job named by verified `claims` as `JQA` (rule 3) through the producer, acting as
 * `system:callback` in the claims' tenant — the token, not the request, names the tenant. When
 * `options.pathKey` is given (the key in the URL), it must equal the token's.
 * @throws ForgedTokenError `callback.keyMismatch` when the URL names another job than the token.
 * @throws CallbackBodyError for a bad body.
 */
export async function acceptReturn(
  producer: Pick<Producer, 'returnAsync'>,
  claims: CallbackClaims,
  body: unknown,
  options: { pathKey?: string } = {},
): Promise<CallbackAnswer> {
  if (options.pathKey !== undefined && options.pathKey !== claims.key) {
    throw new ForgedTokenError('callback.keyMismatch', 'callback token is for another job');
  }
  const report = parseCallbackBody(body);
  const returned: ReturnedOutput = {
    outputKey: claims.outputKey,
    asyncRef: claims.asyncRef,
    scannerStatus: report.status,
    ...(report.error === undefined ? {} : { scannerError: report.error }),
  };
  const ctx = systemContext(claims.tenant, 'callback');
  const result = await producer.returnAsync(ctx, claims.key, claims.asyncRef, { ...returned });
  if (result.accepted) return { outcome: 'accepted', result };
  const { storedStatus } = result;
  return { outcome: refusalOf(storedStatus), storedStatus };
}

/**
 * Why `returnAsync` refused, from the stored status alone: `JR` is most often the hand-off attempt
 * not yet recorded as `JRA` (retry soon); `JQA` means a return was already accepted for this job;
 * anything else (finished, failed at its deadline, handed off again under another ref) is final.
 * Pure.
 */
export function refusalOf(storedStatus: string | undefined): 'duplicate' | 'notYet' | 'rejected' {
  const code = statusCode(storedStatus);
  if (code === STATUS.running) return 'notYet';
  if (code === STATUS.asyncReturning) return 'duplicate';
  return 'rejected';
}

/** The HTTP status of each answer, for the `POST /v1/jobs/{key}/return` route and test servers. */
export const CALLBACK_HTTP_STATUS = { accepted: 202, duplicate: 200, notYet: 409, rejected: 410 } as const;

/**
 * The HTTP status of a callback error: 400 for a bad body, 500 for a weak secret (the server's
 * configuration), 401 for every token problem — with the same body, so a caller cannot tell forged
 * from expired from malformed. Pure.
 */
export function callbackErrorStatus(error: CallbackError): 400 | 401 | 500 {
  if (error instanceof CallbackBodyError) return 400;
  if (error instanceof WeakSecretError) return 500;
  return 401;
}
