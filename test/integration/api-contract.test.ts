import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, createApiServer, mintToken } from '../../src/api/index.js';
import type { Config } from '../../src/config/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { createProducer, type Producer } from '../../src/producer/index.js';
import { LOOKALIKE_SEPARATORS, listAudit, systemContext, TenantTable } from '../../src/tenancy/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';

const SECRET = 'api-contract-jwt-secret-at-least-32-bytes-long';
const A = 'contract-a';
const B = 'contract-b';
const NEW = 'contract-new';

interface ErrorBody {
  error: { code: string; message: string; fields?: { field: string; message: string }[] };
  requestId: string;
}

/** One raw HTTP/1.1 exchange: what Node's parser refuses never reaches fetch or inject. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}

function parseRaw(answer: string): { status: number; headers: string; body: ErrorBody } {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  return {
    status: Number(head.split(' ')[1]),
    headers: head.toLowerCase(),
    body: JSON.parse(body) as ErrorBody,
  };
}

describe('Function: the API contract (edges, bodies, cursors, tenants, audits)', () => {
  let stack: TestStack;
  let producer: Producer;
  let server: ApiServer;
  let base: string;
  let port: number;
  const tokens: Record<string, string> = {};
  const table = (tenant: string) =>
    new TenantTable(
      { doc: stack.clients.doc, tableName: stack.config.resources.table },
      systemContext(tenant, 'test'),
    );

  async function call(tenant: string, method: string, url: string, body?: unknown, raw?: string | Buffer) {
    const response = await server.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${tokens[tenant]}`, 'content-type': 'application/json' },
      ...(raw !== undefined ? { payload: raw } : body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    return {
      status: response.statusCode,
      headers: response.headers,
      body: response.json() as ErrorBody & Record<string, unknown>,
    };
  }

  async function auditKinds(tenant: string): Promise<Record<string, number>> {
    const { records } = await listAudit(table(tenant), { limit: 200 });
    const counts: Record<string, number> = {};
    for (const r of records) counts[r.kind ?? 'none'] = (counts[r.kind ?? 'none'] ?? 0) + 1;
    return counts;
  }

  beforeAll(async () => {
    stack = await createTestStack('apicontract', {
      env: { SCANQ_JWT_SECRET: SECRET, SCANQ_API_RATE_LIMIT: '100000' },
    });
    const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
    producer = await createProducer(stack.config, { clients: stack.clients, log });
    server = await createApiServer(stack.config, {
      clients: stack.clients,
      producer,
      log,
      queueUrl: stack.report.queueUrl,
    });
    base = await server.listen({ port: 0, host: '127.0.0.1' });
    port = Number(new URL(base).port);
    for (const tenant of [A, B, NEW]) {
      tokens[tenant] = await mintToken({
        secret: SECRET,
        tenant,
        sub: `user-${tenant}`,
        roles: ['admin'],
        ttlMs: 600_000,
      });
    }
    tokens.readonly = await mintToken({
      secret: SECRET,
      tenant: A,
      sub: 'reader',
      roles: ['readonly'],
      ttlMs: 600_000,
    });
    for (const tenant of [A, B]) {
      expect((await call(tenant, 'PUT', `/v1/tenants/${tenant}`, { name: tenant })).status).toBe(200);
      expect((await call(tenant, 'POST', '/v1/providers', { name: 'aws' })).status).toBe(201);
      for (const target of ['a.example', 'b.example', 'c.example']) {
        expect((await call(tenant, 'POST', '/v1/jobs', { capability: 'noop', target })).status).toBe(202);
      }
    }
  });

  afterAll(async () => {
    await server?.close();
    producer?.close();
    await destroyTestStack(stack);
  });

  describe('framework refusals carry the envelope and x-request-id, and echo nothing unbounded', () => {
    it('431: headers too large', async () => {
      const answer = parseRaw(
        await rawExchange(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
      );
      expect(answer.status).toBe(431);
      expect(answer.body.error.code).toBe('request.headersTooLarge');
      expect(answer.headers).toContain(`x-request-id: ${answer.body.requestId.toLowerCase()}`);
    });

    it('400: bad chunked encoding and garbage are answered on the socket', async () => {
      const chunked = parseRaw(
        await rawExchange(
          port,
          'POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n',
        ),
      );
      expect(chunked.status).toBe(400);
      expect(chunked.body.error.code).toBe('request.malformed');
      expect(chunked.headers).toContain('x-request-id:');
    });

    it('400: a path that is not valid percent-encoded UTF-8', async () => {
      const answer = parseRaw(
        await rawExchange(port, 'GET /v1/jobs/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      );
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('request.badUrl');
      expect(answer.headers).toContain(`x-request-id: ${answer.body.requestId.toLowerCase()}`);
    });

    it('414: a path segment too long, without echoing it', async () => {
      const long = 'z'.repeat(5_000);
      const response = await fetch(`${base}/v1/jobs/${long}`, {
        headers: { authorization: `Bearer ${tokens[A]}` },
      });
      const text = await response.text();
      expect(response.status).toBe(414);
      expect((JSON.parse(text) as ErrorBody).error.code).toBe('request.uriTooLong');
      expect(response.headers.get('x-request-id')).toBe((JSON.parse(text) as ErrorBody).requestId);
      expect(text).not.toContain('zzzzzzzzzz');
    });

    it('413, 415 and an unknown route: the envelope, a bounded message', async () => {
      const big = await call(
        A,
        'POST',
        '/v1/jobs',
        undefined,
        JSON.stringify({ target: 'x'.repeat(1_100_000) }),
      );
      expect(big.status).toBe(413);
      expect(big.body.requestId).toBe(big.headers['x-request-id']);
      const plain = await server.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: { authorization: `Bearer ${tokens[A]}`, 'content-type': 'text/plain' },
        payload: 'hello',
      });
      expect(plain.statusCode).toBe(415);
      expect((plain.json() as ErrorBody).requestId).toBe(plain.headers['x-request-id']);
      const unknown = await server.app.inject({ method: 'GET', url: `/nowhere/${'q'.repeat(3_000)}` });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.body.length).toBeLessThan(400);
    });
  });

  describe('bodies', () => {
    it('refuses invalid UTF-8 instead of turning it into U+FFFD', async () => {
      const bytes = Buffer.concat([
        Buffer.from('{"capability":"noop","target":"a'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('.example"}'),
      ]);
      const answer = await call(A, 'POST', '/v1/jobs', undefined, bytes);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatchObject({ code: 'request.invalidUtf8', fields: [{ field: '(body)' }] });
    });

    it('refuses a key given twice in one object, naming it', async () => {
      const top = await call(
        A,
        'POST',
        '/v1/jobs',
        undefined,
        '{"capability":"noop","target":"a.example","target":"b.example"}',
      );
      expect(top.status).toBe(400);
      expect(top.body.error).toMatchObject({ code: 'request.duplicateKey', fields: [{ field: 'target' }] });
      const nested = await call(
        A,
        'POST',
        '/v1/jobs',
        undefined,
        '{"jobs":[{"capability":"noop","target":"a"},{"capability":"noop","\\u0074arget":"b","target":"c"}]}',
      );
      expect(nested.body.error.fields).toEqual([expect.objectContaining({ field: 'jobs[1].target' })]);
    });

    it('refuses control characters in every stored text field, naming the field', async () => {
      const cases: [string, string, unknown, string][] = [
        ['PUT', `/v1/tenants/${A}`, { name: 'Acme\u0000' }, 'name'],
        ['POST', '/v1/providers', { name: 'aws', description: 'bell\u0007' }, 'description'],
        [
          'POST',
          '/v1/accounts',
          {
            provider: 'aws',
            accountId: '123456789012',
            name: 'prod\u0085',
            credentials: { kind: 'aws-keys', accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 's' },
          },
          'name',
        ],
        [
          'POST',
          '/v1/schedules',
          { capability: 'noop', targets: ['a\u001b.example'], interval: '1h' },
          'targets[0]',
        ],
      ];
      for (const [method, url, body, field] of cases) {
        const answer = await call(A, method, url, body);
        expect(answer.status, `${method} ${url}`).toBe(400);
        expect(answer.body.error.fields, `${method} ${url}`).toContainEqual(
          expect.objectContaining({ field }),
        );
      }
      expect((await call(A, 'GET', `/v1/tenants/${A}`)).body.name).toBe(A);
    });

    it('refuses the documented lookalike separators in upload names', async () => {
      for (const lookalike of LOOKALIKE_SEPARATORS) {
        const answer = await call(A, 'POST', '/v1/uploads', { name: `a${lookalike}b.json` });
        expect(answer.status, `U+${lookalike.codePointAt(0)?.toString(16)}`).toBe(400);
        expect(answer.body.error).toMatchObject({ code: 'files.invalidName', fields: [{ field: 'name' }] });
      }
      expect((await call(A, 'POST', '/v1/uploads', { name: 'a/b.json' })).status).toBe(201);
    });
  });

  describe('cursors are bound to their operation, selection and tenant', () => {
    it('pages with its own cursor; refuses one of another operation, selection or tenant, and hand-made ones', async () => {
      const first = await call(A, 'GET', '/v1/jobs?limit=1');
      const cursor = String(first.body.cursor);
      const next = await call(A, 'GET', `/v1/jobs?limit=1&cursor=${encodeURIComponent(cursor)}`);
      expect(next.status).toBe(200);
      expect(next.body.items).not.toEqual(first.body.items);
      const refused = async (tenant: string, url: string) => {
        const answer = await call(tenant, 'GET', url);
        expect(answer.status, url).toBe(400);
        expect(answer.body.error).toMatchObject({
          code: 'request.invalidCursor',
          fields: [{ field: 'cursor' }],
        });
      };
      await refused(A, `/v1/accounts?cursor=${encodeURIComponent(cursor)}`);
      await refused(A, `/v1/schedules?cursor=${encodeURIComponent(cursor)}`);
      await refused(A, `/v1/jobs?status=JQ&cursor=${encodeURIComponent(cursor)}`);
      const handMade = Buffer.from(JSON.stringify({ t: A, p: { [A]: '#account#aws#1' } })).toString(
        'base64url',
      );
      await refused(A, `/v1/jobs?cursor=${handMade}`);
      await refused(A, `/v1/jobs?cursor=${encodeURIComponent(`${cursor.slice(0, -2)}AA`)}`);
      const before = (await auditKinds(A)).crossTenantCursor ?? 0;
      await refused(B, `/v1/jobs?limit=1&cursor=${encodeURIComponent(cursor)}`);
      expect((await auditKinds(B)).crossTenantCursor).toBe(1);
      expect((await auditKinds(A)).crossTenantCursor ?? 0).toBe(before);
    });
  });

  describe('errors raised before a request leaves the SDK', () => {
    it('are 400 naming the credential field, not 503', async () => {
      const credentials = {
        kind: 'aws-keys',
        accessKeyId: 'AKIAAAAAAAAAAAAAAAAA',
        secretAccessKey: 'secret',
      };
      const cases: [Record<string, unknown>, string][] = [
        [{ ...credentials, region: `eu-${'a'.repeat(200)}-1` }, 'credentials.region'],
        [{ ...credentials, sessionToken: 'line\nbreak' }, 'credentials.sessionToken'],
        [{ ...credentials, sessionToken: 'caf\u00e9' }, 'credentials.sessionToken'],
      ];
      for (const [given, field] of cases) {
        const answer = await call(A, 'POST', '/v1/accounts', {
          provider: 'aws',
          accountId: '210987654321',
          credentials: given,
        });
        expect(answer.status, field).toBe(400);
        expect(answer.body.error.fields).toContainEqual(expect.objectContaining({ field }));
      }
    });

    it('only real unavailability is 503, with Retry-After', async () => {
      const log = createLogger({ level: 'silent' });
      const dead: Config = {
        ...stack.config,
        endpoints: { ...stack.config.endpoints, sts: 'http://127.0.0.1:9' },
      };
      const other = await createApiServer(dead, {
        clients: stack.clients,
        producer,
        log,
        queueUrl: stack.report.queueUrl,
      });
      try {
        const response = await other.app.inject({
          method: 'POST',
          url: '/v1/accounts',
          headers: { authorization: `Bearer ${tokens[A]}`, 'content-type': 'application/json' },
          payload: JSON.stringify({
            provider: 'aws',
            accountId: '210987654321',
            credentials: { kind: 'aws-keys', accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'secret' },
          }),
        });
        expect(response.statusCode).toBe(503);
        expect((response.json() as ErrorBody).error.code).toBe('account.validationUnavailable');
        expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      } finally {
        await other.close();
      }
    });
  });

  describe('a tenant exists (its profile) before anything is stored for it', () => {
    it('answers 404 tenant.notFound and stores nothing; once the profile exists, it works', async () => {
      const writes: [string, string, unknown][] = [
        ['POST', '/v1/jobs', { capability: 'noop', target: 'a.example' }],
        ['POST', '/v1/providers', { name: 'aws' }],
        ['POST', '/v1/schedules', { capability: 'noop', targets: ['a.example'], interval: '1h' }],
        ['POST', '/v1/uploads', { name: 'a.json' }],
        ['GET', '/v1/jobs', undefined],
      ];
      for (const [method, url, body] of writes) {
        const answer = await call(NEW, method, url, body);
        expect(answer.status, `${method} ${url}`).toBe(404);
        expect(answer.body.error.code).toBe('tenant.notFound');
      }
      expect((await table(NEW).query({ consistent: true })).items).toEqual([]);
      expect((await call(NEW, 'PUT', `/v1/tenants/${NEW}`, { name: 'New' })).status).toBe(200);
      expect((await call(NEW, 'POST', '/v1/jobs', { capability: 'noop', target: 'a.example' })).status).toBe(
        202,
      );
    });
  });

  describe('every cross-tenant refusal is audited, counted per kind', () => {
    it('writes one item per refusal into the acting tenant, none into the tenant named', async () => {
      const before = await auditKinds(A);
      const foreignKey = `${B}/uploads/2026-01-01/x.json`;
      const ref = { key: foreignKey, uploadId: 'u1' };
      expect(
        (await call(A, 'POST', '/v1/uploads/multipart/parts', { ...ref, partNumbers: [1] })).status,
      ).toBe(400);
      expect(
        (
          await call(A, 'POST', '/v1/uploads/multipart/complete', {
            ...ref,
            parts: [{ partNumber: 1, etag: 'e' }],
          })
        ).status,
      ).toBe(400);
      expect((await call(A, 'POST', '/v1/uploads/multipart/abort', ref)).status).toBe(400);
      expect((await call(A, 'GET', `/v1/tenants/${B}`)).status).toBe(403);
      expect(
        (await call('readonly', 'POST', '/v1/jobs', { capability: 'noop', target: 'z.example' })).status,
      ).toBe(403);
      const bCursor = String((await call(B, 'GET', '/v1/jobs?limit=1')).body.cursor);
      expect((await call(A, 'GET', `/v1/jobs?limit=1&cursor=${encodeURIComponent(bCursor)}`)).status).toBe(
        400,
      );
      const after = await auditKinds(A);
      const added = (kind: string) => (after[kind] ?? 0) - (before[kind] ?? 0);
      expect({
        crossTenantKey: added('crossTenantKey'),
        tenantParam: added('tenantParam'),
        role: added('role'),
        crossTenantCursor: added('crossTenantCursor'),
      }).toEqual({ crossTenantKey: 3, tenantParam: 1, role: 1, crossTenantCursor: 1 });
      const { records } = await listAudit(table(A), { limit: 200 });
      const keyItems = records.filter((r) => r.kind === 'crossTenantKey');
      expect(
        keyItems.every(
          (r) => !r.authorized && r.callingUser === `user-${A}` && r.assumedTenant === JSON.stringify(B),
        ),
      ).toBe(true);
      // The named tenant's own trail gets nothing from A's probes.
      const { records: bRecords } = await listAudit(table(B), { limit: 200 });
      expect(bRecords.filter((r) => r.callingTenant === A)).toEqual([]);
    });
  });
});
