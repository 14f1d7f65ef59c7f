import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import { mintToken } from '../api/index.js';
import { errorBodySchema } from '../api/schemas.js';
import type { Config } from '../config/index.js';
import { DemoError } from './demo-errors.js';

/** What the API answered. */
export interface ApiAnswer<T = unknown> {
  readonly status: number;
  readonly body: T;
}

/** Lifetime of the demo's tokens: the demo itself, and a while of trying the API by hand. Default 8 h. */
export const DEMO_TOKEN_TTL_MS = 8 * 3_600_000;

/**
 * A dev token for the demo, signed with the stack's JWT secret (which is never printed).
 * @param roles default `['admin']`.
 */
export function demoToken(
  config: Config,
  secret: string,
  tenant: string,
  roles = ['admin'],
): Promise<string> {
  return mintToken({
    secret,
    tenant,
    sub: `demo-admin@${tenant}`,
    roles,
    ttlMs: DEMO_TOKEN_TTL_MS,
    issuer: config.auth.issuer,
    audience: config.auth.audience,
  });
}

/** The demo acting as one tenant's client of the HTTP API (`Authorization: Bearer`). */
export class DemoApi {
  readonly baseUrl: string;
  readonly #token: string;

  constructor(baseUrl: string, token: string) {
    this.baseUrl = baseUrl;
    this.#token = token;
  }

  /** One request; any status is an answer, a body that is not JSON is `undefined`. */
  async request(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<ApiAnswer> {
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: {
        authorization: `Bearer ${this.#token}`,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: response.status, body };
  }

  /**
   * A request that must answer one of `ok` with a body of `schema`.
   * @throws DemoError `demo.api` naming the request, the status and the API's error code.
   */
  async expect<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    options: { body?: unknown; ok?: readonly number[] } = {},
  ): Promise<ApiAnswer<z.output<S>>> {
    const answer = await this.request(method, path, options.body === undefined ? {} : { body: options.body });
    const parsed = schema.safeParse(answer.body);
    if ((options.ok ?? [200, 201, 202]).includes(answer.status) && parsed.success)
      return { status: answer.status, body: parsed.data };
    const error = errorBodySchema.safeParse(answer.body);
    const detail = error.success
      ? `${error.data.error.code}: ${error.data.error.message}`
      : 'unexpected body';
    throw new DemoError('demo.api', `${method} ${path} answered ${answer.status} (${detail})`);
  }
}

/**
 * Polls `GET /readyz` until the API answers 200 (its table and queue answer).
 * @param check throws when the demo should stop waiting (a service died, a signal came).
 * @throws DemoError `demo.apiUnready` after `timeoutMs`.
 */
export async function waitForApi(baseUrl: string, timeoutMs: number, check: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    check();
    const ready = await fetch(new URL('/readyz', baseUrl), { signal: AbortSignal.timeout(2_000) }).then(
      async (response) => {
        await response.body?.cancel();
        return response.status === 200;
      },
      () => false,
    );
    if (ready) return;
    await sleep(200);
  }
  throw new DemoError('demo.apiUnready', `the API at ${baseUrl} was not ready within ${timeoutMs / 1000} s`);
}
