import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { AwsClients } from '../aws/index.js';
import type { Config } from '../config/index.js';
import { coerceError } from '../lib/errors.js';
import { track } from '../lib/lifecycle.js';
import type { Logger } from '../lib/logger.js';
import { TtlCache } from '../lib/ttl-cache.js';
import type { Producer } from '../producer/index.js';
import { getProfile, systemContext, TenantTable } from '../tenancy/index.js';
import { authenticate, createVerifier, type TokenVerifier } from './auth.js';
import type { RouteDeps } from './deps.js';
import { ApiError, type ErrorBody, toHttpError } from './errors.js';
import { type ApiMetrics, createApiMetrics } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import { apiRoutes } from './routes/index.js';
import { publicRoute, type Route } from './routing.js';

/** Largest request body: job batches and profiles are small; files go straight to S3. */
export const BODY_LIMIT_BYTES = 1024 * 1024;
/** Longest path parameter (URL-encoded): a job key is up to 1024 characters. */
const MAX_PARAM_LENGTH = 3 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Routes logged at debug only: probes and scrapes would drown the request log. */
const QUIET = new Set(['/healthz', '/readyz', '/metrics']);

export interface ApiServerDeps {
  readonly clients: AwsClients;
  readonly producer: Producer;
  readonly log: Logger;
  /** The jobs queue, for `/readyz`. */
  readonly queueUrl: string;
  /** Clock. Default `new Date()`. */
  readonly now?: () => Date;
  /** Token verifier. Default: from `config.auth` (HS256 secret or JWKS). */
  readonly verifier?: TokenVerifier;
  /** Rate-limit window in ms; a tenant may make `ratePerSecond × window` requests per window. Default 1000. */
  readonly rateWindowMs?: number;
}

export interface ApiServer {
  readonly app: FastifyInstance;
  readonly routes: readonly Route[];
  readonly metrics: ApiMetrics;
  /** Listens and returns the base URL (`http://127.0.0.1:8080`); port 0 picks a free port. */
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
}

function errorBody(
  request: FastifyRequest,
  code: string,
  message: string,
  fields?: readonly unknown[],
): ErrorBody {
  return {
    error: { code, message, ...(fields ? { fields: fields as ErrorBody['error']['fields'] } : {}) },
    requestId: request.id,
  };
}

/** Per-tenant limits: the profile's `limits.ratePerSecond`, else SCANQ_API_RATE_LIMIT, per window. */
function rateLimits(config: Config, deps: ApiServerDeps, windowMs: number) {
  const tableDeps = { doc: deps.clients.doc, tableName: config.resources.table };
  const rates = new TtlCache<number | undefined>(config.worker.profileTtlMs);
  const perWindow = (rate: number) => Math.max(1, Math.round((rate * windowMs) / 1000));
  return {
    global: true,
    timeWindow: windowMs,
    keyGenerator: (request: FastifyRequest) =>
      request.tenantContext ? `tenant:${request.tenantContext.tenant}` : `ip:${request.ip}`,
    max: async (request: FastifyRequest) => {
      const tenant = request.tenantContext?.tenant;
      if (!tenant) return perWindow(config.api.ratePerSecond);
      const rate = await rates
        .get(
          tenant,
          async () =>
            (await getProfile(new TenantTable(tableDeps, systemContext(tenant, 'api'))))?.limits
              .ratePerSecond,
        )
        .catch((error: unknown) => {
          deps.log.warn(
            { tenant, error: coerceError(error) },
            'rate limit: profile unreadable, using the default',
          );
          return undefined;
        });
      return perWindow(rate ?? config.api.ratePerSecond);
    },
    errorResponseBuilder: () =>
      new ApiError(429, 'request.rateLimited', 'too many requests for this tenant; retry later'),
  };
}

function register(app: FastifyInstance, route: Route): void {
  app.route({
    method: route.method,
    url: route.url,
    config: {
      access: route.access,
      ...(route.access.kind === 'public' && !route.access.rateLimited ? { rateLimit: false } : {}),
    },
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const answer = await route.run(request);
      reply.code(answer.status);
      for (const [name, value] of Object.entries(answer.headers ?? {})) reply.header(name, value);
      if (answer.contentType) reply.type(answer.contentType);
      return reply.send(answer.body);
    },
  });
}

