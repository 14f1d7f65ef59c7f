import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RouteDeps } from '../../../src/api/deps.js';
import { buildOpenApi } from '../../../src/api/index.js';
import { apiRoutes } from '../../../src/api/routes/index.js';
import { enqueueBodySchema } from '../../../src/api/schemas.js';

// Route definitions read their dependencies only when a request is handled.
const routes = apiRoutes({} as RouteDeps);
const document = buildOpenApi(routes) as {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, unknown> };
};

describe('Function: buildOpenApi', () => {
  it('documents every route once, under OpenAPI path syntax', () => {
    expect(document.openapi).toBe('3.1.0');
    for (const route of routes) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      expect(document.paths[path]?.[route.method.toLowerCase()], `${route.method} ${path}`).toBeDefined();
    }
    const ids = Object.values(document.paths).flatMap((ops) =>
      Object.values(ops).map((op) => op.operationId),
    );
    expect(new Set(ids).size).toBe(routes.length);
  });

  it('marks token routes with bearer security and the action they need; public routes with none', () => {
    for (const route of routes) {
      const op = document.paths[route.url.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
      if (route.access.kind === 'token') {
        expect(op).toMatchObject({ security: [{ bearer: [] }], 'x-scanq-action': route.access.action });
        expect(Object.keys(op?.responses as object)).toEqual(
          expect.arrayContaining(['400', '401', '403', '429']),
        );
      } else {
        expect(op?.security).toEqual([]);
      }
    }
  });

  it('generates request bodies from the very schemas the routes parse with', () => {
    const op = document.paths['/v1/jobs']?.post as {
      requestBody: { content: Record<string, { schema: unknown }> };
    };
    const { $schema: _dialect, ...expected } = z.toJSONSchema(enqueueBodySchema, {
      io: 'input',
      unrepresentable: 'any',
    });
    expect(op.requestBody.content['application/json']?.schema).toEqual(expected);
    for (const route of routes.filter((r) => r.method === 'POST' || r.method === 'PUT')) {
      const body =
        document.paths[route.url.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()]?.requestBody;
      expect(body, `${route.method} ${route.url}`).toBeDefined();
    }
  });

  it('lists path parameters as required and query parameters with their own rules', () => {
    const get = document.paths['/v1/jobs/{key}']?.get as {
      parameters: { name: string; in: string; required: boolean }[];
    };
    expect(get.parameters).toContainEqual(
      expect.objectContaining({ name: 'key', in: 'path', required: true }),
    );
    const list = document.paths['/v1/jobs']?.get as {
      parameters: { name: string; in: string; required: boolean }[];
    };
    expect(list.parameters.map((p) => `${p.in}:${p.name}:${p.required}`).sort()).toEqual([
      'query:capability:false',
      'query:cursor:false',
      'query:limit:false',
      'query:status:false',
    ]);
  });

  it('documents the error body once, referenced by every error response', () => {
    expect(document.components.schemas.Error).toMatchObject({
      type: 'object',
      required: ['error', 'requestId'],
    });
  });
});
