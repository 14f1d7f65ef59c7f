import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, createApiServer, createVerifier, mintToken } from '../../src/api/index.js';
import { createProducer, type Producer } from '../../src/producer/index.js';
import { listAudit, putProfile, systemContext, type TenantTable } from '../../src/tenancy/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { captureLog } from '../helpers/log-capture.js';
import { tableOf } from '../helpers/stack-extras.js';

const SECRET = 'api-auth-jwt-secret-at-least-32-bytes-long';
const CUSTOMER = 'cust';
const MSP = 'msp';
const HOUR = 3_600_000;

type Headers = Record<string, string>;
type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

describe('Function: authenticate (the auth matrix over HTTP)', () => {
  let stack: TestStack;
  let producer: Producer;
  let server: ApiServer;
  const captured = captureLog('debug');
  const table = (tenant: string): TenantTable => tableOf(stack, systemContext(tenant, 'test'));
  const token = (tenant: string, sub: string, roles: string[], extra: { secret?: string; now?: Date } = {}) =>
    mintToken({
      secret: extra.secret ?? SECRET,
      tenant,
      sub,
      roles,
      ttlMs: HOUR,
      ...(extra.now ? { now: extra.now } : {}),
    });
  const bearer = (jwt: string): Headers => ({ authorization: `Bearer ${jwt}` });
  const audits = async (tenant: string) => (await listAudit(table(tenant), { limit: 100 })).records;

  beforeAll(async () => {
    stack = await createTestStack('apiauth', { env: { SCANQ_JWT_SECRET: SECRET } });
    producer = await createProducer(stack.config, { clients: stack.clients, log: captured.log });
    server = await createApiServer(stack.config, {
      clients: stack.clients,
      producer,
      log: captured.log,
      queueUrl: stack.report.queueUrl,
    });
    await putProfile(table(CUSTOMER), { name: 'Customer', authorizedUsers: ['msp-alice'] });
    await putProfile(table(MSP), { name: 'MSP' });
  });

  afterAll(async () => {
    await server?.close();
    producer?.close();
    await destroyTestStack(stack);
  });

  const inject = (method: 'GET' | 'POST' | 'PUT', url: string, headers: Headers, payload?: unknown) =>
    server.app.inject({
      method,
      url,
      headers,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  // Each row: who calls what, the status and code, and how many denial events each partition gains.
  const matrix: {
    name: string;
    headers: () => Promise<Headers>;
    method: 'GET' | 'POST' | 'PUT';
    url: string;
    payload?: unknown;
    status: number;
    code?: string;
    audited: Record<string, number>;
  }[] = [
    {
      name: 'no token',
      headers: async () => ({}),
      method: 'GET',
      url: '/v1/jobs',
      status: 401,
      code: 'auth.missingToken',
      audited: {},
    },
    {
      name: 'not a bearer token',
      headers: async () => ({ authorization: 'Basic dXNlcjpwYXNz' }),
      method: 'GET',
      url: '/v1/jobs',
      status: 401,
      code: 'auth.missingToken',
      audited: {},
    },
    {
      name: 'bad signature',
      headers: async () =>
        bearer(
          await token(CUSTOMER, 'mallory', ['admin'], { secret: 'another-secret-of-at-least-32-bytes!!' }),
        ),
      method: 'GET',
      url: '/v1/jobs',
      status: 401,
      code: 'auth.invalidToken',
      audited: {},
    },
    {
      name: 'expired (authentic, so audited in its tenant)',
      headers: async () =>
        bearer(await token(CUSTOMER, 'carol', ['admin'], { now: new Date(Date.now() - 2 * HOUR) })),
      method: 'GET',
      url: '/v1/jobs',
      status: 401,
      code: 'auth.expiredToken',
      audited: { [CUSTOMER]: 1 },
    },
    {
      name: 'wrong role: readonly enqueues',
      headers: async () => bearer(await token(CUSTOMER, 'reader', ['readonly'])),
      method: 'POST',
      url: '/v1/jobs',
      payload: { capability: 'noop', target: 'x' },
      status: 403,
      code: 'tenant.forbidden',
      audited: { [CUSTOMER]: 1 },
    },
    {
      name: 'wrong role: service reads accounts',
      headers: async () => bearer(await token(CUSTOMER, 'svc', ['service'])),
      method: 'GET',
      url: '/v1/accounts',
      status: 403,
      code: 'tenant.forbidden',
      audited: { [CUSTOMER]: 1 },
    },
    {
      name: 'other tenant named in the path',
      headers: async () => bearer(await token(MSP, 'msp-admin', ['admin'])),
      method: 'GET',
      url: `/v1/tenants/${CUSTOMER}`,
      status: 403,
      code: 'tenant.forbidden',
      audited: { [MSP]: 1 },
    },
    {
      name: 'MSP user authorized by the customer',
      headers: async () => ({
        ...bearer(await token(MSP, 'msp-alice', ['analyst'])),
        'x-assume-tenant': CUSTOMER,
      }),
      method: 'GET',
      url: '/v1/jobs',
      status: 200,
      audited: {},
    },
    {
      name: 'MSP user not authorized',
      headers: async () => ({
        ...bearer(await token(MSP, 'msp-bob', ['analyst'])),
        'x-assume-tenant': CUSTOMER,
      }),
      method: 'GET',
      url: '/v1/jobs',
      status: 403,
      code: 'tenant.assumeDenied',
      audited: { [CUSTOMER]: 1, [MSP]: 1 },
    },
    {
      name: 'MSP user authorized, but a tenant write is never delegated',
      headers: async () => ({
        ...bearer(await token(MSP, 'msp-alice', ['admin'])),
        'x-assume-tenant': CUSTOMER,
      }),
      method: 'PUT',
      url: `/v1/tenants/${CUSTOMER}`,
      payload: { name: 'Taken over', authorizedUsers: ['msp-alice', 'msp-bob'] },
      status: 403,
      code: 'tenant.forbidden',
      audited: { [CUSTOMER]: 1, [MSP]: 1 },
    },
    {
      name: 'assuming a tenant that does not exist',
      headers: async () => ({
        ...bearer(await token(MSP, 'msp-alice', ['analyst'])),
        'x-assume-tenant': 'ghost',
      }),
      method: 'GET',
      url: '/v1/jobs',
      status: 403,
      code: 'tenant.assumeDenied',
      audited: { [MSP]: 1, ghost: 0 },
    },
    {
      name: "the customer's own admin",
      headers: async () => bearer(await token(CUSTOMER, 'cust-admin', ['admin'])),
      method: 'GET',
      url: `/v1/tenants/${CUSTOMER}`,
      status: 200,
      audited: {},
    },
  ];

  it.each(matrix)('$name → $status', async (row) => {
    const tenants = [CUSTOMER, MSP, 'ghost'];
    const before = Object.fromEntries(
      await Promise.all(
        tenants.map(async (t) => [t, (await audits(t)).filter((r) => !r.authorized).length] as const),
      ),
    );
    const response = await inject(row.method, row.url, await row.headers(), row.payload);
    expect(response.statusCode, response.body).toBe(row.status);
    const body = response.json() as { error?: { code: string }; requestId?: string };
    if (row.code)
      expect(body).toMatchObject({ error: { code: row.code }, requestId: response.headers['x-request-id'] });
    for (const tenant of tenants) {
      const denied = (await audits(tenant)).filter((r) => !r.authorized).length - (before[tenant] ?? 0);
      expect(denied, `denials audited in ${tenant}`).toBe(row.audited[tenant] ?? 0);
    }
  });

  it('audits the allowed MSP access in both partitions and names the caller', async () => {
    const customer = (await audits(CUSTOMER)).filter((r) => r.authorized);
    const msp = (await audits(MSP)).filter((r) => r.authorized);
    for (const records of [customer, msp]) {
      expect(records).toContainEqual(
        expect.objectContaining({
          action: 'tenant:assume',
          callingUser: 'msp-alice',
          callingTenant: MSP,
          assumedTenant: CUSTOMER,
        }),
      );
    }
    const pathDenial = (await audits(MSP)).find((r) => r.action === 'tenant:read' && !r.authorized);
    expect(pathDenial).toMatchObject({
      callingUser: 'msp-admin',
      assumedTenant: `"${CUSTOMER}"`,
      key: 'GET /v1/tenants/:id',
    });
  });

  it('logs every failed authentication with its reason and request id, never the token', async () => {
    const jwt = await token(CUSTOMER, 'mallory', ['admin'], {
      secret: 'yet-another-secret-of-32-bytes-or-more',
    });
    const response = await inject('GET', '/v1/jobs', { ...bearer(jwt), 'x-request-id': 'auth-log-1' });
    expect(response.statusCode).toBe(401);
    const line = captured
      .lines()
      .find((l) => l.requestId === 'auth-log-1' && l.msg === 'authentication failed');
    expect(line).toMatchObject({ level: 40, reason: 'auth.invalidToken', route: 'GET /v1/jobs' });
    expect(JSON.stringify(captured.lines())).not.toContain(jwt);
  });

  it('rate-limits per tenant from the profile: one tenant at its limit does not slow another', async () => {
    const limited = await createApiServer(stack.config, {
      clients: stack.clients,
      producer,
      log: captured.log,
      queueUrl: stack.report.queueUrl,
      rateWindowMs: 60_000,
    });
    try {
      // 0.05 per second over a 60 s window: 3 requests per window.
      await putProfile(table('slow'), { name: 'Slow', limits: { ratePerSecond: 0.05 } });
      const slow = bearer(await token('slow', 'u', ['readonly']));
      const other = bearer(await token(MSP, 'u', ['readonly']));
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push((await limited.app.inject({ url: '/v1/jobs', headers: slow })).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const refused = await limited.app.inject({ url: '/v1/jobs', headers: slow });
      expect(refused.json()).toMatchObject({ error: { code: 'request.rateLimited' } });
      expect(refused.headers['retry-after']).toBeDefined();
      expect((await limited.app.inject({ url: '/v1/jobs', headers: other })).statusCode).toBe(200);
      expect((await limited.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('Function: createVerifier (JWKS)', () => {
  let jwks: Server;
  let url: string;
  let privateKey: SigningKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(async () => {
    await new Promise((resolve) => jwks.close(resolve));
  });

  const sign = (key: SigningKey, claims: Record<string, unknown>) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setSubject('svc')
      .setIssuer('https://issuer.test')
      .setAudience('scanq')
      .setExpirationTime('10m')
      .sign(key);

  it('accepts a token signed by a published key with the configured issuer and audience', async () => {
    const verifier = createVerifier({
      jwtSecret: undefined,
      jwksUrl: url,
      issuer: 'https://issuer.test',
      audience: 'scanq',
    });
    await expect(
      verifier.verify(await sign(privateKey, { tenant: 't1', roles: ['service'] })),
    ).resolves.toEqual({
      sub: 'svc',
      tenant: 't1',
      roles: ['service'],
    });
  });

  it('refuses a token signed by another key, or for another audience', async () => {
    const verifier = createVerifier({
      jwtSecret: undefined,
      jwksUrl: url,
      issuer: 'https://issuer.test',
      audience: 'other',
    });
    await expect(verifier.verify(await sign(privateKey, { tenant: 't1', roles: [] }))).rejects.toMatchObject({
      code: 'auth.invalidToken',
    });
    const stranger = (await generateKeyPair('RS256')).privateKey;
    const strict = createVerifier({
      jwtSecret: undefined,
      jwksUrl: url,
      issuer: undefined,
      audience: undefined,
    });
    await expect(strict.verify(await sign(stranger, { tenant: 't1', roles: [] }))).rejects.toMatchObject({
      code: 'auth.invalidToken',
    });
  });

  it('answers 503, not 401, when the keys cannot be fetched', async () => {
    const verifier = createVerifier({
      jwtSecret: undefined,
      jwksUrl: 'http://127.0.0.1:1/jwks.json',
      issuer: undefined,
      audience: undefined,
    });
    await expect(verifier.verify(await sign(privateKey, { tenant: 't1', roles: [] }))).rejects.toMatchObject({
      status: 503,
      code: 'auth.unavailable',
    });
  });
});
