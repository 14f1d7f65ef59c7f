import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type AssetRecord,
  type CapabilityDefinition,
  createHttpProbe,
  createPortscan,
  httpProbe,
  normalizeTarget,
  portscan,
  type Resolver,
  type RiskRecord,
  type RunContext,
  resolveTarget,
  sleep,
  type TargetScope,
} from '../../src/jobs/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { systemContext, TenantFiles, TenantTable } from '../../src/tenancy/index.js';
import { LocalServers } from '../helpers/local-servers.js';
import { selfSignedCertificate } from '../helpers/x509.js';

const LOOPBACK: TargetScope = { allowLoopback: true, allowedScopes: [] };
const DAY = 86_400_000;
// The capabilities never touch the tenant's table or files here: clients that are never called.
const dynamo = new DynamoDBClient({ region: 'us-east-1' });
const s3 = new S3Client({ region: 'us-east-1' });
const tenant = systemContext('net-tests', 'test');
const log = createLogger({ level: 'silent' });

function runContext(
  target: string,
  scope: TargetScope = LOOPBACK,
  signal = new AbortController().signal,
): RunContext {
  return {
    tenant: tenant.tenant,
    key: `#job#${target}#test`,
    target,
    attempt: 1,
    signal,
    files: new TenantFiles({ s3, buckets: { results: 'r', uploads: 'u', quarantine: 'q' } }, tenant),
    table: new TenantTable({ doc: DynamoDBDocumentClient.from(dynamo), tableName: 'unused' }, tenant),
    aws: { region: 'us-east-1', endpoints: {} },
    scope,
    log,
    publish: async () => {},
  };
}

/** Runs a capability as a worker would (input through its schema) and collects what it emits. */
async function run<I>(
  capability: CapabilityDefinition<I>,
  target: string,
  input: Record<string, unknown>,
  options: { scope?: TargetScope; signal?: AbortSignal } = {},
) {
  const normalized = normalizeTarget(capability.targetKind, target);
  if (!normalized.ok) throw new Error(normalized.reason);
  const assets: AssetRecord[] = [];
  const risks: RiskRecord[] = [];
  const outcome = await capability.run(
    runContext(normalized.value, options.scope, options.signal),
    capability.input.parse(input),
    { asset: (a) => assets.push(a), risk: (r) => risks.push(r) },
  );
  if (outcome.kind !== 'done') throw new Error('expected a result');
  return { result: outcome.result as Record<string, unknown>, assets, risks };
}

const riskNames = (risks: readonly RiskRecord[]) => risks.map((r) => r.name).sort();

