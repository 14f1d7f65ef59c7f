import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import { type Context, context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
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
import { contextOf, startTelemetry, type Telemetry } from '../telemetry/index.js';
import {
  CrossTenantKeyError,
  getProfile,
  PROFILE_KEY,
  systemContext,
  TenantTable,
} from '../tenancy/index.js';
import { auditDenial, authenticate, createVerifier, type TokenVerifier } from './auth.js';
import { registerBoard } from './board/plugin.js';
import { cursorKey, openQueryCursor, type Paging, sealAnswerCursor } from './cursors.js';
import type { RouteDeps } from './deps.js';
import { clientError, errorBody, frameworkError, installJsonParser, MAX_PARAM_LENGTH } from './edges.js';
import { ApiError, toHttpError } from './errors.js';
import { buildOpenApi, documentedStatuses, type RequestRules } from './openapi.js';
import { apiRoutes } from './routes/index.js';
import { publicRoute, type Route } from './routing.js';

/** Largest request body: job batches and profiles are small; files go straight to S3. */
export const BODY_LIMIT_BYTES = 1024 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Longest part of a path echoed in a 404 (the path is caller-chosen text). */
const MAX_ECHOED_PATH = 100;
/** Seconds a client waits before retrying a 503. */
export const RETRY_AFTER_SECONDS = 5;
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
  /**
   * Metrics (served on `/metrics`) and request spans. Default: the server starts its own from
   * `config.telemetry` with Prometheus text on, and shuts it down on close.
   */
  readonly telemetry?: Telemetry;
}

export interface ApiServer {
  readonly app: FastifyInstance;
  readonly routes: readonly Route[];
  readonly telemetry: Telemetry;
  /** Listens and returns the base URL (`http://127.0.0.1:8080`); port 0 picks a free port. */
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
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

function register(app: FastifyInstance, route: Route, paging: Paging): void {
  app.route({
    method: route.method,
    url: route.url,
    config: {
      access: route.access,
      statuses: documentedStatuses(route),
      ...(route.access.kind === 'public' && !route.access.rateLimited ? { rateLimit: false } : {}),
    },
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const traced = requestSpans.get(request);
      const run = async () => {
        await openQueryCursor(paging, route, request);
        return sealAnswerCursor(paging, route, request, await route.run(request));
      };
      // The body arrives through stream events, outside the onRequest hook's context: the
      // handler re-enters the request span's context itself, so enqueue spans become its children.
      const answer = await (traced ? context.with(traced.context, run) : run());
      reply.code(answer.status);
      for (const [name, value] of Object.entries(answer.headers ?? {})) reply.header(name, value);
      if (answer.contentType) reply.type(answer.contentType);
      return reply.send(answer.body);
    },
  });
}

/** The server span of a request and the context it is active in (tracing on only). */
const requestSpans = new WeakMap<FastifyRequest, { readonly span: Span; readonly context: Context }>();

/**
 * A SERVER span per request (`{method} {route template}`), child of the caller's `traceparent`.
 * Only the method, route template and status are recorded: never the URL, whose query may carry a
 * callback token.
 */
