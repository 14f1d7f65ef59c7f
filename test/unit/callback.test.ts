import { createHmac } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { callbackUrl, createExternalCapability, outputName } from '../../src/jobs/capabilities/external.js';
import { findingRecords, parseNucleiJsonl } from '../../src/jobs/capabilities/nuclei.js';
import type { Emit, RunContext } from '../../src/jobs/index.js';
import {
  acceptReturn,
  CallbackBodyError,
  type CallbackClaims,
  ExpiredTokenError,
  ForgedTokenError,
  MalformedTokenError,
  type Producer,
  refusalOf,
  signCallbackToken,
  verifyCallbackToken,
  WeakSecretError,
} from '../../src/producer/index.js';
import { systemContext, TenantFiles, TenantTable } from '../../src/tenancy/index.js';

const SECRET = 'a-callback-secret-of-at-least-32-bytes';
const NOW = new Date('2030-01-01T00:00:00.000Z');
const CLAIMS: CallbackClaims = {
  tenant: 'acme',
  key: '#job#https://app.example.com/#external',
  asyncRef: 'ext-1',
  outputKey: 'acme/evidence/2030-01-01/external/abc/ext-1.jsonl',
  exp: Math.floor(NOW.getTime() / 1000) + 3600,
};

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const sign = (payload: string, secret = SECRET) =>
  `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;

describe('Function: verifyCallbackToken', () => {
  const token = signCallbackToken(SECRET, CLAIMS);
  const [payload = '', signature = ''] = token.split('.');

  it('returns the claims of a token it signed', () => {
    expect(verifyCallbackToken(SECRET, token, NOW)).toEqual(CLAIMS);
  });

  it.each([
    { name: 'signed with another secret', token: signCallbackToken(`${SECRET}-other`, CLAIMS) },
    {
      name: 'payload altered',
      token: `${b64(JSON.stringify({ v: 1, ...CLAIMS, tenant: 'evil' }))}.${signature}`,
    },
    { name: 'signature altered', token: `${payload}.${signature.slice(0, -2)}AA` },
    { name: 'signature truncated', token: `${payload}.${signature.slice(0, 20)}` },
    {
      name: 'claims of another job',
      token: `${signCallbackToken(SECRET, { ...CLAIMS, key: '#job#x#external' }).split('.')[0]}.${signature}`,
    },
  ])('refuses a forged token: $name', ({ token: forged }) => {
    expect(() => verifyCallbackToken(SECRET, forged, NOW)).toThrow(ForgedTokenError);
  });

  it.each([
    { name: 'exp in the past', exp: CLAIMS.exp - 7200 },
    { name: 'exp exactly now', exp: Math.floor(NOW.getTime() / 1000) },
  ])('refuses an expired token: $name', ({ exp }) => {
    const expired = signCallbackToken(SECRET, { ...CLAIMS, exp });
    expect(() => verifyCallbackToken(SECRET, expired, NOW)).toThrow(ExpiredTokenError);
  });

  it.each([
    { name: 'missing', token: undefined },
    { name: 'not a string', token: 42 },
    { name: 'empty', token: '' },
    { name: 'one part', token: 'abc' },
    { name: 'three parts', token: 'a.b.c' },
    { name: 'empty signature', token: `${payload}.` },
    { name: 'empty payload', token: `.${signature}` },
    { name: 'not base64url', token: `${payload}+/.${signature}` },
    { name: 'too long', token: `${'a'.repeat(5000)}.${signature}` },
    { name: 'signed non-JSON', token: sign(b64('not json')) },
    {
      name: 'signed JSON without tenant',
      token: sign(b64(JSON.stringify({ v: 1, ...CLAIMS, tenant: undefined }))),
    },
    { name: 'signed with an unknown version', token: sign(b64(JSON.stringify({ ...CLAIMS, v: 2 }))) },
    {
      name: 'signed with an extra claim',
      token: sign(b64(JSON.stringify({ v: 1, ...CLAIMS, admin: true }))),
    },
  ])('refuses a malformed token: $name', ({ token: bad }) => {
    expect(() => verifyCallbackToken(SECRET, bad, NOW)).toThrow(MalformedTokenError);
  });

  it('checks the signature before it parses the payload', () => {
    expect(() => verifyCallbackToken(SECRET, sign(b64('not json'), `${SECRET}-other`), NOW)).toThrow(
      ForgedTokenError,
    );
  });

  it('refuses a secret shorter than 32 bytes, to sign and to verify', () => {
    expect(() => signCallbackToken('short', CLAIMS)).toThrow(WeakSecretError);
    expect(() => verifyCallbackToken('x'.repeat(31), token, NOW)).toThrow(WeakSecretError);
  });

  it('gives every refusal a stable code', () => {
    const codeOf = (bad: unknown) => {
      try {
        verifyCallbackToken(SECRET, bad, NOW);
        return undefined;
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    expect([
      codeOf('x'),
      codeOf(`${payload}.${signature}x`),
      codeOf(signCallbackToken(SECRET, { ...CLAIMS, exp: 1 })),
    ]).toEqual(['callback.malformed', 'callback.forged', 'callback.expired']);
  });
});

/** A producer whose `returnAsync` answers as told and records its calls. */
function fakeProducer(storedStatus?: string) {
  const calls: unknown[][] = [];
  const producer: Pick<Producer, 'returnAsync'> = {
    async returnAsync(ctx, key, asyncRef, returned) {
      calls.push([ctx, key, asyncRef, returned]);
      const ids = { key, capability: 'external', target: 't' };
      return storedStatus === undefined
        ? { accepted: true, ...ids, status: 'JQA#x', rule: 'asyncReturning', enqueued: true }
        : { accepted: false, ...ids, reason: 'notReturnable', storedStatus };
    },
  };
  return { producer, calls };
}

describe('Function: acceptReturn', () => {
  it('re-inserts the job as system:callback in the token tenant, with the output pointer', async () => {
    const { producer, calls } = fakeProducer();
    const answer = await acceptReturn(producer, CLAIMS, { status: 'done' }, { pathKey: CLAIMS.key });
    expect(answer.outcome).toBe('accepted');
    expect(calls).toEqual([
      [
        expect.objectContaining({ tenant: 'acme', user: 'system:callback', via: 'system' }),
        CLAIMS.key,
        'ext-1',
        { outputKey: CLAIMS.outputKey, asyncRef: 'ext-1', scannerStatus: 'done' },
      ],
    ]);
  });

  it('passes a scanner failure on, and reads an empty body as done', async () => {
    const failed = fakeProducer();
    await acceptReturn(failed.producer, CLAIMS, { status: 'failed', error: 'boom' });
    expect(failed.calls[0]?.[3]).toMatchObject({ scannerStatus: 'failed', scannerError: 'boom' });
    const empty = fakeProducer();
    await acceptReturn(empty.producer, CLAIMS, undefined);
    expect(empty.calls[0]?.[3]).toMatchObject({ scannerStatus: 'done' });
  });

  it.each([
    { name: 'unknown field', body: { status: 'done', tenant: 'evil' }, field: '(body)' },
    { name: 'bad status', body: { status: 'maybe' }, field: 'status' },
    { name: 'huge error', body: { status: 'failed', error: 'x'.repeat(1001) }, field: 'error' },
    { name: 'not an object', body: 'done', field: '(body)' },
  ])('refuses a bad body ($name) before touching the job', async ({ body, field }) => {
    const { producer, calls } = fakeProducer();
    const error = await acceptReturn(producer, CLAIMS, body).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallbackBodyError);
    expect((error as CallbackBodyError).issues[0]?.field).toBe(field);
    expect(calls).toHaveLength(0);
  });

  it('refuses a token for another job than the URL names', async () => {
    const { producer, calls } = fakeProducer();
    await expect(
      acceptReturn(producer, CLAIMS, {}, { pathKey: '#job#other#external' }),
    ).rejects.toMatchObject({
      code: 'callback.keyMismatch',
    });
    expect(calls).toHaveLength(0);
  });

  it.each([
    { stored: 'JR#2030-01-01T00:00:00.000Z', outcome: 'notYet' },
    { stored: 'JQA#2030-01-01T00:00:00.000Z', outcome: 'duplicate' },
    { stored: 'JP#2030-01-01T00:00:00.000Z', outcome: 'rejected' },
    { stored: 'JF#2030-01-01T00:00:00.000Z', outcome: 'rejected' },
    { stored: 'JRA#2030-01-01T00:00:00.000Z', outcome: 'rejected' },
    { stored: 'JQ#2030-01-01T00:00:00.000Z', outcome: 'rejected' },
  ])('answers $outcome when the job is $stored', async ({ stored, outcome }) => {
    expect(refusalOf(stored)).toBe(outcome);
    expect((await acceptReturn(fakeProducer(stored).producer, CLAIMS, {})).outcome).toBe(outcome);
  });
});

describe('Function: parseNucleiJsonl', () => {
  const line = (fields: Record<string, unknown>) => JSON.stringify(fields);
  const ok = {
    'template-id': 'git-config',
    info: { name: 'Git config', severity: 'high' },
    host: 'app.example.com',
  };

  it.each([
    {
      name: 'a full line',
      text: line({ ...ok, 'matched-at': 'https://app.example.com/.git/config' }),
      host: 'app.example.com',
      severity: 'high',
    },
    {
      name: 'host with port',
      text: line({ ...ok, host: 'App.Example.com:8443' }),
      host: 'app.example.com',
      severity: 'high',
    },
    {
      name: 'host as URL',
      text: line({ ...ok, host: 'https://10.0.0.5:8443/x' }),
      host: '10.0.0.5',
      severity: 'high',
    },
    {
      name: 'IPv6 URL',
      text: line({ ...ok, host: 'http://[2001:db8::1]:80/' }),
      host: '2001:db8::1',
      severity: 'high',
    },
    {
      name: 'host from matched-at',
      text: line({ ...ok, host: undefined, 'matched-at': 'http://b.example.com/' }),
      host: 'b.example.com',
      severity: 'high',
    },
    {
      name: 'unknown severity is info',
      text: line({ ...ok, info: { severity: 'unknown' } }),
      host: 'app.example.com',
      severity: 'info',
    },
    {
      name: 'severity case',
      text: line({ ...ok, info: { severity: 'CRITICAL' } }),
      host: 'app.example.com',
      severity: 'critical',
    },
  ])('reads $name', ({ text, host, severity }) => {
    const parsed = parseNucleiJsonl(text);
    expect(parsed).toMatchObject({ lines: 1, badLines: 0 });
    expect(parsed.findings[0]).toMatchObject({ templateId: 'git-config', host, severity });
  });

  it.each([
    { name: 'not JSON', text: '{nope', reason: 'not JSON' },
    { name: 'an array', text: '[1]', reason: 'not a JSON object' },
    {
      name: 'no template id',
      text: line({ ...ok, 'template-id': undefined }),
      reason: 'template-id missing or invalid',
    },
    {
      name: 'a # in the template id',
      text: line({ ...ok, 'template-id': 'a#b' }),
      reason: 'template-id missing or invalid',
    },
    {
      name: 'bad severity',
      text: line({ ...ok, info: { severity: 'severe' } }),
      reason: expect.stringMatching(/severity/),
    },
    { name: 'no host', text: line({ ...ok, host: undefined }), reason: expect.stringMatching(/host/) },
    {
      name: 'a CIDR for a host',
      text: line({ ...ok, host: '10.0.0.0/8' }),
      reason: expect.stringMatching(/host/),
    },
    {
      name: 'a huge line',
      text: line({ ...ok, pad: 'x'.repeat(300_000) }),
      reason: expect.stringMatching(/longer than/),
    },
  ])('counts a bad line: $name', ({ text, reason }) => {
    const parsed = parseNucleiJsonl(`${line(ok)}\n\n${text}\n`);
    expect(parsed).toMatchObject({ lines: 2, badLines: 1, badSamples: [{ line: 3, reason }] });
    expect(parsed.findings).toHaveLength(1);
  });

  it('keeps 20 samples of bad lines but counts them all', () => {
    const parsed = parseNucleiJsonl(Array(50).fill('x').join('\n'));
    expect(parsed).toMatchObject({ lines: 50, badLines: 50 });
    expect(parsed.badSamples).toHaveLength(20);
  });
});

describe('Function: findingRecords', () => {
  it('gives one asset per host and one risk per host and template, with the highest severity and bounded matches', () => {
    const findings = [
      ...Array.from({ length: 25 }, (_, i) => ({
        templateId: 'exposed-panel',
        name: 'Panel',
        severity: 'low' as const,
        host: 'a.example.com',
        matchedAt: `https://a.example.com/p${i}`,
      })),
      { templateId: 'exposed-panel', name: 'Panel', severity: 'medium' as const, host: 'a.example.com' },
      { templateId: 'exposed-panel', name: 'Panel', severity: 'low' as const, host: 'b.example.com' },
    ];
    const { assets, risks } = findingRecords(findings, 'acme/evidence/2030-01-01/x.jsonl');
    expect(assets.map((a) => a.value)).toEqual(['a.example.com', 'b.example.com']);
    expect(risks).toHaveLength(2);
    expect(risks[0]).toMatchObject({
      asset: { type: 'host', value: 'a.example.com' },
      name: 'exposed-panel',
      severity: 'medium',
    });
    expect(risks[0]?.evidence).toMatchObject({ matches: 26, output: 'acme/evidence/2030-01-01/x.jsonl' });
    expect((risks[0]?.evidence as { matchedAt?: string[] } | undefined)?.matchedAt).toHaveLength(20);
  });
});

