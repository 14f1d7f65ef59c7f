import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, createApiServer, mintToken } from '../../src/api/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { createProducer, type Producer, signCallbackToken } from '../../src/producer/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';

const SECRET = 'api-bodies-jwt-secret-at-least-32-bytes-long';
const CALLBACK_SECRET = 'api-bodies-callback-secret-at-least-32-bytes';
const TENANT = 'fuzz';
const RUNS = 500;

type Kind = 'string' | 'number' | 'boolean' | 'array' | 'object';

/** An endpoint with a body: a valid body, its required fields, and the JSON kind of each field. */
interface Endpoint {
  readonly method: 'POST' | 'PUT';
  readonly url: string;
  readonly valid: Record<string, unknown>;
  readonly required: readonly string[];
  readonly kinds: Readonly<Record<string, Kind>>;
  /** The status the valid body gets (checked once, so every mutation is what made a body bad). */
  readonly validStatus?: number;
  /** Values of the right JSON type that break a rule (path tricks, unknown names, bounds). */
  readonly badValues?: Readonly<Record<string, readonly unknown[]>>;
  /** String fields below the top level, for the huge-string mutation. */
  readonly nested?: readonly { names: string; make: (value: string) => Record<string, unknown> }[];
}

/**
 * Shortest string over every bound of a field: 2049 is over the API's longest string bound; a job
 * target's domain bound (900 after trimming) lies below the API's 2048, so targets start at 901.
 */
function minHuge(field: string): number {
  return field === 'target' || field.endsWith('.target') ? 901 : 2_049;
}

/** Where a huge string can go: every top-level string field, and the nested ones. */
function stringSlots(e: Endpoint) {
  const top = Object.keys(e.kinds)
    .filter((field) => e.kinds[field] === 'string')
    .map((field) => ({ names: field, make: (value: string) => ({ ...e.valid, [field]: value }) }));
  return [...top, ...(e.nested ?? [])];
}

const CALLBACK_KEY = '#job#fuzz-host#noop';
const UPLOAD_KEY = `${TENANT}/uploads/2026-01-01/big.json`;
const awsKeys = { kind: 'aws-keys', accessKeyId: 'AKIAFUZZKEY000000001', secretAccessKey: 'fuzz-secret' };

function endpoints(callbackToken: string): Endpoint[] {
  return [
    {
      method: 'POST',
      url: '/v1/jobs',
      valid: { capability: 'noop', target: 'fuzz-host', input: {}, allowRepeat: true },
      required: ['capability', 'target'],
      kinds: { capability: 'string', target: 'string', input: 'object', allowRepeat: 'boolean' },
      badValues: { capability: ['nope', 'NOOP'], target: [' ', 'a#b', 'a\u0001b'], input: [{ unknown: 1 }] },
      validStatus: 202,
    },
    {
      method: 'POST',
      url: '/v1/jobs',
      valid: { jobs: [{ capability: 'noop', target: 'fuzz-batch' }] },
      required: ['jobs'],
      kinds: { jobs: 'array' },
      nested: [{ names: 'jobs[0].target', make: (target) => ({ jobs: [{ capability: 'noop', target }] }) }],
      validStatus: 202,
    },
    {
      method: 'POST',
      url: '/v1/uploads',
      valid: { name: 'a/b.json', contentType: 'application/json', expiresInSeconds: 60 },
      required: ['name'],
      kinds: { name: 'string', contentType: 'string', expiresInSeconds: 'number' },
      badValues: {
        name: ['../x', '/abs', 'a//b', '%2e%2e/x', 'a/./b', 'a\\b'],
        contentType: ['text/\u0001plain'],
        expiresInSeconds: [0, 604_801, 1.5],
      },
      validStatus: 201,
    },
    {
      method: 'POST',
      url: '/v1/uploads/multipart/parts',
      valid: { key: UPLOAD_KEY, uploadId: 'u-1', partNumbers: [1, 2] },
      required: ['key', 'uploadId', 'partNumbers'],
      kinds: { key: 'string', uploadId: 'string', partNumbers: 'array', expiresInSeconds: 'number' },
      badValues: {
        key: [
          'other/uploads/2026-01-01/x.json',
          `${TENANT}/../x/2026-01-01/y`,
          `${TENANT}/uploads/not-a-day/x`,
          `${TENANT}/nope/2026-01-01/x`,
        ],
        partNumbers: [[0], [10_001], []],
      },
      validStatus: 200,
    },
    {
      method: 'POST',
      url: '/v1/uploads/multipart/complete',
      valid: { key: UPLOAD_KEY, uploadId: 'u-1', parts: [{ partNumber: 1, etag: '"e"' }] },
      required: ['key', 'uploadId', 'parts'],
      kinds: { key: 'string', uploadId: 'string', parts: 'array' },
      badValues: {
        key: [`/${UPLOAD_KEY}`, `${TENANT}%2f..%2fother/uploads/2026-01-01/x`],
        parts: [[], [{ partNumber: 1 }]],
      },
    },
    {
      method: 'POST',
      url: '/v1/providers',
      valid: { name: 'aws', description: 'main cloud' },
      required: ['name'],
      kinds: { name: 'string', description: 'string' },
      badValues: { name: ['gcp', 'AWS'] },
      validStatus: 201,
    },
    {
      method: 'POST',
      url: '/v1/accounts',
      valid: { provider: 'aws', accountId: '123456789012', name: 'prod', credentials: awsKeys },
      required: ['provider', 'accountId', 'credentials'],
      kinds: { provider: 'string', accountId: 'string', name: 'string', credentials: 'object' },
      badValues: {
        accountId: ['12345', 'abcdefghijkl', '1234567890123'],
        credentials: [
          { kind: 'nope' },
          { ...awsKeys, accessKeyId: 'short' },
          { kind: 'aws-role', roleArn: 'not-an-arn' },
        ],
      },
    },
    {
      method: 'PUT',
      url: '/v1/accounts/123456789012/credentials',
      valid: { credentials: awsKeys },
      required: ['credentials'],
      kinds: { credentials: 'object' },
      nested: [
        {
          names: 'credentials.secretAccessKey',
          make: (secretAccessKey) => ({ credentials: { ...awsKeys, secretAccessKey } }),
        },
      ],
    },
    {
      method: 'POST',
      url: '/v1/schedules',
      valid: { capability: 'noop', targets: ['a.example.com'], interval: '1h', enabled: false },
      required: ['capability', 'targets'],
      kinds: { capability: 'string', targets: 'array', interval: 'string', enabled: 'boolean' },
      badValues: {
        capability: ['nope'],
        targets: [[], [' '], ['a#b']],
        interval: ['30s', 'forever', '400d'],
      },
      validStatus: 201,
    },
    {
      method: 'PUT',
      url: `/v1/tenants/${TENANT}`,
      valid: { name: 'Fuzz', limits: { maxInFlight: 5 }, allowedScopes: ['10.0.0.0/8'], authorizedUsers: [] },
      required: ['name'],
      kinds: { name: 'string', limits: 'object', allowedScopes: 'array', authorizedUsers: 'array' },
      badValues: {
        name: [''],
        limits: [{ maxInFlight: 0 }, { ratePerSecond: -1 }, { extra: 1 }],
        allowedScopes: [['not a scope!'], ['10.0.0.0/99']],
        authorizedUsers: [['has space']],
      },
      validStatus: 200,
    },
    {
      method: 'POST',
      url: `/v1/jobs/${encodeURIComponent(CALLBACK_KEY)}/return?token=${callbackToken}`,
      valid: { status: 'failed', error: 'scanner down' },
      required: [],
      kinds: { status: 'string', error: 'string' },
      badValues: { status: ['weird', 'DONE'] },
      validStatus: 410,
    },
  ];
}