describe('Capability: portscan (loopback)', () => {
  const servers = new LocalServers();
  afterEach(() => servers.closeAll());

  it('finds exactly the ports opened on 127.0.0.1, with banners, and none of those closed', async () => {
    // Prepare: a silent service, one with a banner, a web server, and two ports just closed.
    const silent = await servers.tcp();
    const ssh = await servers.tcp('SSH-2.0-scanq_test\r\n');
    const web = await servers.http((_req, res) => res.end('ok'));
    const closed = await servers.closedPorts(2);

    // Act
    const { result, assets } = await run(portscan, '127.0.0.1', {
      ports: [silent.port, ssh.port, web.port, ...closed],
      bannerMs: 300,
    });

    // Assess
    const open = [silent.port, ssh.port, web.port].sort((a, b) => a - b);
    console.log(`portscan: ${open.length} open of ${open.length + closed.length} scanned`, result.ports);
    expect((result.ports as { port: number }[]).map((p) => p.port)).toEqual(open);
    expect(result).toMatchObject({ host: '127.0.0.1', ip: '127.0.0.1', scanned: 5, closed: 2, filtered: 0 });
    const byPort = new Map((result.ports as { port: number }[]).map((p) => [p.port, p]));
    expect(byPort.get(silent.port)).toEqual({ port: silent.port, protocol: 'tcp' });
    expect(byPort.get(ssh.port)).toEqual({
      port: ssh.port,
      protocol: 'tcp',
      banner: 'SSH-2.0-scanq_test',
      service: 'ssh',
    });
    expect(byPort.get(web.port)).toMatchObject({
      protocol: 'tcp',
      service: 'http',
      probed: true,
      banner: expect.stringMatching(/^HTTP\/1\.1 200 OK/),
    });
    expect(assets.map((a) => `${a.type} ${a.value}`).sort()).toEqual(
      ['host 127.0.0.1', ...open.map((p) => `port 127.0.0.1:${p}`)].sort(),
    );
    expect(assets.find((a) => a.value === `127.0.0.1:${ssh.port}`)?.attributes).toMatchObject({
      ip: '127.0.0.1',
      port: ssh.port,
      banner: 'SSH-2.0-scanq_test',
    });
  });

  it('stops on abort: no connect after the signal, and no result', async () => {
    // Prepare: 20 silent services; the scan is aborted as the second connection arrives.
    const controller = new AbortController();
    let total = 0;
    const targets = await Promise.all(
      Array.from({ length: 20 }, () =>
        servers.tcp(undefined, () => {
          total++;
          if (total === 2) controller.abort(new Error('stop the scan'));
        }),
      ),
    );

    // Act
    const outcome = await run(
      portscan,
      '127.0.0.1',
      { ports: targets.map((t) => t.port), concurrency: 2, bannerMs: 5_000, probeHttp: false },
      { signal: controller.signal },
    ).catch((error: unknown) => error);

    // Assess: it rejected with the abort reason (a full run would have resolved), having
    // connected to no more ports than were already in flight.
    console.log(`portscan abort: ${total} connection(s) of 20 ports`);
    expect(outcome).toEqual(new Error('stop the scan'));
    expect(total).toBeLessThanOrEqual(2);
  });
});

describe('Target policy: refused before any connection', () => {
  const servers = new LocalServers();
  afterEach(() => servers.closeAll());
  // 'evil.test' points at a live local server AND the metadata service; 'good.test' only at the server.
  const fake: Resolver = async (host) =>
    host === 'evil.test'
      ? [
          { address: '127.0.0.1', family: 4 },
          { address: '169.254.169.254', family: 4 },
        ]
      : [{ address: '127.0.0.1', family: 4 }];

  it.each([
    ['portscan of the metadata address', 'portscan', '169.254.169.254', LOOPBACK, 'policy.metadata'],
    [
      'portscan of its IPv4-mapped IPv6 spelling',
      'portscan',
      '[::ffff:169.254.169.254]',
      LOOPBACK,
      'policy.metadata',
    ],
    ['portscan of a name resolving to it', 'portscan', 'evil.test', LOOPBACK, 'policy.metadata'],
    [
      'portscan out of the CIDR scopes',
      'portscan',
      '127.0.0.1',
      { allowLoopback: true, allowedScopes: ['10.0.0.0/8'] },
      'policy.outOfScope',
    ],
    [
      'portscan of loopback when not allowed',
      'portscan',
      '127.0.0.1',
      { allowLoopback: false, allowedScopes: [] },
      'policy.loopback',
    ],
    [
      'http-probe of a name resolving to metadata',
      'http-probe',
      'http://evil.test:PORT/',
      LOOPBACK,
      'policy.metadata',
    ],
    [
      'http-probe out of the domain scopes',
      'http-probe',
      'http://good.test:PORT/',
      { allowLoopback: true, allowedScopes: ['example.com'] },
      'policy.outOfScope',
    ],
  ] as const)('%s', async (_name, capability, rawTarget, scope, code) => {
    const server = await servers.http((_req, res) => res.end('should never be reached'));
    const definition =
      capability === 'portscan' ? createPortscan({ resolve: fake }) : createHttpProbe({ resolve: fake });
    const input = capability === 'portscan' ? { ports: [server.port] } : {};
    const target = rawTarget.replace('PORT', String(server.port));

    const refusal = await run(definition as CapabilityDefinition<unknown>, target, input, { scope }).catch(
      (e: unknown) => e,
    );

    expect(refusal).toMatchObject({ code });
    expect(server.connections()).toBe(0);
  });

  it('connects when the same target is in scope (the counting server does count)', async () => {
    const server = await servers.http((_req, res) => res.end('ok'));
    const scope = { allowLoopback: true, allowedScopes: ['127.0.0.0/8'] };
    await run(
      createPortscan({ resolve: fake }),
      'good.test',
      { ports: [server.port], bannerMs: 0 },
      { scope },
    );
    expect(server.connections()).toBe(1);
  });

  it('http-probe connects to the address the policy resolved, presenting the original name', async () => {
    // 'good.test' exists only in the injected resolver: the connection can only use its answer.
    const hosts: (string | undefined)[] = [];
    const server = await servers.http((req, res) => {
      hosts.push(req.headers.host);
      res.end('ok');
    });
    const { result } = await run(createHttpProbe({ resolve: fake }), `http://good.test:${server.port}/`, {});
    expect(result).toMatchObject({ status_code: 200, host: 'good.test', ip: '127.0.0.1' });
    expect(hosts).toEqual([`good.test:${server.port}`]);
  });

  it('resolves the real localhost once and refuses it unless loopback is allowed', async () => {
    await expect(
      resolveTarget('localhost', { allowLoopback: false, allowedScopes: [] }),
    ).rejects.toMatchObject({ code: 'policy.loopback' });
    const allowed = await resolveTarget('localhost', LOOPBACK);
    expect(allowed).toMatchObject({ host: 'localhost', address: '127.0.0.1', family: 4 });
  });

  it('ends a redirect chain at a hop the policy refuses, without following it', async () => {
    const server = await servers.http((_req, res) => {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    });
    const { result } = await run(httpProbe, `http://127.0.0.1:${server.port}/`, {});
    expect(result.status_code).toBe(302);
    expect(result.chain).toEqual([
      {
        url: `http://127.0.0.1:${server.port}/`,
        status_code: 302,
        location: 'http://169.254.169.254/latest/meta-data/',
      },
      { url: 'http://169.254.169.254/latest/meta-data/', refused: 'policy.metadata' },
    ]);
  });
});

