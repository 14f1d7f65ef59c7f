import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { TLSSocket } from 'node:tls';
import { PermanentError, TransientError } from '../errors.js';
import { type TlsFacts, tlsFacts } from './http-facts.js';
import type { ResolvedTarget } from './policy.js';

/** Most body bytes read per response (enough for any `<title>`). */
export const MAX_BODY_BYTES = 512 * 1024;

/** One response, as far as the probe needs it. */
export interface FetchedResponse {
  readonly url: URL;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The body was longer than `MAX_BODY_BYTES` and was cut. */
  readonly truncated: boolean;
  readonly tls?: TlsFacts;
}

/**
 * A `lookup` that answers with the address the policy allowed, so the connection goes there while
 * Host and SNI keep the original name (no second resolution, no rebinding).
 */
export function pinnedLookup(target: ResolvedTarget): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
}

/** Node's `authorizationError` is a code string at run time, typed as an Error. */
function codeOf(error: unknown): string | undefined {
  if (!error) return undefined;
  if (typeof error === 'string') return error;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function handshakeOf(response: IncomingMessage, url: URL, now: Date): TlsFacts | undefined {
  const socket = response.socket;
  if (!(socket instanceof TLSSocket)) return undefined;
  const authorizationError = codeOf(socket.authorizationError);
  return tlsFacts(
    {
      protocol: socket.getProtocol(),
      cipher: socket.getCipher()?.name ?? null,
      cert: socket.getPeerCertificate(),
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      ...(authorizationError ? { authorizationError } : {}),
    },
    now,
  );
}

/** How a failed request should be handled: its stable code, whether retrying may help, whether it spoke plain HTTP. */
export interface NetworkFailure {
  readonly code: string;
  readonly permanent: boolean;
  /** A TLS handshake answered by a plaintext server: worth retrying the same port over http. */
  readonly plaintext: boolean;
}

const PLAINTEXT = new Set(['EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG']);
const PERMANENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/** Classifies a request error by its code (never its message). Pure. */
export function classifyNetworkError(error: unknown): NetworkFailure {
  const code = codeOf(error) ?? (error instanceof Error ? error.name : 'UNKNOWN');
  if (PLAINTEXT.has(code)) return { code, permanent: true, plaintext: true };
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
    return { code, permanent: true, plaintext: false };
  }
  return { code, permanent: PERMANENT.has(code), plaintext: false };
}

/** The error a failed first request fails the job with. */
export function probeError(url: URL, error: unknown): Error {
  const failure = classifyNetworkError(error);
  const message = `probe of ${url.href} failed: ${failure.code}`;
  const options = { cause: error, code: `probe.${failure.permanent ? 'unreachable' : 'network'}` };
  return failure.permanent ? new PermanentError(message, options) : new TransientError(message, options);
}

/**
 * One GET of `url` to the policy-resolved address, reading at most `MAX_BODY_BYTES`; certificates
 * are not enforced (`rejectUnauthorized: false`) but judged into `tls`. Redirects are not
 * followed. Rejects with the socket's error (see `classifyNetworkError`), a `TimeoutError` after
 * `timeoutMs`, or `signal`'s reason.
 */
export function fetchOnce(
  url: URL,
  target: ResolvedTarget,
  options: { timeoutMs: number; signal: AbortSignal; now: () => Date },
): Promise<FetchedResponse> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'GET',
      agent: false,
      lookup: pinnedLookup(target),
      rejectUnauthorized: false,
      signal,
      headers: {
        'user-agent': 'scanq-http-probe/1',
        accept: '*/*',
        'accept-encoding': 'identity',
        connection: 'close',
      },
    });
    req.on('error', (error) => reject(signal.aborted ? signal.reason : error));
    req.on('response', (response) => {
      const tls = handshakeOf(response, url, options.now());
      const chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      const settle = (truncated: boolean) => {
        if (settled) return;
        settled = true;
        resolve({
          url,
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES),
          truncated,
          ...(tls ? { tls } : {}),
        });
        response.destroy();
      };
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= MAX_BODY_BYTES) settle(true);
      });
      response.on('end', () => settle(false));
      // A body cut short still leaves the status and headers we came for.
      response.on('error', () => settle(true));
      response.on('close', () => settle(true));
    });
    req.end();
  });
}
