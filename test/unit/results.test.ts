import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { POSTURE_CHECKS } from '../../src/jobs/capabilities/aws-posture/scan.js';
import { PostureTally } from '../../src/jobs/capabilities/aws-posture/tally.js';
import { createExternalCapability, outputName } from '../../src/jobs/capabilities/external.js';
import {
  extractTitle,
  type Handshake,
  HEADER_CHECKS,
  headerFindings,
  tlsFacts,
} from '../../src/jobs/capabilities/http-facts.js';
import { scanPorts } from '../../src/jobs/capabilities/portscan.js';
import { cleanBanner, guessService, type PortProbe } from '../../src/jobs/capabilities/tcp-probe.js';
import {
  type AssetRecord,
  builtinCapabilities,
  checkResultDocument,
  type Emit,
  importCapability,
  noop,
  RESULT_SCHEMAS,
  type RiskRecord,
  type RunContext,
  resultJsonSchemas,
  resultSchemaFor,
  sleep,
} from '../../src/jobs/index.js';
import {
  fileKey,
  type Item,
  parseFileKey,
  systemContext,
  TenantFiles,
  TenantTable,
} from '../../src/tenancy/index.js';
import { quarantineReportKey } from '../../src/tenancy/quarantine.js';
import { resultDocument, resultName } from '../../src/workers/outcome.js';

const tenant = systemContext('acme', 'test');
const NOW = new Date('2026-05-01T10:00:00.000Z');

/** Files in memory: what `import` and `external` read and move, without S3. */
class MemoryFiles extends TenantFiles {
  readonly stored = new Map<string, Uint8Array>();
  constructor() {
    const s3 = new S3Client({ region: 'us-east-1' });
    super({ s3, buckets: { results: 'r', uploads: 'u', quarantine: 'q' }, now: () => NOW }, tenant);
  }
  override async head(key: string) {
    const body = this.stored.get(key);
    return body ? { key, size: body.byteLength, lastModified: NOW } : undefined;
  }
  override async get(key: string) {
    const body = this.stored.get(key);
    return body ? { key, body, contentType: 'application/json' } : undefined;
  }
  override async quarantine(key: string) {
    const moved = this.keyFor('quarantine', parseFileKey(key, this.tenant).name);
    return { key: moved, reportKey: quarantineReportKey(moved) };
  }
}

/** A table with no items: nothing the import repeats exists yet. */
class EmptyTable extends TenantTable {
  constructor() {
    super(
      { doc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), tableName: 't' },
      tenant,
    );
  }
  override async get(): Promise<Item | undefined> {
    return undefined;
  }
}

function runContext(target: string, files = new MemoryFiles()): RunContext {
  const quiet = () => {};
  return {
    tenant: tenant.tenant,
    key: `#job#test#${target}`,
    target,
    attempt: 1,
    signal: new AbortController().signal,
    files,
    table: new EmptyTable(),
    aws: { region: 'us-east-1', endpoints: {} },
    scope: { allowLoopback: false, allowedScopes: [] },
    log: { info: quiet, warn: quiet, debug: quiet },
    publish: async () => {},
  };
}

function collect(): Emit & { assets: AssetRecord[]; risks: RiskRecord[] } {
  const assets: AssetRecord[] = [];
  const risks: RiskRecord[] = [];
  return { assets, risks, asset: (a) => assets.push(a), risk: (r) => risks.push(r) };
}

async function resultOf(outcome: Promise<{ kind: string; result?: Readonly<Record<string, unknown>> }>) {
  const done = await outcome;
  if (!done.result) throw new Error(`expected a result, got ${done.kind}`);
  return done.result;
}

/** What a service answered on each port, as `probePort` reports it. */
function probeOf(port: number, state: PortProbe['state'], raw?: string, probed?: true): PortProbe {
  const banner = raw ? cleanBanner(Buffer.from(raw)) : undefined;
  const service = banner ? guessService(banner) : undefined;
  return {
    port,
    state,
    ...(banner ? { banner } : {}),
    ...(service ? { service } : {}),
    ...(probed ? { probed } : {}),
  };
}