describe('Capability: http-probe (loopback HTTP and HTTPS)', () => {
  const servers = new LocalServers();
  let seen: { host?: string; servername?: string }[] = [];
  beforeAll(() => {
    seen = [];
  });
  afterEach(() => servers.closeAll());
  afterAll(() => {
    dynamo.destroy();
    s3.destroy();
  });

  it('HTTP: follows the redirect and reports status, title, server, length, chain and exactly the missing headers', async () => {
    const page = '<html><head><title>Local  Test &amp; Co</title></head><body>hello</body></html>';
    const server = await servers.http((req, res) => {
      seen.push({ host: req.headers.host });
      if (req.url === '/start') return res.writeHead(302, { location: '/home' }).end();
      res
        .writeHead(200, { server: 'scanq-test/1.0', 'x-frame-options': 'DENY', 'content-type': 'text/html' })
        .end(page);
    });

    const { result, risks, assets } = await run(httpProbe, `http://localhost:${server.port}/start`, {});

    const base = `http://localhost:${server.port}`;
    console.log('http-probe (http):', JSON.stringify({ ...result, chain: undefined }));
    expect(result).toMatchObject({
      url: `${base}/start`,
      final_url: `${base}/home`,
      scheme: 'http',
      host: 'localhost',
      ip: '127.0.0.1',
      port: server.port,
      status_code: 200,
      title: 'Local Test & Co',
      webserver: 'scanq-test/1.0',
      content_type: 'text/html',
      content_length: Buffer.byteLength(page),
      chain: [
        { url: `${base}/start`, status_code: 302, location: '/home' },
        { url: `${base}/home`, status_code: 200 },
      ],
      chain_status_codes: [302, 200],
    });
    expect(result.tls).toBeUndefined();
    expect(riskNames(risks)).toEqual(['http-missing-csp', 'http-missing-x-content-type-options']);
    expect(risks.every((r) => r.asset.type === 'url' && r.asset.value === `${base}/home`)).toBe(true);
    expect(assets.map((a) => a.value).sort()).toEqual([`${base}/home`, `${base}/start`]);
    // Connected to the resolved address, but the server saw the name.
    expect(seen.map((s) => s.host)).toEqual([`localhost:${server.port}`, `localhost:${server.port}`]);
  });

  it('HTTPS, self-signed and expiring in 10 days: TLS facts, valid false with the reason, and exactly the expected risks', async () => {
    const now = Date.now();
    const cert = selfSignedCertificate({
      commonName: 'localhost',
      altNames: ['localhost', '127.0.0.1'],
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 10 * DAY + 3_600_000),
    });
    const server = await servers.https(cert, (req, res) => {
      seen.push({ servername: (req.socket as { servername?: string }).servername });
      res
        .writeHead(200, {
          'strict-transport-security': 'max-age=31536000',
          'content-security-policy': "default-src 'self'; frame-ancestors 'none'",
        })
        .end('<title>secure</title>');
    });
    seen = [];

    const { result, risks } = await run(httpProbe, `https://localhost:${server.port}/`, {});

    console.log('http-probe (https):', JSON.stringify(result.tls));
    expect(result).toMatchObject({ scheme: 'https', status_code: 200, title: 'secure', ip: '127.0.0.1' });
    expect(result.tls).toMatchObject({
      tls_version: expect.stringMatching(/^TLSv1\.[23]$/),
      subject_cn: 'localhost',
      issuer_cn: 'localhost',
      issuer_org: 'scanq tests',
      subject_an: ['localhost', '127.0.0.1'],
      expires_in_days: 10,
      self_signed: true,
      expired: false,
      mismatched: false,
      valid: false,
      reason: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
    expect(seen).toEqual([{ servername: 'localhost' }]);
    expect(riskNames(risks)).toEqual([
      'http-missing-x-content-type-options',
      'tls-certificate-expiring',
      'tls-certificate-untrusted',
    ]);
    expect(risks.find((r) => r.name === 'tls-certificate-expiring')).toMatchObject({
      severity: 'medium',
      evidence: { expires_in_days: 10, subject_cn: 'localhost' },
    });
  });

  it('HTTPS with an expired certificate and every header set: only the certificate risks', async () => {
    const now = Date.now();
    const cert = selfSignedCertificate({
      commonName: 'localhost',
      altNames: ['localhost'],
      notBefore: new Date(now - 40 * DAY),
      notAfter: new Date(now - 2 * DAY),
    });
    const server = await servers.https(cert, (_req, res) => {
      res
        .writeHead(200, {
          'strict-transport-security': 'max-age=600',
          'content-security-policy': "default-src 'none'",
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'SAMEORIGIN',
        })
        .end();
    });

    const { result, risks } = await run(httpProbe, `https://localhost:${server.port}/`, {});

    expect(result.tls).toMatchObject({ expired: true, valid: false, expires_in_days: -2 });
    expect(riskNames(risks)).toEqual(['tls-certificate-expired', 'tls-certificate-untrusted']);
    expect(risks.find((r) => r.name === 'tls-certificate-expired')?.severity).toBe('high');
  });

  it('a host:port target speaking plain HTTP is probed over http after the TLS attempt fails', async () => {
    const server = await servers.http((_req, res) => res.writeHead(204).end());
    const { result } = await run(httpProbe, `127.0.0.1:${server.port}`, {});
    expect(result).toMatchObject({
      input: `https://127.0.0.1:${server.port}/`,
      url: `http://127.0.0.1:${server.port}/`,
      status_code: 204,
    });
  });

  it('fails a refused connection permanently', async () => {
    const [port] = await servers.closedPorts(1);
    await expect(run(httpProbe, `http://127.0.0.1:${port}/`, {})).rejects.toMatchObject({
      code: 'probe.unreachable',
    });
  });
});

describe('Capability: sleep', () => {
  it('sleeps the asked time and stops at once on abort', async () => {
    const { result } = await run(sleep, 'x', { ms: 5 });
    expect(result).toMatchObject({ slept_ms: 5 });
    const controller = new AbortController();
    const pending = run(sleep, 'x', { ms: 60_000 }, { signal: controller.signal });
    controller.abort(new Error('drain'));
    await expect(pending).rejects.toThrow('drain');
  });
});
