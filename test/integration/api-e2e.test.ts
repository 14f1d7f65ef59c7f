import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { DescribeSecretCommand, ListSecretVersionIdsCommand } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ApiServer, createApiServer, mintToken } from '../../src/api/index.js';
import {
  accountListSchema,
  accountViewSchema,
  enqueueResponseSchema,
  errorBodySchema,
  jobListSchema,
  jobViewSchema,
  presignedSchema,
  scheduleViewSchema,
} from '../../src/api/schemas.js';
import { type CapabilityDefinition, PermanentError } from '../../src/jobs/index.js';
import { createProducer, type Producer, signCallbackToken } from '../../src/producer/index.js';
import { startTelemetry, type Telemetry } from '../../src/telemetry/index.js';
import { listAudit, ownContext } from '../../src/tenancy/index.js';
import { createWorker, createWorkerRuntimeDeps, type Worker } from '../../src/workers/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { testRegistry } from '../helpers/capabilities.js';
import { captureLog } from '../helpers/log-capture.js';
import { tableOf } from '../helpers/stack-extras.js';
import { eventually } from '../helpers/worker-process.js';

const SECRET = 'api-e2e-jwt-secret-at-least-32-bytes-long!';
const CALLBACK_SECRET = 'api-e2e-callback-secret-32-bytes-or-more!!';
const TENANT = 'acme';
// A credential value that must never come back from any endpoint.
const SECRET_KEY = 'e2e-secret-access-key-never-returned-0123';

/** Calls STS with the tenant's stored keys, as a real scan would: proves onboarding reached the worker. */
const whoami: CapabilityDefinition<{ accountId: string }> = {
  name: 'whoami',
  description: 'GetCallerIdentity with the tenant account credentials',
  targetKind: 'any',
  input: z.strictObject({ accountId: z.string() }),
  credentials: 'aws',
  timeoutMs: 10_000,
  maxAttempts: 2,
  async run(ctx, _input, emit) {
    if (!ctx.credentials) throw new PermanentError('no credentials');
    const sts = new STSClient({
      region: ctx.aws.region,
      endpoint: ctx.aws.endpoints.sts,
      credentials: ctx.credentials,
    });
    try {
      const identity = await sts.send(new GetCallerIdentityCommand({}), { abortSignal: ctx.signal });
      emit.asset({ type: 'aws-account', value: identity.Account ?? 'unknown' });
      return { kind: 'done', result: { account: identity.Account } };
    } finally {
      sts.destroy();
    }
  },
};