/** Built by hand after `report()` in portscan.ts (private; it runs inside the TCP scan). */
async function portscanResult() {
  const answers = [
    probeOf(22, 'open', 'SSH-2.0-OpenSSH_9.6\r\n'),
    probeOf(25, 'closed'),
    probeOf(80, 'open', 'HTTP/1.1 200 OK\r\nServer: nginx', true),
    probeOf(443, 'open'),
    probeOf(8080, 'filtered'),
  ];
  const probe = async (port: number) => answers.find((p) => p.port === port) ?? probeOf(port, 'closed');
  const probes = await scanPorts([443, 22, 8080, 25, 80], 2, probe, new AbortController().signal);
  return {
    host: 'scanme.example.com',
    ip: '192.0.2.10',
    ports: probes
      .filter((p) => p.state === 'open')
      .map(({ state: _, ...open }) => ({ ...open, protocol: 'tcp' })),
    scanned: probes.length,
    closed: probes.filter((p) => p.state === 'closed').length,
    filtered: probes.filter((p) => p.state === 'filtered').length,
    timeout_ms: 1000,
    concurrency: 100,
  };
}

/** Built by hand after `resultOf()` in http-probe.ts (private; it runs after the requests). */
function httpProbeResult() {
  const final = new URL('https://www.example.com/');
  const headers = { server: 'nginx/1.27', 'content-type': 'text/html', 'x-frame-options': 'DENY' };
  const tls = tlsFacts(
    {
      protocol: 'TLSv1.3',
      cipher: 'TLS_AES_128_GCM_SHA256',
      cert: {
        subject: { CN: 'www.example.com' } as Handshake['cert']['subject'],
        issuer: { CN: 'R11', O: "Let's Encrypt" } as Handshake['cert']['issuer'],
        valid_from: 'Apr 20 00:00:00 2026 GMT',
        valid_to: 'May 20 00:00:00 2026 GMT',
        subjectaltname: 'DNS:www.example.com, DNS:example.com',
        fingerprint256: 'AB:CD',
      },
      hostname: 'www.example.com',
    },
    NOW,
  );
  const chain = [
    { url: 'http://example.com/', status_code: 301, location: 'https://www.example.com/' },
    { url: final.href, status_code: 200 },
  ];
  return {
    input: 'http://example.com/',
    url: 'http://example.com/',
    final_url: final.href,
    scheme: 'https',
    host: final.hostname,
    ip: '192.0.2.20',
    port: 443,
    status_code: 200,
    title: extractTitle('<title>Example &amp; Co</title>') ?? null,
    webserver: headers.server,
    content_type: headers['content-type'],
    content_length: 1256,
    tls,
    chain,
    chain_status_codes: chain.map((h) => h.status_code),
    security_headers: {
      checked: HEADER_CHECKS.map((c) => c.header),
      missing: headerFindings(final, 200, headers).map((f) => String(f.evidence.header)),
    },
  };
}

/** Built by hand after `run()` in aws-posture.ts around the real tally (the rest is AWS calls). */
function awsPostureResult(emit: Emit) {
  const tally = new PostureTally(emit, POSTURE_CHECKS);
  const bucket = { type: 'aws-s3-bucket', value: 'arn:aws:s3:::logs' };
  tally.asset({ ...bucket, attributes: { name: 'logs' } });
  tally.checked('s3.versioning');
  tally.risk('s3.versioning', bucket, 'bucketUnversioned', { status: 'NeverEnabled' });
  const { checks, counts } = tally.summary();
  return {
    kind: 'aws-posture',
    v: 1,
    accountId: 'prod',
    awsAccount: '123456789012',
    principal: 'arn:aws:sts::123456789012:assumed-role/scanq/s1',
    regions: ['eu-west-1'],
    accessKeyMaxAgeDays: 90,
    checks,
    counts: { buckets: 1, users: 0, securityGroups: 0, ...counts },
    skipped: [{ check: 'iam.listUsers', resource: 'iam', error: 'AccessDenied' }],
  };
}

