import { z } from 'zod';
import type { Route } from './routing.js';
import { errorBodySchema } from './schemas.js';

/** Version of the API document (the API itself is versioned by its `/v1` prefix). */
export const API_VERSION = '1.0.0';

type JsonSchema = Record<string, unknown>;

const ERROR_RESPONSES: Readonly<Record<number, string>> = {
  400: 'invalid input: every bad field is named in error.fields',
  401: 'missing, invalid or expired token',
  403: 'the role or tenant may not do this (audited)',
  404: 'not found',
  429: 'rate limit of the tenant reached',
  500: 'internal error',
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  // Transforms and unknowns become permissive schemas instead of failing the whole document.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** `/v1/jobs/:key` → `/v1/jobs/{key}`. */
function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** Path or query parameters from an object schema. */
function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const json = jsonSchema(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: property,
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
  }));
}

function operation(route: Route): JsonSchema {
  const body = route.schemas.body ?? route.doc.requestBody;
  const responses: Record<string, JsonSchema> = {};
  for (const [status, response] of Object.entries(route.doc.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.schema
        ? { content: { 'application/json': { schema: jsonSchema(response.schema, 'output') } } }
        : {}),
    };
  }
  const errors = route.access.kind === 'token' ? [400, 401, 403, 404, 429, 500] : [400, 404, 500];
  for (const status of errors) {
    responses[String(status)] ??= {
      description: ERROR_RESPONSES[status] ?? 'error',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return {
    summary: route.doc.summary,
    ...(route.doc.description ? { description: route.doc.description } : {}),
    tags: [...route.doc.tags],
    operationId: `${route.method.toLowerCase()}${openApiPath(route.url).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    parameters: [...parameters(route.schemas.params, 'path'), ...parameters(route.schemas.query, 'query')],
    ...(body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchema(body, 'input') } },
          },
        }
      : {}),
    responses,
    ...(route.access.kind === 'token'
      ? { security: [{ bearer: [] }], 'x-scanq-action': route.access.action }
      : { security: [] }),
  };
}

/**
 * The OpenAPI 3.1 document of `routes`, generated from the very zod schemas the routes parse their
 * input with. Pure.
 */
export function buildOpenApi(routes: readonly Route[]): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const path = openApiPath(route.url);
    paths[path] ??= {};
    (paths[path] as Record<string, JsonSchema>)[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'scanq API',
      version: API_VERSION,
      description:
        'Multi-tenant scan jobs. Authenticate with a JWT bearer token carrying sub, tenant and roles; ' +
        'an MSP user may act in a customer tenant with X-Assume-Tenant. Every response carries x-request-id.',
    },
    paths,
    components: {
      schemas: { Error: jsonSchema(errorBodySchema, 'output') },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}