describe('Command: scanq api (HTTP end to end over a real socket)', () => {
  let stack: TestStack;
  let producer: Producer;
  let server: ApiServer;
  let telemetry: Telemetry | undefined;
  let worker: Worker;
  let base: string;
  let admin: string;
  let accountId: string;
  // Every line the API, producer and worker write, so the last test can look for secrets in them.
  const captured = captureLog('debug');
  const log = captured.log;

  async function call(method: string, path: string, body?: unknown, token = admin) {
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
      headers: response.headers,
      json: (text ? JSON.parse(text) : undefined) as Record<string, unknown>,
    };
  }

  beforeAll(async () => {
    stack = await createTestStack('apie2e', {
      env: { SCANQ_JWT_SECRET: SECRET, SCANQ_CALLBACK_SECRET: CALLBACK_SECRET },
    });
    const registry = testRegistry().register(whoami as CapabilityDefinition);
    // One telemetry for the server and its producer, as `scanq api` has: /metrics shows both.
    telemetry = await startTelemetry(stack.config.telemetry, { process: 'api', prometheus: true }, log);
    producer = await createProducer(stack.config, { clients: stack.clients, registry, log, telemetry });
    server = await createApiServer(stack.config, {
      clients: stack.clients,
      producer,
      log,
      queueUrl: stack.report.queueUrl,
      telemetry,
    });
    base = await server.listen({ port: 0, host: '127.0.0.1' });
    worker = createWorker(stack.config, {
      clients: stack.clients,
      resources: stack.report,
      registry,
      log,
      waitTimeSeconds: 1,
      ...createWorkerRuntimeDeps(stack.config, stack.clients, stack.report, log),
    });
    worker.start();
    admin = await mintToken({
      secret: SECRET,
      tenant: TENANT,
      sub: 'alice',
      roles: ['admin'],
      ttlMs: 600_000,
    });
    // Never hard-code an account id: ask the endpoint which account any keys land in.
    accountId = (await stack.clients.sts.send(new GetCallerIdentityCommand({}))).Account ?? '';
  });

  afterAll(async () => {
    await worker?.stop({ drainTimeoutMs: 1_000 });
    await server?.close();
    await telemetry?.shutdown();
    producer?.close();
    await destroyTestStack(stack);
  });

  it('onboards: tenant profile, provider, an account validated by STS and stored in Secrets Manager', async () => {
    expect((await call('PUT', `/v1/tenants/${TENANT}`, { name: 'Acme' })).status).toBe(200);
    expect((await call('POST', '/v1/providers', { name: 'aws' })).status).toBe(201);
    expect((await call('POST', '/v1/providers', { name: 'aws' })).status).toBe(200);

    const credentials = {
      kind: 'aws-keys',
      accessKeyId: 'AKIAAPIE2EKEY0000001',
      secretAccessKey: SECRET_KEY,
    };
    const created = await call('POST', '/v1/accounts', {
      provider: 'aws',
      accountId,
      name: 'prod',
      credentials,
    });
    expect(created.status).toBe(201);
    expect(accountViewSchema.parse(created.json)).toMatchObject({ accountId, state: 'active' });
    expect(JSON.stringify(created.json)).not.toContain(SECRET_KEY);
    const name = `${stack.config.resources.secretsPrefix}/${TENANT}/account/${accountId}`;
    const secret = await stack.clients.secrets.send(new DescribeSecretCommand({ SecretId: name }));
    expect(secret.Tags).toContainEqual({ Key: 'tenant', Value: TENANT });

    // Keys that land in another account than claimed: recorded invalid, with the reason, never stored.
    const wrong = await call('POST', '/v1/accounts', {
      provider: 'aws',
      accountId: '000000000001',
      credentials,
    });
    expect(wrong.status).toBe(201);
    expect(wrong.json).toMatchObject({ state: 'invalid', reason: expect.stringContaining(accountId) });
    const missing = `${stack.config.resources.secretsPrefix}/${TENANT}/account/000000000001`;
    await expect(
      stack.clients.secrets.send(new DescribeSecretCommand({ SecretId: missing })),
    ).rejects.toThrow();

    // A role in another account, assumed with scanq's identity, then asked who it is.
    const roleAccount = '111111111111';
    const role = await call('POST', '/v1/accounts', {
      provider: 'aws',
      accountId: roleAccount,
      credentials: {
        kind: 'aws-role',
        roleArn: `arn:aws:iam::${roleAccount}:role/scanq-audit`,
        externalId: 'ext-1',
      },
    });
    expect(role).toMatchObject({ status: 201, json: { state: 'active', credentialKind: 'aws-role' } });

    const again = await call('POST', '/v1/accounts', { provider: 'aws', accountId, credentials });
    expect(again.status).toBe(409);
    const listed = await call('GET', '/v1/accounts');
    expect(
      accountListSchema
        .parse(listed.json)
        .items.map((a) => a.state)
        .sort(),
    ).toEqual(['active', 'active', 'invalid']);
    expect(JSON.stringify(listed.json)).not.toContain(SECRET_KEY);
  });

  it('rotates credentials into a new secret version, refusing ones that do not validate', async () => {
    const rotated = await call('PUT', `/v1/accounts/${accountId}/credentials`, {
      credentials: {
        kind: 'aws-keys',
        accessKeyId: 'AKIAAPIE2EKEY0000002',
        secretAccessKey: `${SECRET_KEY}-2`,
      },
    });
    expect(rotated.status).toBe(200);
    expect(rotated.json).toMatchObject({ state: 'active', rotatedAt: expect.any(String) });
    const name = `${stack.config.resources.secretsPrefix}/${TENANT}/account/${accountId}`;
    const versions = await stack.clients.secrets.send(new ListSecretVersionIdsCommand({ SecretId: name }));
    expect(versions.Versions?.length).toBe(2);
    // The account recorded invalid earlier: keys that land elsewhere are refused, nothing stored.
    const refused = await call('PUT', '/v1/accounts/000000000001/credentials', {
      credentials: {
        kind: 'aws-keys',
        accessKeyId: 'AKIAAPIE2EKEY0000004',
        secretAccessKey: `${SECRET_KEY}-4`,
      },
    });
    expect(refused).toMatchObject({ status: 422, json: { error: { code: 'account.invalidCredentials' } } });
    expect(JSON.stringify(refused.json)).not.toContain(SECRET_KEY);
    const notOnboarded = await call('PUT', '/v1/accounts/000000000009/credentials', {
      credentials: { kind: 'aws-keys', accessKeyId: 'AKIAAPIE2EKEY0000003', secretAccessKey: 'x' },
    });
    expect(notOnboarded.status).toBe(404);
  });

  it('enqueues (202, then 200 for a duplicate), polls to JP and downloads the result through the presigned URL', async () => {
    const enqueued = await call('POST', '/v1/jobs', {
      jobs: [
        { capability: 'whoami', target: `aws:${accountId}`, input: { accountId } },
        { capability: 'noop', target: 'host-1.example.com' },
      ],
    });
    expect(enqueued.status).toBe(202);
    const body = enqueueResponseSchema.parse(enqueued.json);
    expect(body).toMatchObject({ accepted: 2, rejected: 0 });
    const again = await call('POST', '/v1/jobs', { capability: 'noop', target: 'host-1.example.com' });
    expect(again.status).toBe(200);
    expect(enqueueResponseSchema.parse(again.json).results[0]).toMatchObject({ accepted: false });

    const key = body.results[0]?.key ?? '';
    const path = `/v1/jobs/${encodeURIComponent(key)}`;
    const done = await eventually(
      async () => {
        const job = jobViewSchema.parse((await call('GET', path)).json);
        return job.status === 'JP' || job.status === 'JF' ? job : undefined;
      },
      30_000,
      'the whoami job to finish',
    );
    expect(done).toMatchObject({ status: 'JP', capability: 'whoami', links: { result: `${path}/result` } });

    const presigned = presignedSchema.parse((await call('GET', `${path}/result`)).json);
    expect(presigned.key.startsWith(`${TENANT}/results/`)).toBe(true);
    const document = (await (await fetch(presigned.url)).json()) as Record<string, unknown>;
    expect(document).toMatchObject({ tenant: TENANT, key, status: 'JP', result: { account: accountId } });
  });

  it('lists jobs by status through the index, page by page with the opaque cursor', async () => {
    await eventually(
      async () => {
        const page = jobListSchema.parse((await call('GET', '/v1/jobs?status=JP')).json);
        return page.items.length === 2 ? page : undefined;
      },
      30_000,
      'both jobs passed',
    );
    const first = jobListSchema.parse((await call('GET', '/v1/jobs?status=JP&limit=1')).json);
    expect(first.items).toHaveLength(1);
    const second = jobListSchema.parse(
      (await call('GET', `/v1/jobs?status=JP&limit=1&cursor=${encodeURIComponent(first.cursor ?? '')}`)).json,
    );
    expect(second.items[0]?.key).not.toBe(first.items[0]?.key);
    const noops = jobListSchema.parse((await call('GET', '/v1/jobs?capability=noop&limit=100')).json);
    expect(noops.items.map((j) => j.capability)).toEqual(['noop']);
    const notFound = await call('GET', `/v1/jobs/${encodeURIComponent('#job#nothing#noop')}`);
    expect(notFound.status).toBe(404);
    expect(errorBodySchema.parse(notFound.json).error.code).toBe('job.notFound');
  });

  it('uploads through a presigned PUT and through multipart part URLs, under the tenant prefix', async () => {
    const single = presignedSchema.parse(
      (await call('POST', '/v1/uploads', { name: 'assets/hosts.json', contentType: 'application/json' }))
        .json,
    );
    expect(single.key).toMatch(new RegExp(`^${TENANT}/uploads/\\d{4}-\\d{2}-\\d{2}/assets/hosts\\.json$`));
    const put = await fetch(single.url, { method: 'PUT', headers: single.headers, body: '{"hosts":[]}' });
    expect(put.status).toBe(200);

    const created = (await call('POST', '/v1/uploads/multipart', { name: 'big.json' })).json as {
      key: string;
      uploadId: string;
    };
    const parts = (await call('POST', '/v1/uploads/multipart/parts', { ...created, partNumbers: [1, 2] }))
      .json as {
      parts: { partNumber: number; url: string }[];
    };
    const bodies = [Buffer.alloc(5 * 1024 * 1024, 97), Buffer.from('tail')];
    const etags = await Promise.all(
      parts.parts.map(async (part) => {
        const response = await fetch(part.url, { method: 'PUT', body: bodies[part.partNumber - 1] });
        expect(response.status).toBe(200);
        return { partNumber: part.partNumber, etag: response.headers.get('etag') ?? '' };
      }),
    );
    const completed = await call('POST', '/v1/uploads/multipart/complete', { ...created, parts: etags });
    expect(completed).toMatchObject({ status: 200, json: { key: created.key } });
    const head = await stack.clients.s3.send(
      new HeadObjectCommand({ Bucket: stack.config.resources.uploadsBucket, Key: created.key }),
    );
    expect(head.ContentLength).toBe(5 * 1024 * 1024 + 4);
    const abandoned = (await call('POST', '/v1/uploads/multipart', { name: 'abandoned.json' })).json;
    expect((await call('POST', '/v1/uploads/multipart/abort', abandoned)).status).toBe(204);
    const otherTenant = await call('POST', '/v1/uploads/multipart/parts', {
      key: created.key.replace(`${TENANT}/`, 'other/'),
      uploadId: created.uploadId,
      partNumbers: [1],
    });
    expect(otherTenant).toMatchObject({ status: 400, json: { error: { code: 'files.crossTenant' } } });
  });

  it('creates, lists, reads and deletes schedules; the stored item carries the due-index key', async () => {
    const created = await call('POST', '/v1/schedules', {
      capability: 'noop',
      targets: ['a.example.com', 'b.example.com'],
      interval: '1h',
    });
    expect(created.status).toBe(201);
    const schedule = scheduleViewSchema.parse(created.json);
    expect(schedule).toMatchObject({ intervalMs: 3_600_000, enabled: true });
    const item = await tableOf(stack, ownContext({ tenant: TENANT, user: 'x', roles: [] })).get(
      `#schedule#${schedule.id}`,
    );
    expect(item?.dueKey).toMatch(/^due#\d+$/);
    expect(((await call('GET', '/v1/schedules')).json.items as unknown[]).length).toBe(1);
    expect((await call('GET', `/v1/schedules/${schedule.id}`)).status).toBe(200);
    expect((await call('DELETE', `/v1/schedules/${schedule.id}`)).status).toBe(204);
    expect((await call('GET', `/v1/schedules/${schedule.id}`)).status).toBe(404);
    expect((await call('DELETE', `/v1/schedules/${schedule.id}`)).status).toBe(404);
  });

  it('answers callbacks by their signed token only: forged 401, valid for a job not waiting 410', async () => {
    const key = '#job#host-1.example.com#noop';
    const path = `/v1/jobs/${encodeURIComponent(key)}/return`;
    const claims = {
      tenant: TENANT,
      key,
      asyncRef: 'ref-1',
      outputKey: 'x',
      exp: Math.floor(Date.now() / 1000) + 60,
    };
    const forged = await fetch(`${base}${path}?token=${signCallbackToken('x'.repeat(40), claims)}`, {
      method: 'POST',
    });
    expect(forged.status).toBe(401);
    const valid = await fetch(`${base}${path}?token=${signCallbackToken(CALLBACK_SECRET, claims)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"status":"done"}',
    });
    expect(valid.status).toBe(410);
  });

  it('carries a request id on every response and log line, never logs a secret, serves /healthz, /readyz, /metrics, OpenAPI', async () => {
    const health = await fetch(`${base}/healthz`);
    expect(health.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const echoed = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-abc.123');
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { dynamodb: 'ok', sqs: 'ok' } });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const enqueued = [
      ...metrics.matchAll(
        new RegExp(
          `^scanq_jobs_enqueued_total\\{tenant="${TENANT}",capability="[^"]+",result="accepted"\\} (\\d+)$`,
          'gm',
        ),
      ),
    ].reduce((sum, match) => sum + Number(match[1]), 0);
    expect(enqueued).toBe(2);
    expect(metrics).toMatch(/scanq_http_requests_total\{method="POST",route="\/v1\/jobs",status="202"\} 1/);
    const openapi = (await (await fetch(`${base}/v1/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/v1/jobs', '/v1/jobs/{key}/result']));
    const lines = JSON.stringify(captured.lines());
    const requests = captured.lines().filter((l) => l.msg === 'request');
    expect(requests.length).toBeGreaterThan(20);
    expect(requests.every((l) => typeof l.requestId === 'string' && typeof l.route === 'string')).toBe(true);
    for (const secret of [SECRET_KEY, admin, SECRET, CALLBACK_SECRET]) expect(lines).not.toContain(secret);
    const audit = await listAudit(tableOf(stack, ownContext({ tenant: TENANT, user: 'x', roles: [] })));
    // The one denial of the run: the multipart call naming another tenant's key (uploads test).
    expect(audit.records.filter((r) => !r.authorized).map((r) => r.kind)).toEqual(['crossTenantKey']);
  });
});