const UPLOAD = 'acme/uploads/2026-05-01/assets.json';
const typed = (items: unknown) => new TextEncoder().encode(JSON.stringify(items));

async function importResult(body: Uint8Array, emit: Emit) {
  const files = new MemoryFiles();
  files.stored.set(UPLOAD, body);
  return resultOf(importCapability.run(runContext(UPLOAD, files), { key: UPLOAD }, emit));
}

async function externalResult(emit: Emit) {
  const files = new MemoryFiles();
  const ctx = runContext('https://app.example.com/', files);
  const outputKey = fileKey('acme', 'evidence', outputName(ctx.key, 'ext-1'), NOW);
  const line = {
    'template-id': 'tech-detect',
    info: { name: 'Tech', severity: 'info' },
    host: 'app.example.com',
  };
  files.stored.set(outputKey, new TextEncoder().encode(`${JSON.stringify(line)}\nnot json\n`));
  const external = createExternalCapability({
    settings: () => ({
      scannerUrl: undefined,
      callbackBaseUrl: undefined,
      callbackSecret: undefined,
      deadlineMs: 1,
    }),
  });
  if (!external.complete) throw new Error('external has no completion step');
  const returned = { outputKey, asyncRef: 'ext-1', scannerStatus: 'done' };
  return resultOf(external.complete(ctx, {}, returned, emit));
}

type Build = (emit: Emit) => Promise<Readonly<Record<string, unknown>>>;
/** Every example: its capability, what it shows, how it is built and what it must say. */
const EXAMPLES: [string, string, Build, Record<string, unknown>][] = [
  ['noop', 'run', (emit) => resultOf(noop.run(runContext('h'), { sleepMs: 0 }, emit)), { slept: 0 }],
  ['sleep', 'run', (emit) => resultOf(sleep.run(runContext('h'), { ms: 0 }, emit)), { slept_ms: 0 }],
  ['portscan', 'by hand', portscanResult, { scanned: 5, closed: 1, filtered: 1 }],
  ['http-probe', 'by hand', async () => httpProbeResult(), { status_code: 200 }],
  [
    'aws-posture',
    'tally',
    async (emit) => awsPostureResult(emit),
    { counts: expect.objectContaining({ risks: 1 }) },
  ],
  [
    'import',
    'valid file',
    (emit) => importResult(typed([{ type: { S: 'host' }, value: { S: 'a.example.com' } }]), emit),
    { outcome: 'imported', items: 1 },
  ],
  [
    'import',
    'wrong types',
    (emit) => importResult(typed([{ type: { S: 'printer' }, value: { N: '1' } }]), emit),
    { outcome: 'quarantined' },
  ],
  [
    'import',
    'invalid JSON',
    (emit) => importResult(new TextEncoder().encode('[{"type":'), emit),
    { reasonCount: 1, reasons: [expect.objectContaining({ code: 'invalidJson' })] },
  ],
  ['external', 'complete', externalResult, { lines: 2, findings: 1, badLines: 1 }],
];

const lease = {
  key: '#job#portscan#scanme.example.com',
  owner: 'worker-a',
  attempt: 2,
  phase: 'JQ' as const,
  item: { key: '#job#portscan#scanme.example.com', created: 1 },
};
const times = { startedAt: '2026-05-01T10:00:00.000Z', finishedAt: '2026-05-01T10:00:03.250Z' };
/** What a reader of S3 sees: the document `resultDocument` built, after JSON. */
const documentOf = (fields: Partial<Parameters<typeof resultDocument>[1]>): Record<string, unknown> =>
  JSON.parse(
    JSON.stringify(
      resultDocument(lease, {
        tenant: 'acme',
        capability: 'noop',
        target: 't',
        status: 'JP',
        ...times,
        findings: { assets: [], risks: [] },
        ...fields,
      }),
    ),
  );