function startRequestSpan(telemetry: Telemetry, request: FastifyRequest): void {
  const header = request.headers.traceparent;
  const parent = contextOf(typeof header === 'string' ? header : undefined, context.active());
  const route = request.routeOptions.url ?? 'unmatched';
  const span = telemetry.tracer.startSpan(
    `${request.method} ${route}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': request.method,
        'http.route': route,
        'scanq.request_id': request.id,
      },
    },
    parent,
  );
  requestSpans.set(request, { span, context: trace.setSpan(parent, span) });
}

function endRequestSpan(request: FastifyRequest, status: number): void {
  const traced = requestSpans.get(request);
  if (!traced) return;
  traced.span.setAttribute('http.response.status_code', status);
  if (request.tenantContext) traced.span.setAttribute('scanq.tenant', request.tenantContext.tenant);
  if (status >= 500) {
    traced.span.setAttribute('error.type', String(status));
    traced.span.setStatus({ code: SpanStatusCode.ERROR });
  }
  traced.span.end();
  requestSpans.delete(request);
}

/**
 * Whether a tenant has a profile. Existing tenants are cached (profiles are never deleted); a
 * missing one is read again on the next request, so a profile written a moment ago counts at once.
 */
function tenantExistence(deps: RouteDeps): (tenant: string) => Promise<boolean> {
  const known = new TtlCache<boolean>(deps.config.worker.profileTtlMs);
  return async (tenant) => {
    const exists = await known.get(tenant, async () =>
      Boolean(
        await new TenantTable(deps.tableDeps, systemContext(tenant, 'api')).get(PROFILE_KEY, {
          consistent: true,
        }),
      ),
    );
    if (!exists) known.delete(tenant);
    return exists;
  };
}

function installHooks(
  app: FastifyInstance,
  deps: RouteDeps,
  verifier: TokenVerifier,
  telemetry: Telemetry,
): void {
  const authDeps = {
    verifier,
    tableDeps: deps.tableDeps,
    log: deps.log,
    now: deps.now,
    tenantExists: tenantExistence(deps),
  };
  app.addHook('onRequest', async (request, reply) => {
    if (telemetry.tracing) startRequestSpan(telemetry, request);
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
    telemetry.metrics.httpRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    endRequestSpan(request, reply.statusCode);
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
  app.setErrorHandler(async (error, request, reply) => {
    const ctx = request.tenantContext;
    if (error instanceof CrossTenantKeyError && ctx && request.routeOptions.config.access?.kind === 'token') {
      const denial = {
        action: request.routeOptions.config.access.action,
        user: ctx.user,
        homeTenant: ctx.homeTenant,
        tenant: ctx.tenant,
        asked: error.owner,
        resource: `${request.method} ${request.routeOptions.url}`,
        kind: 'crossTenantKey',
      };
      await auditDenial(authDeps, denial, deps.log);
      request.log.warn({ tenant: ctx.tenant, user: ctx.user }, 'file key of another tenant refused');
    }
    const mapped = toHttpError(error);
    if (!mapped || mapped.status >= 500) {
      request.log.error({ error: coerceError(error), route: request.routeOptions.url }, 'request failed');
    }
    if (!mapped) return reply.code(500).send(errorBody(request, 'internal', 'internal error'));
    const documented = request.routeOptions.config.statuses;
    if (documented && !documented.has(mapped.status)) {
      // The answer still goes out; the route's doc.errors must learn this status.
      request.log.error(
        { route: request.routeOptions.url, status: mapped.status, code: mapped.code },
        'undocumented status: add it to the route doc.errors',
      );
    }
    if (mapped.status === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    return reply.code(mapped.status).send(errorBody(request, mapped.code, mapped.message, mapped.fields));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const shown = path.length > MAX_ECHOED_PATH ? `${path.slice(0, MAX_ECHOED_PATH)}…` : path;
    return reply.code(404).send(errorBody(request, 'route.notFound', `no route ${request.method} ${shown}`));
  });
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
    frameworkErrors: frameworkError,
    clientErrorHandler: clientError,
  });
}

/** `GET /v1/openapi.json`: built from `routes` (itself included) on first request, then kept. */
function documentRoute(routes: readonly Route[], rules: RequestRules): Route {
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
      document ??= buildOpenApi([...routes, route], rules);
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
  // `scanq api`'s logger is already named: naming it again would write `name` twice on every line.
  const log = 'name' in deps.log.bindings() ? deps.log : deps.log.child({ name: 'api' });
  const telemetry =
    deps.telemetry ?? (await startTelemetry(config.telemetry, { process: 'api', prometheus: true }, log));
  const routeDeps: RouteDeps = {
    config,
    clients: deps.clients,
    producer: deps.producer,
    log,
    telemetry,
    now: deps.now ?? (() => new Date()),
    queueUrl: deps.queueUrl,
    tableDeps: { doc: deps.clients.doc, tableName: config.resources.table },
  };
  const app = buildApp(log);
  // JSON only: a text/plain body would reach handlers as a string.
  app.removeContentTypeParser('text/plain');
  installJsonParser(app);
  installHooks(app, routeDeps, verifier, telemetry);
  await app.register(rateLimit, rateLimits(config, deps, deps.rateWindowMs ?? 1000));

  const documented = apiRoutes(routeDeps);
  const rules = { capabilities: deps.producer.registry.names() };
  const routes: readonly Route[] = [...documented, documentRoute(documented, rules)];
  const paging: Paging = { key: cursorKey(config), deps: routeDeps };
  for (const route of routes) register(app, route, paging);
  // The ops board's static files (docs/BOARD.md): not API routes, so not in the OpenAPI document.
  registerBoard(app, config.board);

  let untrack: (() => void) | undefined;
  return {
    app,
    routes,
    telemetry,
    async listen(options) {
      const address = await app.listen({ port: options.port, host: options.host });
      untrack = track(`api server ${address}`, () => app.close());
      log.info({ address, routes: routes.length }, 'api listening');
      return address;
    },
    async close() {
      untrack?.();
      await app.close();
      if (!deps.telemetry) await telemetry.shutdown();
    },
  };
}