/** A JSON value of any kind but `kind`. */
function otherThan(kind: Kind): fc.Arbitrary<unknown> {
  const all: Record<Kind, fc.Arbitrary<unknown>> = {
    string: fc.string({ maxLength: 20 }),
    number: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
    boolean: fc.boolean(),
    array: fc.array(fc.integer(), { maxLength: 3 }),
    object: fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
  };
  return fc.oneof(fc.constant(null), ...Object.entries(all).flatMap(([k, arb]) => (k === kind ? [] : [arb])));
}

/** A request body that must be refused, and the field the refusal must name (or `(body)`). */
interface BadBody {
  readonly endpoint: number;
  readonly payload: string;
  readonly names: string;
  readonly how: string;
}

function badBodies(list: readonly Endpoint[]): fc.Arbitrary<BadBody> {
  return fc.integer({ min: 0, max: list.length - 1 }).chain((i) => {
    const e = list[i] as Endpoint;
    const fields = Object.keys(e.kinds);
    const body = (value: Record<string, unknown>) => JSON.stringify(value);
    const mutations: fc.Arbitrary<BadBody>[] = [
      fc.constantFrom(...fields).chain((field) =>
        otherThan(e.kinds[field] as Kind).map((value) => ({
          endpoint: i,
          payload: body({ ...e.valid, [field]: value }),
          names: field,
          how: 'wrong type',
        })),
      ),
      fc.constantFrom(...stringSlots(e)).chain((slot) =>
        fc
          .oneof(
            fc.integer({ min: minHuge(slot.names), max: 4_096 }),
            fc.integer({ min: 4_096, max: 300_000 }),
          )
          .map((length) => ({
            endpoint: i,
            payload: body(slot.make('x'.repeat(length))),
            names: slot.names,
            how: 'huge string',
          })),
      ),
      fc
        .string({ minLength: 1, maxLength: 30 })
        .filter((key) => !fields.includes(key) && key !== '__proto__')
        .map((key) => ({
          endpoint: i,
          payload: body({ ...e.valid, [key]: 1 }),
          names: key.slice(0, 200),
          how: 'unknown field',
        })),
      fc
        .string({ maxLength: 40 })
        .filter((text) => {
          try {
            JSON.parse(text);
            return false;
          } catch {
            return true;
          }
        })
        .map((text) => ({ endpoint: i, payload: text, names: '(body)', how: 'bad JSON' })),
      fc
        .oneof(
          fc.integer(),
          fc.string({ maxLength: 10 }),
          fc.constant(null),
          fc.array(fc.integer(), { maxLength: 3 }),
        )
        .map((value) => ({
          endpoint: i,
          payload: JSON.stringify(value),
          names: '(body)',
          how: 'not an object',
        })),
    ];
    const bad = Object.entries(e.badValues ?? {}).flatMap(([field, values]) =>
      values.map((value) => ({ field, value })),
    );
    if (bad.length > 0) {
      mutations.push(
        fc.constantFrom(...bad).map(({ field, value }) => ({
          endpoint: i,
          payload: body({ ...e.valid, [field]: value }),
          names: field,
          how: 'bad value',
        })),
      );
    }
    if (e.required.length > 0) {
      mutations.push(
        fc.constantFrom(...e.required).map((field) => {
          const { [field]: _gone, ...rest } = e.valid;
          return { endpoint: i, payload: body(rest), names: field, how: 'missing field' };
        }),
      );
    }
    return fc.oneof(...mutations);
  });
}

