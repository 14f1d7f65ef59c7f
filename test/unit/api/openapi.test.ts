import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NO_CONTROL_PATTERN } from '../../../src/api/body-shape.js';
import type { RouteDeps } from '../../../src/api/deps.js';
import { buildOpenApi } from '../../../src/api/index.js';
import { documentedStatuses } from '../../../src/api/openapi.js';
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
    const { $schema: _dialect, ...generated } = z.toJSONSchema(enqueueBodySchema, {
      io: 'input',
      unrepresentable: 'any',
    });
    // The document adds what the server checks outside zod: no control characters in free strings.
    const withRules = JSON.parse(
      JSON.stringify(generated).replace(
        /"type":"string",/g,
        `"type":"string","pattern":${JSON.stringify(NO_CONTROL_PATTERN)},`,
      ),
    );
    expect(op.requestBody.content['application/json']?.schema).toMatchObject(withRules);
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

  it('lists every status an operation can answer, from what the route is (method, access, its own errors)', () => {
    for (const route of routes) {
      const op = document.paths[route.url.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()] as {
        responses: Record<string, { content?: Record<string, { schema: unknown }>; headers?: object }>;
      };
      const listed = Object.keys(op.responses).map(Number);
      expect(new Set(listed)).toEqual(documentedStatuses(route));
      // Refusals of the framework and the edges: every operation.
      expect(listed).toEqual(expect.arrayContaining([400, 414, 431, 500, 503]));
      if (route.method !== 'GET') expect(listed).toEqual(expect.arrayContaining([413, 415]));
      if (route.access.kind === 'token') expect(listed).toEqual(expect.arrayContaining([401, 403, 404, 429]));
      for (const [status, response] of Object.entries(op.responses)) {
        expect(response.headers, `${route.method} ${route.url} ${status}`).toHaveProperty('x-request-id');
        if (Number(status) >= 400 && !route.doc.responses[Number(status)]) {
          expect(response.content?.['application/json']?.schema).toEqual({
            $ref: '#/components/schemas/Error',
          });
        }
      }
    }
    const rotate = document.paths['/v1/accounts/{id}/credentials']?.put as { responses: object };
    expect(Object.keys(rotate.responses)).toEqual(expect.arrayContaining(['404', '422', '503']));
    const onboard = document.paths['/v1/accounts']?.post as { responses: object };
    expect(Object.keys(onboard.responses)).toEqual(expect.arrayContaining(['409', '503']));
  });

  it('carries the rules the server enforces: capability names, one of interval and cron, key patterns', () => {
    const withNames = buildOpenApi(routes, { capabilities: ['noop', 'portscan'] }) as typeof document;
    const body = (path: string) =>
      (
        (withNames.paths[path] as Record<string, unknown>).post as {
          requestBody: { content: Record<string, { schema: Record<string, unknown> }> };
        }
      ).requestBody.content['application/json']?.schema;
    const jobs = body('/v1/jobs') as { anyOf: { properties: Record<string, { enum?: unknown }> }[] };
    const single = jobs.anyOf.find((branch) => branch.properties.capability);
    expect(single?.properties.capability?.enum).toEqual(['noop', 'portscan']);
    const schedule = body('/v1/schedules') as Record<string, unknown> & {
      properties: Record<string, { enum?: unknown }>;
    };
    expect(schedule.oneOf).toEqual([{ required: ['interval'] }, { required: ['cron'] }]);
    expect(schedule.properties.capability?.enum).toEqual(['noop', 'portscan']);
    const key = (
      (withNames.paths['/v1/jobs/{key}'] as Record<string, unknown>).get as {
        parameters: { name: string; schema: { pattern?: string } }[];
      }
    ).parameters.find((p) => p.name === 'key');
    expect(new RegExp(String(key?.schema.pattern)).test('#job#10.0.0.1#portscan')).toBe(true);
    expect(new RegExp(String(key?.schema.pattern)).test('#account#aws#123456789012')).toBe(false);
  });
});
