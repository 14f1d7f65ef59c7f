import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * scanq's one token signer: `base64url(payload).base64url(HMAC-SHA256(key, payload))`. Callback
 * tokens and list cursors are both made by it; each gives its own key and payload schema.
 */

const BASE64URL = /^[A-Za-z0-9_-]+$/;

const mac = (key: Buffer, payload: string) => createHmac('sha256', key).update(payload).digest();

/** Signs a JSON value. Pure. */
export function signPayload(key: Buffer, value: unknown): string {
  const payload = Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  return `${payload}.${mac(key, payload).toString('base64url')}`;
}

/** What opening a token found. */
export type Opened =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly problem: 'malformed' | 'forged' };

/**
 * Checks a token's shape, then its signature (constant-time, before the payload is trusted or even
 * parsed), then parses the payload as JSON. Pure.
 */
export function openPayload(key: Buffer, token: string): Opened {
  const [payload, signature, extra] = token.split('.');
  if (
    extra !== undefined ||
    !payload ||
    !signature ||
    !BASE64URL.test(payload) ||
    !BASE64URL.test(signature)
  ) {
    return { ok: false, problem: 'malformed' };
  }
  const expected = mac(key, payload);
  const given = Buffer.from(signature, 'base64url');
  // Length first: timingSafeEqual throws on unequal lengths, and a digest's length is no secret.
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, problem: 'forged' };
  try {
    return { ok: true, value: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) };
  } catch {
    return { ok: false, problem: 'malformed' };
  }
}
