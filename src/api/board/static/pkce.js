// OIDC authorization code flow with PKCE (RFC 7636, S256) for the board's sign-in. Pure functions
// over Web Crypto and fetch, so they run the same in the browser and in Node's tests.

/** @param {Uint8Array} bytes */
function base64url(bytes) {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/**
 * A random string of `bytes` random bytes in base64url: 32 bytes give the 43-character code
 * verifier (RFC 7636 §4.1: 43-128 characters of [A-Za-z0-9-._~]); also used for `state`.
 * @param {number} [bytes]
 */
export function randomToken(bytes = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/**
 * The S256 code challenge of a verifier: base64url(SHA-256(ASCII(verifier))) (RFC 7636 §4.2).
 * @param {string} verifier
 */
export async function codeChallenge(verifier) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/**
 * The URL the browser goes to for sign-in.
 * @param {{ authorizationUrl: string, clientId: string, scopes: string }} oidc
 * @param {{ redirectUri: string, state: string, challenge: string }} request
 */
export function authorizationRequestUrl(oidc, request) {
  const url = new URL(oidc.authorizationUrl);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', oidc.clientId);
  url.searchParams.set('redirect_uri', request.redirectUri);
  url.searchParams.set('scope', oidc.scopes);
  url.searchParams.set('state', request.state);
  url.searchParams.set('code_challenge', request.challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  return url.toString();
}

/**
 * Reads the identity provider's answer on the redirect URL: the code when `state` matches the one
 * sent, else an error naming why (an `error` from the provider, a missing code, a state mismatch).
 * @param {string} href the page's URL
 * @param {string | null} expectedState
 * @returns {{ code: string } | { error: string } | undefined} undefined when the URL is no answer
 */
export function readAuthorizationResponse(href, expectedState) {
  const params = new URL(href).searchParams;
  if (!params.has('code') && !params.has('error')) return undefined;
  if (!expectedState || params.get('state') !== expectedState) {
    return { error: 'the sign-in answer does not match the request (state); sign in again' };
  }
  const error = params.get('error');
  if (error)
    return {
      error: `the identity provider refused: ${error} ${params.get('error_description') ?? ''}`.trim(),
    };
  const code = params.get('code');
  return code ? { code } : { error: 'the identity provider sent no code' };
}

/**
 * Exchanges the code for tokens at the token endpoint (a public client: no secret) and returns the
 * configured one (`access_token` or `id_token`).
 * @param {{ tokenUrl: string, clientId: string, token: 'access_token' | 'id_token' }} oidc
 * @param {{ code: string, verifier: string, redirectUri: string }} grant
 * @param {typeof fetch} [fetchImpl]
 * @returns {Promise<string>}
 */
export async function exchangeCode(oidc, grant, fetchImpl = fetch) {
  const response = await fetchImpl(oidc.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: grant.code,
      redirect_uri: grant.redirectUri,
      client_id: oidc.clientId,
      code_verifier: grant.verifier,
    }).toString(),
  });
  /** @type {Record<string, unknown>} */
  let body = {};
  try {
    body = await response.json();
  } catch {
    body = {};
  }
  if (!response.ok) {
    const reason = typeof body.error === 'string' ? body.error : `HTTP ${response.status}`;
    throw new Error(`the token exchange failed: ${reason}`);
  }
  const token = body[oidc.token];
  if (typeof token !== 'string' || token === '') throw new Error(`the token answer has no ${oidc.token}`);
  return token;
}
