/**
 * `http-status`: fetches a URL and reports its HTTP status and `Server` header; a `Server` header
 * that names a version is a low risk (version disclosure). A complete scanq capability in one file:
 * typed input and result, the target policy checked before any connection, the abort signal
 * passed to the request, findings emitted, a clear permanent error when retrying cannot help.
 *
 * Run it in a worker: `scanq worker --plugin ./src/index.ts` (this module exports `capabilities`),
 * or `createWorker({ capabilities: [httpStatus] })` in your own process.
 */
import { request } from 'node:http';
import { defineCapability, PermanentError, resolveTarget } from 'scanq';
import { z } from 'zod';

/** What a job may ask for. */
const input = z.strictObject({
  /** The status the URL should answer; another one is a `medium` risk. Default: any 2xx/3xx. */
  expect: z.number().int().min(100).max(599).optional(),
});

/** What the capability returns (stored as the job's result document). */
const result = z.strictObject({
  url: z.string(),
  status: z.number().int(),
  server: z.string().optional(),
});

/** A `Server` header that carries a version, e.g. `nginx/1.25.3`. */
const VERSIONED = /\/\d/;

export const httpStatus = defineCapability({
  name: 'http-status',
  description: 'HTTP status and Server header of a URL',
  target: 'url',
  input,
  result,
  timeout: '15s',
  maxAttempts: 2,
  // Cascade: runs on every URL asset another scan emits.
  match: (asset) => asset.type === 'url',
  async run(ctx, { expect }, emit) {
    const url = new URL(ctx.target);
    if (url.protocol !== 'http:') throw new PermanentError(`only http: URLs are supported, got ${url.protocol}`);
    // The policy check returns the address to connect to: the name is not resolved again.
    const target = await resolveTarget(url.hostname, ctx.scope, { signal: ctx.signal });
    const { status, server } = await new Promise<{ status: number; server?: string }>((resolve, reject) => {
      const req = request(
        {
          host: target.address,
          port: url.port || 80,
          path: `${url.pathname}${url.search}`,
          headers: { host: url.host },
          signal: ctx.signal,
        },
        (res) => {
          res.resume();
          const header = res.headers.server;
          resolve({ status: res.statusCode ?? 0, ...(typeof header === 'string' ? { server: header } : {}) });
        },
      );
      req.on('error', reject);
      req.end();
    });
    emit.asset({ type: 'url', value: url.href, attributes: { status } });
    if (server && VERSIONED.test(server))
      emit.risk({ asset: { type: 'url', value: url.href }, name: 'server-version-disclosed', severity: 'low', evidence: { server } });
    const ok = expect === undefined ? status >= 200 && status < 400 : status === expect;
    if (!ok)
      emit.risk({
        asset: { type: 'url', value: url.href },
        name: 'unexpected-status',
        severity: 'medium',
        evidence: { status, ...(expect === undefined ? {} : { expected: expect }) },
      });
    return { url: url.href, status, ...(server ? { server } : {}) };
  },
});

/** What `scanq worker --plugin` reads. */
export const capabilities = [httpStatus];
