import { z } from 'zod';
import { NO_CONTROL_PATTERN } from './body-shape.js';
import type { Route } from './routing.js';
import { errorBodySchema } from './schemas.js';

/** Version of the API document (the API itself is versioned by its `/v1` prefix). */
export const API_VERSION = '1.0.0';

type JsonSchema = Record<string, unknown>;

/**
 * Error statuses by what makes them possible, so every operation lists what it can really answer
 * and a route added later is covered without a line of its own:
 * - every operation: bad input or URL (400), a path segment too long (414), headers too large
 *   (431), an internal error (500), a dependency unavailable (503, with Retry-After);
 * - operations that take a body (POST, PUT, PATCH, DELETE): too large (413), not JSON (415);
 * - token operations: 401, 403 (audited), 404 (`tenant.notFound` and the route's own), 429;
 *   writes among them also 409 (the item changed meanwhile);
 * - rate-limited public operations: 429;
 * - and whatever the route itself declares in `doc.errors`.
 */
const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'invalid input (every bad field is named in error.fields), or a malformed URL or request',
  401: 'missing, invalid or expired token',
  403: 'the role or tenant may not do this (audited)',
  404: 'not found; tenant.notFound when the tenant has no profile yet (PUT /v1/tenants/{id} first)',
  409: 'the item changed meanwhile; read it and retry',
  413: 'the body is larger than 1 MiB',
  414: 'a path segment is too long',
  415: 'the body is not application/json',
  429: 'rate limit of the tenant reached; retry later',
  431: 'the request line and headers are too large',
  500: 'internal error',
  503: 'a dependency is unavailable; retry after Retry-After seconds',
};

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Every error status `route` can answer, with what it means there. Pure.
 */
export function documentedErrors(route: Route): Map<number, string> {
  const statuses = [400, 414, 431, 500, 503];
  if (BODY_METHODS.has(route.method)) statuses.push(413, 415);
  if (route.access.kind === 'token') {
    statuses.push(401, 403, 404, 429);
    if (route.method !== 'GET') statuses.push(409);
  } else if (route.access.rateLimited) {
    statuses.push(429);
  }
  const out = new Map<number, string>();
  for (const status of statuses) out.set(status, ERROR_DESCRIPTIONS[status] ?? 'error');
  for (const [status, description] of Object.entries(route.doc.errors ?? {})) {
    out.set(Number(status), description);
  }
  return out;
}

/** Every status `route` can answer: its documented responses and its errors. Pure. */
export function documentedStatuses(route: Route): ReadonlySet<number> {
  return new Set([...Object.keys(route.doc.responses).map(Number), ...documentedErrors(route).keys()]);
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  // Transforms and unknowns become permissive schemas instead of failing the whole document.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** What the server enforces on requests beyond the zod schemas, written into the request schemas. */
export interface RequestRules {
  /** Registered capability names: a body property `capability` must be one of them. */
  readonly capabilities?: readonly string[];
}

const isObject = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Adds to a request schema, in place, the rules the server checks outside zod: no control
 * characters in any free string (`bodyShapeIssues`), and the capability names. Walks without
 * recursion.
 */
function addRequestRules(
  schema: JsonSchema,
  rules: RequestRules,
  location: 'body' | 'parameter',
): JsonSchema {
  const stack: JsonSchema[] = [schema];
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (
      node.type === 'string' &&
      node.pattern === undefined &&
      node.enum === undefined &&
      node.const === undefined
    ) {
      node.pattern = NO_CONTROL_PATTERN;
    }
    const properties = isObject(node.properties) ? node.properties : undefined;
    const capability = properties?.capability;
    if (location === 'body' && rules.capabilities && isObject(capability) && capability.type === 'string') {
      capability.enum = [...rules.capabilities];
      delete capability.pattern;
    }
    for (const value of Object.values(node)) {
      if (isObject(value)) stack.push(value);
      else if (Array.isArray(value)) stack.push(...value.filter(isObject));
    }
  }
  return schema;
}

/** `/v1/jobs/:key` → `/v1/jobs/{key}`. */
function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** Path or query parameters from an object schema. */
function parameters(
  schema: z.ZodType | undefined,
  where: 'path' | 'query',
  rules: RequestRules,
): JsonSchema[] {
  if (!schema) return [];
  const json = jsonSchema(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: addRequestRules(property, rules, 'parameter'),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
  }));
}

const REQUEST_ID_HEADER = {
  'x-request-id': {
    description: 'the request id (echoed from a sane incoming x-request-id, else generated)',
    schema: { type: 'string' },
  },
};
const RETRY_AFTER_HEADER = {
  'retry-after': { description: 'seconds to wait before retrying', schema: { type: 'string' } },
};

function responsesOf(route: Route): Record<string, JsonSchema> {
  const responses: Record<string, JsonSchema> = {};
  for (const [status, response] of Object.entries(route.doc.responses)) {
    responses[status] = {
      description: response.description,
      headers: { ...REQUEST_ID_HEADER },
      ...(response.schema
        ? { content: { 'application/json': { schema: jsonSchema(response.schema, 'output') } } }
        : {}),
    };
  }
  for (const [status, description] of documentedErrors(route)) {
    responses[String(status)] ??= {
      description,
      headers: { ...REQUEST_ID_HEADER, ...(status === 503 || status === 429 ? RETRY_AFTER_HEADER : {}) },
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return responses;
}

function operation(route: Route, rules: RequestRules): JsonSchema {
  const body = route.schemas.body ?? route.doc.requestBody;
  return {
    summary: route.doc.summary,
    ...(route.doc.description ? { description: route.doc.description } : {}),
    tags: [...route.doc.tags],
    operationId: `${route.method.toLowerCase()}${openApiPath(route.url).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    parameters: [
      ...parameters(route.schemas.params, 'path', rules),
      ...parameters(route.schemas.query, 'query', rules),
    ],
    ...(body
      ? {
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: addRequestRules(jsonSchema(body, 'input'), rules, 'body') },
            },
          },
        }
      : {}),
    responses: responsesOf(route),
    ...(route.access.kind === 'token'
      ? { security: [{ bearer: [] }], 'x-scanq-action': route.access.action }
      : { security: [] }),
  };
}

/**
 * The OpenAPI 3.1 document of `routes`, generated from the very zod schemas the routes parse their
 * input with, plus the rules the server enforces around them (`rules`). Pure.
 */
export function buildOpenApi(routes: readonly Route[], rules: RequestRules = {}): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const path = openApiPath(route.url);
    paths[path] ??= {};
    (paths[path] as Record<string, JsonSchema>)[route.method.toLowerCase()] = operation(route, rules);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'scanq API',
      version: API_VERSION,
      description:
        'Multi-tenant scan jobs. Authenticate with a JWT bearer token carrying sub, tenant and roles; ' +
        'an MSP user may act in a customer tenant with X-Assume-Tenant. Every response carries x-request-id; ' +
        'every error the body {error: {code, message, fields?}, requestId}. A tenant must have a profile ' +
        '(PUT /v1/tenants/{id}) before anything is stored for it. Request bodies must be UTF-8 JSON with no ' +
        'key twice in one object and no control characters in any string. List cursors are opaque and ' +
        'valid only for the operation and tenant that issued them.',
    },
    paths,
    components: {
      schemas: { Error: jsonSchema(errorBodySchema, 'output') },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}