const noop = () => {};
const emit: Emit = { asset: noop, risk: noop };

function runContext(target: string): RunContext {
  const ctx = systemContext('acme', 'test');
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' }),
  );
  return {
    tenant: 'acme',
    key: `#job#${target}#external`,
    target,
    attempt: 1,
    signal: new AbortController().signal,
    files: new TenantFiles(
      { s3, buckets: { results: 'r', uploads: 'u', quarantine: 'q' }, now: () => NOW },
      ctx,
    ),
    table: new TenantTable({ doc, tableName: 't' }, ctx),
    aws: { region: 'us-east-1', endpoints: {} },
    scope: { allowLoopback: false, allowedScopes: [] },
    log: { info: noop, warn: noop, debug: noop },
    publish: async () => {},
  };
}

const SETTINGS = {
  scannerUrl: 'http://scanner.internal/scan',
  callbackBaseUrl: 'https://api.example.com/',
  callbackSecret: SECRET,
  deadlineMs: 3_600_000,
};

/** The capability with a fetch that answers `status` (or throws) and records what it was sent. */
function capability(answer: number | Error, settings = SETTINGS) {
  const sent: { url: string; body: Record<string, unknown> }[] = [];
  const checked: string[] = [];
  const external = createExternalCapability({
    settings: () => settings,
    now: () => NOW,
    checkTarget: async (host) => {
      checked.push(host);
    },
    fetch: async (url, init) => {
      sent.push({ url: String(url), body: JSON.parse(String(init?.body)) as Record<string, unknown> });
      if (answer instanceof Error) throw answer;
      return new Response(null, { status: answer });
    },
  });
  return { external, sent, checked };
}