describe('Function: resultSchemaFor', () => {
  it('has a schema for every built-in capability and none for others', () => {
    expect(Object.keys(RESULT_SCHEMAS).sort()).toEqual(builtinCapabilities().names());
    expect(resultSchemaFor('my-plugin')).toBeUndefined();
    expect(resultSchemaFor('toString')).toBeUndefined();
  });

  it.each(EXAMPLES)(
    '%s (%s): result and envelope match the schemas, every field documented',
    async (name, _, build, says) => {
      const emit = collect();
      const result = await build(emit);
      const document = documentOf({ capability: name, result, findings: emit });
      const schema = resultSchemaFor(name);
      if (!schema) throw new Error(`no schema for ${name}`);

      const parsed = schema.safeParse(document.result);
      const checked = checkResultDocument(document);

      expect(document.result).toMatchObject(says);
      expect(parsed.error?.issues).toBeUndefined();
      // The schemas drop unknown fields: equality proves the code emits nothing the schema lacks.
      expect(parsed.data).toEqual(document.result);
      expect(checked).toEqual({ ok: true, document });
    },
  );
});

describe('Function: resultDocument', () => {
  it('a failed attempt carries the error and what was emitted before it, and no result', () => {
    const assets = [{ type: 'host', value: 'a.example.com' }];
    const document = documentOf({ status: 'JF', error: 'refused', findings: { assets, risks: [] } });

    expect(checkResultDocument(document)).toEqual({ ok: true, document });
    expect(document).not.toHaveProperty('result');
  });

  it('is stored at {tenant}/results/{date}/{capability}/{hash}/{attempt}-{owner}.json', () => {
    const key = fileKey('acme', 'results', resultName(lease, 'portscan'), NOW);

    expect(key).toMatch(/^acme\/results\/2026-05-01\/portscan\/[0-9a-f]{20}\/2-[0-9a-f]{8}\.json$/);
  });
});

describe('Function: checkResultDocument', () => {
  const valid = () => documentOf({ result: { target: 't', slept: 0 } });

  it.each([
    ['a later version', (d: Record<string, unknown>) => ({ ...d, v: 2 }), 'v'],
    ['no version', ({ v: _v, ...d }: Record<string, unknown>) => d, 'v'],
    ['not an object', () => null, '(document)'],
    ['a passed job without a result', ({ result: _r, ...d }: Record<string, unknown>) => d, 'result'],
    [
      'a bad result field',
      (d: Record<string, unknown>) => ({ ...d, result: { target: 't', slept: -1 } }),
      'result.slept',
    ],
    [
      'an unknown severity',
      (d: Record<string, unknown>) => ({
        ...d,
        risks: [{ asset: { type: 'host', value: 'h' }, name: 'x', severity: 'severe' }],
      }),
      'risks.0.severity',
    ],
  ])('refuses %s, naming the field', (_, change, field) => {
    const checked = checkResultDocument(change(valid()));

    expect(checked.ok).toBe(false);
    expect(checked.ok ? [] : checked.issues.map((i) => i.field)).toContain(field);
  });

  it.each([
    ['a field added later', (d: Record<string, unknown>) => ({ ...d, region: 'eu-west-1' })],
    [
      'a plugin capability with its own result',
      (d: Record<string, unknown>) => ({ ...d, capability: 'mine', result: { x: [1] } }),
    ],
  ])('accepts %s', (_, change) => {
    expect(checkResultDocument(change(valid())).ok).toBe(true);
  });
});

describe('Function: resultJsonSchemas', () => {
  it('exports the envelope and every result as open JSON Schema (draft 2020-12)', () => {
    const schemas = resultJsonSchemas();

    expect(Object.keys(schemas).sort()).toEqual(['envelope', ...Object.keys(RESULT_SCHEMAS)].sort());
    for (const schema of Object.values(schemas)) {
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(JSON.stringify(schema)).not.toContain('"additionalProperties":false');
    }
    for (const schema of Object.values(RESULT_SCHEMAS)) expect(() => z.toJSONSchema(schema)).not.toThrow();
  });
});
