import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, createApiServer, mintToken } from '../../src/api/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { createProducer, type Producer } from '../../src/producer/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { testRegistry } from '../helpers/capabilities.js';

const SECRET = 'api-job-control-jwt-secret-32-bytes-long!!';

/** The job-control routes over a real socket (no worker: jobs stay queued): roles, tenants, states. */
describe('Routes: job control over HTTP', () => {
  let stack: TestStack;
  let producer: Producer;
  let server: ApiServer;
  let base: string;
  const tokens: Record<string, string> = {};

  async function call(method: string, path: string, token: string, body?: unknown) {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      json: (text ? JSON.parse(text) : undefined) as Record<string, unknown>,
    };
  }
  const job = (key: string) => `/v1/jobs/${encodeURIComponent(key)}`;

  beforeAll(async () => {
    stack = await createTestStack('apictl', { env: { SCANQ_JWT_SECRET: SECRET } });
    const log = createLogger({ level: 'silent' });
    producer = await createProducer(stack.config, { clients: stack.clients, registry: testRegistry(), log });
    server = await createApiServer(stack.config, {
      clients: stack.clients,
      producer,
      log,
      queueUrl: stack.report.queueUrl,
    });
    base = await server.listen({ port: 0, host: '127.0.0.1' });
    for (const role of ['admin', 'readonly'] as const)
      tokens[role] = await mintToken({
        secret: SECRET,
        tenant: 'acme',
        sub: role,
        roles: [role],
        ttlMs: 600_000,
      });
    expect((await call('PUT', '/v1/tenants/acme', String(tokens.admin), { name: 'Acme' })).status).toBe(200);
  });
  afterAll(async () => {
    await server?.close();
    producer?.close();
    await destroyTestStack(stack);
  });

  it('cancels a queued job (200, then 409), refuses a readonly caller (403) and out-of-bounds options (400)', async () => {
    const admin = String(tokens.admin);
    const enqueued = await call('POST', '/v1/jobs', admin, {
      capability: 'noop',
      target: 'h1',
      delaySeconds: 60,
    });
    expect(enqueued.status, JSON.stringify(enqueued.json)).toBe(202);
    const key = '#job#h1#noop';
    expect((await call('POST', `${job(key)}/cancel`, String(tokens.readonly))).status).toBe(403);
    expect(await call('POST', `${job(key)}/cancel`, admin)).toEqual({
      status: 200,
      json: { key, outcome: 'cancelled', status: 'JF' },
    });
    const again = await call('POST', `${job(key)}/cancel`, admin);
    expect(again.status).toBe(409);
    expect(again.json.error).toMatchObject({ code: 'job.notCancellable' });
    expect((await call('GET', job(key), admin)).json).toMatchObject({ status: 'JF', errorCode: 'cancelled' });
    const bad = await call('POST', '/v1/jobs', admin, {
      capability: 'sleep',
      target: 'h2',
      timeoutSeconds: 600,
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain('timeoutSeconds');
    expect((await call('DELETE', job(key), String(tokens.readonly))).status).toBe(403);
    expect(await call('DELETE', job(key), admin)).toEqual({ status: 200, json: { key, deletedObjects: 0 } });
    expect((await call('DELETE', job(key), admin)).status).toBe(404);
  });

  it('pauses and resumes only the caller’s own tenant; an unknown schedule is 404', async () => {
    const admin = String(tokens.admin);
    expect(await call('POST', '/v1/tenants/acme/pause', admin, { capability: 'noop' })).toEqual({
      status: 200,
      json: { all: false, capabilities: ['noop'] },
    });
    expect((await call('GET', '/v1/tenants/acme/pauses', admin)).json).toEqual({
      all: false,
      capabilities: ['noop'],
    });
    expect((await call('POST', '/v1/tenants/other/pause', admin, {})).status).toBe(403);
    expect((await call('POST', '/v1/tenants/acme/pause', String(tokens.readonly), {})).status).toBe(403);
    expect((await call('POST', '/v1/tenants/acme/resume', admin, { capability: 'noop' })).json).toEqual({
      all: false,
      capabilities: [],
    });
    const put = await call('PUT', '/v1/schedules/doesnotexist', admin, {
      capability: 'noop',
      targets: ['a'],
      interval: '1h',
    });
    expect(put.status).toBe(404);
  });
});