describe('Function: request validation (generated bad bodies)', () => {
  let stack: TestStack;
  let producer: Producer;
  let server: ApiServer;
  let list: Endpoint[];
  let headers: Record<string, string>;

  beforeAll(async () => {
    stack = await createTestStack('apibody', {
      env: {
        SCANQ_JWT_SECRET: SECRET,
        SCANQ_CALLBACK_SECRET: CALLBACK_SECRET,
        SCANQ_API_RATE_LIMIT: '100000',
      },
    });
    const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
    producer = await createProducer(stack.config, { clients: stack.clients, log });
    server = await createApiServer(stack.config, {
      clients: stack.clients,
      producer,
      log,
      queueUrl: stack.report.queueUrl,
    });
    const token = await mintToken({
      secret: SECRET,
      tenant: TENANT,
      sub: 'fuzzer',
      roles: ['admin'],
      ttlMs: 600_000,
    });
    headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    // A tenant exists (its profile) before anything is stored for it.
    const profile = await server.app.inject({
      method: 'PUT',
      url: `/v1/tenants/${TENANT}`,
      headers,
      payload: JSON.stringify({ name: 'Fuzz' }),
    });
    expect(profile.statusCode).toBe(200);
    const claims = {
      tenant: TENANT,
      key: CALLBACK_KEY,
      asyncRef: 'r',
      outputKey: 'o',
      exp: Math.floor(Date.now() / 1000) + 600,
    };
    list = endpoints(signCallbackToken(CALLBACK_SECRET, claims));
  });

  afterAll(async () => {
    await server?.close();
    producer?.close();
    await destroyTestStack(stack);
  });

  it('accepts the valid body of each endpoint (so each mutation below is what breaks it)', async () => {
    for (const e of list.filter((x) => x.validStatus !== undefined)) {
      const response = await server.app.inject({
        method: e.method,
        url: e.url,
        headers,
        payload: JSON.stringify(e.valid),
      });
      expect(response.statusCode, `${e.method} ${e.url}: ${response.body}`).toBe(e.validStatus);
    }
  });

  it(`answers ${RUNS} generated bad bodies with 400 and the fields at fault, never 500`, async () => {
    const seen: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(badBodies(list), async (bad) => {
        const e = list[bad.endpoint] as Endpoint;
        const response = await server.app.inject({
          method: e.method,
          url: e.url,
          headers,
          payload: bad.payload,
        });
        seen[bad.how] = (seen[bad.how] ?? 0) + 1;
        const body = response.json() as {
          error: { code: string; message: string; fields?: { field: string; message: string }[] };
          requestId: string;
        };
        const context = `${bad.how} on ${e.method} ${e.url}: ${response.body.slice(0, 500)}`;
        expect(response.statusCode, context).toBe(400);
        expect(body.requestId, context).toBe(response.headers['x-request-id']);
        expect(body.error.code, context).toMatch(/^[a-z]+\.[A-Za-z]+$/);
        expect(body.error.fields?.length, context).toBeGreaterThan(0);
        for (const f of body.error.fields ?? []) {
          expect(f.field.length, context).toBeGreaterThan(0);
          expect(f.message.length, context).toBeGreaterThan(0);
        }
        const named = (body.error.fields ?? []).some(
          (f) =>
            f.field === bad.names ||
            f.field.startsWith(`${bad.names}.`) ||
            f.field.startsWith(`${bad.names}[`),
        );
        expect(named, `${context}\nexpected a field naming ${bad.names}`).toBe(true);
        // A refusal never echoes a huge value back.
        expect(response.body.length, context).toBeLessThan(5_000);
      }),
      { numRuns: RUNS },
    );
    process.stdout.write(`bad bodies by kind: ${JSON.stringify(seen)}\n`);
    expect(Object.keys(seen).sort()).toEqual([
      'bad JSON',
      'bad value',
      'huge string',
      'missing field',
      'not an object',
      'unknown field',
      'wrong type',
    ]);
  });
});