describe('Capability: external', () => {
  it('hands off with a signed callback URL and a presigned evidence upload', async () => {
    const { external, sent, checked } = capability(202);
    const ctx = runContext('https://app.example.com/');
    const outcome = await external.run(ctx, { templates: ['cves'] }, emit);
    expect(outcome).toMatchObject({
      kind: 'handoff',
      deadlineMs: 3_600_000,
      asyncRef: expect.stringMatching(/^ext-/),
    });
    const asyncRef = outcome.kind === 'handoff' ? outcome.asyncRef : '';
    expect(checked).toEqual(['app.example.com']);
    expect(sent).toHaveLength(1);
    const body = sent[0]?.body ?? {};
    expect(sent[0]?.url).toBe(SETTINGS.scannerUrl);
    expect(body).toMatchObject({
      target: 'https://app.example.com/',
      asyncRef,
      templates: ['cves'],
      deadline: '2030-01-01T01:00:00.000Z',
    });
    const callback = new URL(String(body.callbackUrl));
    expect(callback.origin + callback.pathname).toBe(
      `https://api.example.com/v1/jobs/${encodeURIComponent(ctx.key)}/return`,
    );
    const claims = verifyCallbackToken(SECRET, callback.searchParams.get('token'), NOW);
    expect(claims).toEqual({
      tenant: 'acme',
      key: ctx.key,
      asyncRef,
      outputKey: `acme/evidence/2030-01-01/${outputName(ctx.key, asyncRef)}`,
      exp: Math.floor(NOW.getTime() / 1000) + 3600,
    });
    const output = new URL(String(body.outputUrl));
    expect(decodeURIComponent(output.pathname)).toBe(`/r/${claims.outputKey}`);
    expect(output.searchParams.get('X-Amz-Expires')).toBe('3600');
  });

  it.each([
    { answer: 400, error: { code: 'external.refused' }, kind: 'PermanentError' },
    { answer: 404, error: { code: 'external.refused' }, kind: 'PermanentError' },
    { answer: 429, error: { code: 'external.busy' }, kind: 'TransientError' },
    { answer: 503, error: { code: 'external.busy' }, kind: 'TransientError' },
    {
      answer: new TypeError('fetch failed'),
      error: { code: 'external.unreachable' },
      kind: 'TransientError',
    },
  ])('turns a scanner answer of $answer into a $kind', async ({ answer, error, kind }) => {
    const { external } = capability(answer);
    const thrown = await external.run(runContext('app.example.com'), {}, emit).catch((e: unknown) => e);
    expect(thrown).toMatchObject(error);
    expect((thrown as Error).name).toBe(kind);
  });

  it('fails at once, without a hand-off, when it is not configured', async () => {
    const { external, sent } = capability(202, {
      ...SETTINGS,
      callbackSecret: undefined,
    } as unknown as typeof SETTINGS);
    await expect(external.run(runContext('app.example.com'), {}, emit)).rejects.toMatchObject({
      code: 'external.notConfigured',
    });
    expect(sent).toHaveLength(0);
  });

  it.each([
    { name: 'not a callback result', returned: { verdict: 'clean' }, code: 'external.badReturn' },
    {
      name: 'scanner failed',
      returned: {
        outputKey: 'acme/evidence/2030-01-01/x',
        asyncRef: 'ext-1',
        scannerStatus: 'failed',
        scannerError: 'boom',
      },
      code: 'external.scannerFailed',
    },
    {
      name: 'output of another tenant',
      returned: { outputKey: 'other/evidence/2030-01-01/x', asyncRef: 'ext-1', scannerStatus: 'done' },
      code: 'external.badReturn',
    },
  ])('fails the completion when the return is unusable: $name', async ({ returned, code }) => {
    const { external } = capability(202);
    await expect(
      external.complete?.(runContext('app.example.com'), {}, returned, emit),
    ).rejects.toMatchObject({ code });
  });

  it('builds the callback URL with the key encoded and one slash', () => {
    expect(callbackUrl('https://api.example.com//', '#job#a/b#external', 'T')).toBe(
      'https://api.example.com/v1/jobs/%23job%23a%2Fb%23external/return?token=T',
    );
  });
});
