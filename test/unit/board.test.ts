import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  chartPoints,
  quantile,
  type Snapshot,
  summarize,
  windowCounters,
} from '../../src/api/board/figures.js';
import { boardHeaders } from '../../src/api/board/plugin.js';
import { parsePrometheusText } from '../../src/api/board/prometheus.js';
import {
  authorizationRequestUrl,
  codeChallenge,
  exchangeCode,
  randomToken,
  readAuthorizationResponse,
} from '../../src/api/board/static/pkce.js';
import { loadConfig } from '../../src/config/index.js';

const OIDC = {
  authorizationUrl: 'https://idp.example/authorize?tenant=x',
  tokenUrl: 'https://idp.example/token',
  clientId: 'scanq-board',
  scopes: 'openid profile',
  token: 'access_token' as const,
};

describe('Module: board PKCE (src/api/board/static/pkce.js)', () => {
  it('makes verifiers of 43 base64url characters, different each time', () => {
    const a = randomToken(32);
    const b = randomToken(32);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
  });

  it("computes the S256 challenge of RFC 7636's appendix B example", async () => {
    // Prepare: the RFC's own verifier and challenge.
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    // Act / Assess
    expect(await codeChallenge(verifier)).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    const other = randomToken();
    expect(await codeChallenge(other)).toBe(createHash('sha256').update(other).digest('base64url'));
  });

  it('builds the authorization URL with every parameter, keeping the endpoint’s own query', () => {
    const url = new URL(
      authorizationRequestUrl(OIDC, {
        redirectUri: 'http://127.0.0.1:8080/board/',
        state: 'st',
        challenge: 'ch',
      }),
    );
    expect(url.origin + url.pathname).toBe('https://idp.example/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      tenant: 'x',
      response_type: 'code',
      client_id: 'scanq-board',
      redirect_uri: 'http://127.0.0.1:8080/board/',
      scope: 'openid profile',
      state: 'st',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
    });
  });

  it.each([
    ['http://h/board/?code=c1&state=s1', 's1', { code: 'c1' }],
    ['http://h/board/?code=c1&state=evil', 's1', { error: expect.stringContaining('state') }],
    ['http://h/board/?code=c1&state=s1', null, { error: expect.stringContaining('state') }],
    [
      'http://h/board/?error=access_denied&state=s1',
      's1',
      { error: expect.stringContaining('access_denied') },
    ],
    ['http://h/board/#/jobs', 's1', undefined],
  ])('reads the redirect %s (expecting state %s)', (href, state, expected) => {
    expect(readAuthorizationResponse(href, state)).toEqual(expected);
  });

  it('exchanges the code with the verifier and returns the configured token; refusals throw', async () => {
    // Prepare: a fake token endpoint recording the request.
    const seen: { url: string; body: string }[] = [];
    const fake = (answer: Response) =>
      (async (url: string | URL | Request, init?: RequestInit) => {
        seen.push({ url: String(url), body: String(init?.body) });
        return answer;
      }) as typeof fetch;
    const grant = { code: 'c1', verifier: 'v'.repeat(43), redirectUri: 'http://h/board/' };
    // Act
    const token = await exchangeCode(
      OIDC,
      grant,
      fake(Response.json({ access_token: 'at', id_token: 'it' })),
    );
    // Assess
    expect(token).toBe('at');
    expect(seen[0]?.url).toBe(OIDC.tokenUrl);
    expect(Object.fromEntries(new URLSearchParams(seen[0]?.body))).toEqual({
      grant_type: 'authorization_code',
      code: 'c1',
      redirect_uri: 'http://h/board/',
      client_id: 'scanq-board',
      code_verifier: 'v'.repeat(43),
    });
    await expect(
      exchangeCode({ ...OIDC, token: 'id_token' }, grant, fake(Response.json({ access_token: 'at' }))),
    ).rejects.toThrow(/no id_token/);
    await expect(
      exchangeCode(OIDC, grant, fake(Response.json({ error: 'invalid_grant' }, { status: 400 }))),
    ).rejects.toThrow(/invalid_grant/);
  });
});

