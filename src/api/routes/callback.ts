import { z } from 'zod';
import {
  acceptReturn,
  CALLBACK_HTTP_STATUS,
  CallbackBodyError,
  type CallbackClaims,
  CallbackError,
  callbackBodySchema,
  callbackErrorStatus,
  verifyCallbackToken,
} from '../../producer/index.js';
import type { RouteDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { parsePart, publicRoute, type Route } from '../routing.js';
import { jobKeyParamsSchema } from '../schemas.js';

/** Seconds a scanner waits before retrying a callback that came before the hand-off was recorded. */
const RETRY_AFTER_SECONDS = 5;

const callbackQuerySchema = z.object({ token: z.string().max(4096).optional() });
const callbackAnswerSchema = z.object({
  outcome: z.enum(['accepted', 'duplicate', 'notYet', 'rejected']),
  key: z.string(),
});

/**
 * The same 401 for every token problem (missing, malformed, forged, expired, for another job), so a
 * caller learns nothing about which; a bad body is a 400 naming its fields.
 */
function callbackError(error: CallbackError): ApiError {
  if (error instanceof CallbackBodyError) {
    return new ApiError(400, error.code, error.message, { fields: error.issues });
  }
  const status = callbackErrorStatus(error);
  if (status === 500) return new ApiError(500, 'callback.misconfigured', 'callbacks cannot be verified');
  return new ApiError(401, 'callback.unauthorized', 'the callback token is not valid for this job');
}

/**
 * `POST /v1/jobs/{key}/return?token=…`: an outside scanner reports back. No JWT: the signed token
 * (HMAC-SHA256 over tenant, key, asyncRef, output key, expiry) names the tenant and job.
 */
export function callbackRoutes(deps: RouteDeps): Route[] {
  return [
    publicRoute({
      method: 'POST',
      url: '/v1/jobs/:key/return',
      rateLimited: true,
      params: jobKeyParamsSchema,
      query: callbackQuerySchema,
      doc: {
        summary: 'Async callback of an outside scanner (signed token, no JWT)',
        description:
          '202: queued for completion; 200: a return is already queued; 409 (Retry-After): the hand-off ' +
          'is not recorded yet; 410: the job no longer waits for this hand-off; 401: bad token.',
        tags: ['jobs'],
        requestBody: callbackBodySchema,
        responses: {
          202: { description: 'accepted', schema: callbackAnswerSchema },
          200: { description: 'duplicate', schema: callbackAnswerSchema },
          409: { description: 'not yet: retry', schema: callbackAnswerSchema },
          410: { description: 'rejected: stop', schema: callbackAnswerSchema },
        },
        errors: {
          401: 'the callback token is missing, malformed, forged, expired or for another job',
          404: 'this API does not accept callbacks (no callback secret configured)',
        },
      },
      async handle({ params, query, request }) {
        const secret = deps.config.external.callbackSecret;
        if (!secret) throw new ApiError(404, 'callback.disabled', 'this API does not accept callbacks');
        try {
          const claims: CallbackClaims = verifyCallbackToken(secret, query.token, deps.now());
          // The body is read only once the token vouched for the caller; no body at all means done.
          const body = parsePart(callbackBodySchema, request.body === undefined ? {} : request.body, 'body');
          const answer = await acceptReturn(deps.producer, claims, body, { pathKey: params.key });
          deps.log.info(
            { tenant: claims.tenant, key: claims.key, outcome: answer.outcome },
            'callback answered',
          );
          return {
            status: CALLBACK_HTTP_STATUS[answer.outcome],
            body: { outcome: answer.outcome, key: claims.key },
            ...(answer.outcome === 'notYet'
              ? { headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } }
              : {}),
          };
        } catch (error) {
          if (error instanceof CallbackError) throw callbackError(error);
          throw error;
        }
      },
    }),
  ];
}
