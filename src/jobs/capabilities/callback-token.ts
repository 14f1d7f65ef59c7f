import { z } from 'zod';
import { ScanqError } from '../../lib/errors.js';
import { openPayload, signPayload } from '../../lib/signed-token.js';

/*
 * Callback tokens of async hand-offs. They live with the capabilities (the `external` capability
 * signs them in a worker) and are re-exported by `producer/callback.ts`, which verifies them when the
 * scanner calls back: jobs must not import from the producer.
 */

/** Shortest callback secret: HMAC-SHA256 keys should carry at least the hash's 256 bits. */
export const MIN_CALLBACK_SECRET_BYTES = 32;
/** Token format version; a change of payload shape gets a new one. */
export const CALLBACK_TOKEN_VERSION = 1;
/** Longest token accepted (a job key is ≤ 1024 characters; base64 adds a third). */
const MAX_TOKEN_LENGTH = 4096;

/** Base of callback errors: the caller answers 401 for any of them, and learns no more. */
export class CallbackError extends ScanqError {}
/** The token does not parse (wrong shape, not base64url, bad payload). */
export class MalformedTokenError extends CallbackError {
  constructor(message: string) {
    super('callback.malformed', message);
  }
}
/** The signature does not match: made without the secret, or altered. */
export class ForgedTokenError extends CallbackError {
  constructor(code = 'callback.forged', message = 'callback token signature does not match') {
    super(code, message);
  }
}
/** A valid token past its `exp`. */
export class ExpiredTokenError extends CallbackError {
  constructor() {
    super('callback.expired', 'callback token has expired');
  }
}
/** The secret is too short to sign or verify with (a configuration error, not a caller's). */
export class WeakSecretError extends CallbackError {
  constructor() {
    super('callback.weakSecret', `callback secret must be at least ${MIN_CALLBACK_SECRET_BYTES} bytes`);
  }
}
/** What a callback token vouches for: one hand-off of one job of one tenant, until `exp`. */
export interface CallbackClaims {
  readonly tenant: string;
  readonly key: string;
  readonly asyncRef: string;
  /** Where the scanner was told to put its output (a key in the tenant's evidence files). */
  readonly outputKey: string;
  /** Expiry, seconds since the epoch (as in JWT). */
  readonly exp: number;
}

const claimsSchema = z.strictObject({
  v: z.literal(CALLBACK_TOKEN_VERSION),
  tenant: z.string().min(1).max(128),
  key: z.string().min(1).max(1024),
  asyncRef: z.string().min(1).max(128),
  outputKey: z.string().min(1).max(1024),
  exp: z.number().int().positive(),
});

function keyOf(secret: string): Buffer {
  const key = Buffer.from(secret, 'utf8');
  if (key.length < MIN_CALLBACK_SECRET_BYTES) throw new WeakSecretError();
  return key;
}

/**
 * Signs claims into `base64url(payload).base64url(HMAC-SHA256(payload))` (the one token signer,
 * `lib/signed-token.ts`). Pure.
 * @throws WeakSecretError when the secret is shorter than 32 bytes.
 */
export function signCallbackToken(secret: string, claims: CallbackClaims): string {
  return signPayload(keyOf(secret), { v: CALLBACK_TOKEN_VERSION, ...claims });
}

/**
 * Verifies a token: its shape, then its signature (constant-time, before the payload is trusted or
 * even parsed), then its payload, then its expiry against `now`. Pure.
 * @throws MalformedTokenError, ForgedTokenError, ExpiredTokenError; WeakSecretError for a short secret.
 */
export function verifyCallbackToken(secret: string, token: unknown, now: Date): CallbackClaims {
  const key = keyOf(secret);
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    throw new MalformedTokenError('callback token: missing or too long');
  }
  const opened = openPayload(key, token);
  if (!opened.ok && opened.problem === 'forged') throw new ForgedTokenError();
  if (!opened.ok)
    throw new MalformedTokenError('callback token: must be two base64url parts joined by a dot');
  const parsed = claimsSchema.safeParse(opened.value);
  if (!parsed.success) throw new MalformedTokenError('callback token: payload breaks the claims schema');
  if (parsed.data.exp * 1000 <= now.getTime()) throw new ExpiredTokenError();
  const { v: _v, ...claims } = parsed.data;
  return claims;
}

/**
 * What a callback re-inserts with the job (`asyncResult`), for the completion step: where the
 * output is, which hand-off it answers, and what the scanner reported.
 */
export const returnedOutputSchema = z.strictObject({
  outputKey: z.string().min(1).max(1024),
  asyncRef: z.string().min(1).max(128),
  scannerStatus: z.enum(['done', 'failed']),
  scannerError: z.string().max(1000).optional(),
});
export type ReturnedOutput = z.output<typeof returnedOutputSchema>;