describe('Function: parsePrometheusText', () => {
  it('reads names, labels (with escapes) and values, and skips comments and bad lines', () => {
    const text = [
      '# HELP scanq_jobs_finished_total Jobs finished',
      '# TYPE scanq_jobs_finished_total counter',
      'scanq_jobs_finished_total{tenant="acme",capability="noop",status="passed"} 3',
      'scanq_jobs_finished_total{tenant="we\\"ird",status="failed"} 1 1700000000000',
      'scanq_worker_jobs_in_flight 2',
      'scanq_job_dwell_seconds_bucket{tenant="acme",le="+Inf"} 3',
      'broken{tenant="x" 1',
      'no_value{a="b"}',
    ].join('\n');
    expect(parsePrometheusText(text)).toEqual([
      {
        name: 'scanq_jobs_finished_total',
        labels: { tenant: 'acme', capability: 'noop', status: 'passed' },
        value: 3,
      },
      { name: 'scanq_jobs_finished_total', labels: { tenant: 'we"ird', status: 'failed' }, value: 1 },
      { name: 'scanq_worker_jobs_in_flight', labels: {}, value: 2 },
      { name: 'scanq_job_dwell_seconds_bucket', labels: { tenant: 'acme', le: '+Inf' }, value: 3 },
    ]);
  });
});

describe('Module: board figures', () => {
  const snapshot = (at: number, passed: number, dwell: [number, number][], inFlight = 0): Snapshot =>
    summarize(at, [
      { name: 'scanq_jobs_finished_total', labels: { tenant: 'acme', status: 'passed' }, value: passed },
      { name: 'scanq_jobs_enqueued_total', labels: { tenant: 'acme', result: 'accepted' }, value: passed },
      { name: 'scanq_jobs_enqueued_total', labels: { tenant: 'acme', result: 'refused' }, value: 99 },
      ...dwell.map(([le, count]) => ({
        name: 'scanq_job_dwell_seconds_bucket',
        labels: { tenant: 'acme', le: le === Number.POSITIVE_INFINITY ? '+Inf' : String(le) },
        value: count,
      })),
      { name: 'scanq_worker_jobs_in_flight', labels: {}, value: inFlight },
    ]);

  it('sums counters per tenant (refused enqueues left out) and in-flight over sources', () => {
    const s = snapshot(0, 5, [], 3);
    expect(s.tenants.acme).toMatchObject({ passed: 5, enqueued: 5 });
    expect(s.inFlight).toBe(3);
  });

  it('interpolates quantiles inside the bucket, like histogram_quantile', () => {
    const buckets: [number, number][] = [
      [1, 0],
      [2, 10],
      [Number.POSITIVE_INFINITY, 10],
    ];
    expect(quantile(0.5, buckets)).toBe(1.5);
    expect(quantile(0.5, [[1, 0]])).toBeUndefined();
  });

  it('turns consecutive snapshots into rates and dwell, counting a restart from zero', () => {
    const points = chartPoints([
      snapshot(0, 10, [
        [1, 0],
        [Number.POSITIVE_INFINITY, 0],
      ]),
      snapshot(10_000, 30, [
        [1, 4],
        [Number.POSITIVE_INFINITY, 4],
      ]),
      snapshot(20_000, 5, []),
    ]);
    expect(points.map((p) => p.jobsPerSecond)).toEqual([2, 0.5]);
    expect(points[0]?.dwellP50).toBe(0.5);
    expect(points[1]?.dwellP50).toBeUndefined();
    expect(chartPoints([snapshot(0, 1, [])], 'acme')).toEqual([]);
    expect(
      windowCounters([snapshot(0, 10, []), snapshot(10_000, 30, []), snapshot(20_000, 5, [])]).acme?.passed,
    ).toBe(25);
  });
});

describe('Function: boardHeaders', () => {
  it('allows requests to this origin only, plus the token endpoint when OIDC is on', () => {
    const off = loadConfig({}).board;
    expect(boardHeaders(off)['content-security-policy']).toContain("connect-src 'self';");
    const on = loadConfig({
      SCANQ_OIDC_AUTHORIZATION_URL: OIDC.authorizationUrl,
      SCANQ_OIDC_TOKEN_URL: OIDC.tokenUrl,
      SCANQ_OIDC_CLIENT_ID: OIDC.clientId,
    }).board;
    expect(on.oidc).toMatchObject({ scopes: 'openid', token: 'access_token' });
    expect(boardHeaders(on)['content-security-policy']).toContain("connect-src 'self' https://idp.example;");
    expect(boardHeaders(on)['referrer-policy']).toBe('no-referrer');
  });

  it('refuses half an OIDC configuration, naming the variables', () => {
    expect(() => loadConfig({ SCANQ_OIDC_CLIENT_ID: 'x' })).toThrow(/SCANQ_OIDC_TOKEN_URL/);
  });
});
