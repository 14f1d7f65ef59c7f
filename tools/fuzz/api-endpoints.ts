/**
 * The endpoints the API fuzzer sends bodies to: a valid body for each, and what the generators
 * need to break it (field kinds, required fields, string bounds, strict objects, values of the
 * right type that break a rule). Pure.
 */
import { type Fragment, type JsonValue, objOf, render } from './fragment.js';
import type { Kind } from './values.js';

export type Expect = 'reject' | 'any';

/** A body mutation before it is bound to an endpoint. */
export interface Mutation {
  readonly kind: string;
  /** Where it went: a field name, `(body)`, `jobs[2].target`. */
  readonly field: string;
  /** `reject`: must get a 4xx. `any`: may be accepted, never a 5xx. */
  readonly expect: Expect;
  readonly body: Fragment;
  /** Content type to send instead of `application/json` (`''`: none). */
  readonly contentType?: string;
}

export type EndpointName = 'job' | 'jobBatch' | 'upload' | 'account' | 'schedule' | 'tenant';

export interface EndpointSpec {
  readonly name: EndpointName;
  readonly method: 'POST' | 'PUT';
  /** `{tenant}` is replaced by the fuzzed tenant. */
  readonly path: string;
  readonly valid: Fragment;
  /** `valid` rendered (truncations and trailing garbage start from it). */
  readonly validText: string;
  readonly kinds: Readonly<Record<string, Kind>>;
  readonly required: readonly string[];
  /** String fields, and the shortest run of `x` each refuses. */
  readonly bounds: Readonly<Record<string, number>>;
  /** Object fields, and whether they refuse unknown keys (false: unknown keys are dropped). */
  readonly objects: Readonly<Record<string, boolean>>;
  readonly badValues: Readonly<Record<string, readonly JsonValue[]>>;
}

/** The tenant profile the run sets first; rejected PUTs must leave it as it is. */
export const TENANT_PROFILE: Readonly<Record<string, JsonValue>> = {
  name: 'Fuzz',
  // High, so accepted profile writes never rate-limit the run itself.
  limits: { maxInFlight: 5, ratePerSecond: 100_000 },
  allowedScopes: ['10.0.0.0/8'],
  authorizedUsers: [],
};

const AWS_KEYS = { kind: 'aws-keys', accessKeyId: 'AKIAFUZZKEY000000001', secretAccessKey: 'fuzz-secret' };

function spec(s: Omit<EndpointSpec, 'validText'>): EndpointSpec {
  return { ...s, validText: render(s.valid) };
}

const job = spec({
  name: 'job',
  method: 'POST',
  path: '/v1/jobs',
  valid: objOf({ capability: 'noop', target: 'fuzz-host', input: {}, allowRepeat: true }),
  kinds: { capability: 'string', target: 'string', input: 'object', allowRepeat: 'boolean' },
  required: ['capability', 'target'],
  // A target's normalized bound (900) lies below the API's 2048.
  bounds: { capability: 65, target: 901 },
  objects: { input: true },
  badValues: {
    capability: ['nope', 'NOOP', '', 'no op'],
    target: [' ', 'a#b', 'a\u0001b', ''],
    input: [{ unknown: 1 }, { sleepMs: -1 }, { sleepMs: 1.5 }, { sleepMs: 60_001 }],
  },
});
const jobBatch = spec({
  name: 'jobBatch',
  method: 'POST',
  path: '/v1/jobs',
  valid: objOf({ jobs: [{ capability: 'noop', target: 'fuzz-batch' }] }),
  kinds: { jobs: 'array' },
  required: ['jobs'],
  bounds: {},
  objects: {},
  badValues: { jobs: [[], [{}], [{ capability: 'noop' }]] },
});
const upload = spec({
  name: 'upload',
  method: 'POST',
  path: '/v1/uploads',
  valid: objOf({ name: 'fuzz/a.json', contentType: 'application/json', expiresInSeconds: 60 }),
  kinds: { name: 'string', contentType: 'string', expiresInSeconds: 'number' },
  required: ['name'],
  bounds: { name: 257, contentType: 256 },
  objects: {},
  badValues: {
    name: ['../x', '/abs', 'a//b', '%2e%2e/x', 'a/./b', 'a\\b', '', 'a\u0000b'],
    contentType: ['text/\u0001plain', ''],
    expiresInSeconds: [0, 604_801, 1.5, -1],
  },
});
const account = spec({
  name: 'account',
  method: 'POST',
  path: '/v1/accounts',
  valid: objOf({ provider: 'aws', accountId: '123456789012', name: 'prod', credentials: AWS_KEYS }),
  kinds: { provider: 'string', accountId: 'string', name: 'string', credentials: 'object' },
  required: ['provider', 'accountId', 'credentials'],
  bounds: { provider: 4, accountId: 13, name: 201 },
  objects: { credentials: false },
  badValues: {
    provider: ['gcp', 'AWS', ''],
    accountId: ['12345', 'abcdefghijkl', '1234567890123', ''],
    credentials: [
      { kind: 'nope' },
      { ...AWS_KEYS, accessKeyId: 'short' },
      { kind: 'aws-role', roleArn: 'not-an-arn' },
      {},
    ],
  },
});
const schedule = spec({
  name: 'schedule',
  method: 'POST',
  path: '/v1/schedules',
  valid: objOf({ capability: 'noop', targets: ['a.example.com'], input: {}, interval: '1h', enabled: false }),
  kinds: {
    capability: 'string',
    targets: 'array',
    input: 'object',
    interval: 'string',
    enabled: 'boolean',
  },
  required: ['capability', 'targets'],
  bounds: { capability: 65, interval: 33 },
  objects: { input: true },
  badValues: {
    capability: ['nope', ''],
    targets: [[], [' '], ['a#b'], [1]],
    interval: ['30s', 'forever', '400d', ''],
    input: [{ unknown: 1 }],
  },
});
const tenant = spec({
  name: 'tenant',
  method: 'PUT',
  path: '/v1/tenants/{tenant}',
  valid: objOf(TENANT_PROFILE),
  kinds: { name: 'string', limits: 'object', allowedScopes: 'array', authorizedUsers: 'array' },
  required: ['name'],
  bounds: { name: 201 },
  objects: { limits: true },
  badValues: {
    name: ['', '   '],
    limits: [{ maxInFlight: 0 }, { ratePerSecond: -1 }, { extra: 1 }],
    allowedScopes: [['not a scope!'], ['10.0.0.0/99']],
    authorizedUsers: [['has space']],
  },
});

export const ENDPOINTS: Readonly<Record<EndpointName, EndpointSpec>> = {
  job,
  jobBatch,
  upload,
  account,
  schedule,
  tenant,
};