function installHooks(app: FastifyInstance, deps: RouteDeps, verifier: TokenVerifier): void {
  const authDeps = { verifier, tableDeps: deps.tableDeps, log: deps.log, now: deps.now };
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    const access = request.routeOptions.config.access;
    if (access?.kind !== 'token') return;
    request.tenantContext = await authenticate(
      authDeps,
      request,
      access,
      request.routeOptions.url ?? request.url,
    );
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = String(reply.statusCode);
    deps.metrics.requests.inc({ method: request.method, route, status });
    deps.metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    const fields = {
      method: request.method,
      route,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
      ...(request.tenantContext
        ? { tenant: request.tenantContext.tenant, user: request.tenantContext.user }
        : {}),
    };
    if (QUIET.has(route)) request.log.debug(fields, 'request');
    else request.log.info(fields, 'request');
  });
  app.setErrorHandler((error, request, reply) => {
    const mapped = toHttpError(error);
    if (!mapped || mapped.status >= 500) {
      request.log.error({ error: coerceError(error), route: request.routeOptions.url }, 'request failed');
    }
    if (!mapped) return reply.code(500).send(errorBody(request, 'internal', 'internal error'));
    return reply.code(mapped.status).send(errorBody(request, mapped.code, mapped.message, mapped.fields));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(errorBody(request, 'route.notFound', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
}

/** The Fastify instance: our logger, request ids (a sane incoming `x-request-id` is kept), limits. */
function buildApp(log: Logger): FastifyInstance {
  return Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // One line per request comes from the onResponse hook instead (route template, tenant, status).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    genReqId: (raw) => {
      const given = raw.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
  });
}

/** `GET /v1/openapi.json`: built from `routes` (itself included) on first request, then kept. */
function documentRoute(routes: readonly Route[]): Route {
  let document: Record<string, unknown> | undefined;
  const route: Route = publicRoute({
    method: 'GET',
    url: '/v1/openapi.json',
    doc: {
      summary: 'This document',
      tags: ['operations'],
      responses: { 200: { description: 'OpenAPI 3.1' } },
    },
    async handle() {
      document ??= buildOpenApi([...routes, route]);
      return { status: 200, body: document };
    },
  });
  return route;
}

/**
 * Builds the HTTP API: JWT auth and RBAC in one hook, per-tenant rate limits, request ids on every
 * response and log line, JSON errors `{ error: { code, message, fields? }, requestId }`, metrics,
 * and the OpenAPI document generated from the routes' own schemas.
 * @throws ConfigError when token verification is not configured (see `createVerifier`).
 */
export async function createApiServer(config: Config, deps: ApiServerDeps): Promise<ApiServer> {
  const verifier = deps.verifier ?? createVerifier(config.auth);
  const log = deps.log.child({ name: 'api' });
  const routeDeps: RouteDeps = {
    config,
    clients: deps.clients,
    producer: deps.producer,
    log,
    metrics: createApiMetrics(),
    now: deps.now ?? (() => new Date()),
    queueUrl: deps.queueUrl,
    tableDeps: { doc: deps.clients.doc, tableName: config.resources.table },
  };
  const app = buildApp(log);
  // JSON only: a text/plain body would reach handlers as a string.
  app.removeContentTypeParser('text/plain');
  installHooks(app, routeDeps, verifier);
  await app.register(rateLimit, rateLimits(config, deps, deps.rateWindowMs ?? 1000));

  const documented = apiRoutes(routeDeps);
  const routes: readonly Route[] = [...documented, documentRoute(documented)];
  for (const route of routes) register(app, route);

  let untrack: (() => void) | undefined;
  return {
    app,
    routes,
    metrics: routeDeps.metrics,
    async listen(options) {
      const address = await app.listen({ port: options.port, host: options.host });
      untrack = track(`api server ${address}`, () => app.close());
      log.info({ address, routes: routes.length }, 'api listening');
      return address;
    },
    async close() {
      untrack?.();
      await app.close();
    },
  };
}
