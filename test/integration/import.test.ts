import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCapabilities } from '../../src/jobs/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { createProducer, type EnqueueAccepted, type Producer } from '../../src/producer/index.js';
import { InvalidKeyError, type TenantContext, TenantFiles } from '../../src/tenancy/index.js';
import { QUARANTINE_METADATA } from '../../src/tenancy/quarantine.js';
import { createWorker, createWorkerRuntimeDeps, type Worker } from '../../src/workers/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { readResult, serviceContext, subscribeToTopic, tableOf } from '../helpers/stack-extras.js';
import { eventually } from '../helpers/worker-process.js';

const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
const TENANT = 'importer';
const MB5 = 5 * 1024 * 1024;

const host = (value: string, attributes?: Record<string, unknown>) => ({
  type: { S: 'host' },
  value: { S: value },
  ...(attributes ? { attributes: { M: attributes } } : {}),
});

/** Each file, and the one reason it must be quarantined with (undefined: it must be imported). */
const FILES: {
  name: string;
  body: () => string | Uint8Array;
  reason?: { code: string; path?: string; message: RegExp };
}[] = [
  {
    name: 'valid.json',
    body: () =>
      JSON.stringify([
        host('web-1.example.com', {
          owner: { S: 'web team' },
          ports: { L: [{ N: '443' }] },
          internet_facing: { BOOL: true },
        }),
        {
          type: { S: 'ip' },
          value: { S: '10.1.2.3' },
          attributes: { M: { labels: { M: { rack: { S: 'r7' } } } } },
        },
      ]),
  },
  {
    name: 'duplicate-existing.json',
    body: () => JSON.stringify([host('fresh.example.com'), host('known.example.com')]),
    reason: {
      code: 'duplicate',
      path: '$[1]',
      message: /^host known\.example\.com already exists in this tenant$/,
    },
  },
  {
    name: 'duplicate-within.json',
    body: () => JSON.stringify([host('twice.example.com'), host('TWICE.example.com')]),
    reason: {
      code: 'duplicate',
      path: '$[1]',
      message: /^duplicates item \$\[0\] \(host twice\.example\.com\)$/,
    },
  },
  {
    name: 'wrong-type.json',
    body: () => JSON.stringify([host('typed.example.com', { ports: { L: [{ N: '22' }, { S: '80' }] } })]),
    reason: { code: 'wrongType', path: '$[0].attributes.M.ports.L[1]', message: /^expected N, got S$/ },
  },
  {
    name: 'missing-key.json',
    body: () => JSON.stringify([{ type: { S: 'host' } }]),
    reason: { code: 'missingKey', path: '$[0].value', message: /^missing required key "value"$/ },
  },
  {
    name: 'extra-attribute.json',
    body: () => JSON.stringify([host('extra.example.com', { colour: { S: 'red' } })]),
    reason: {
      code: 'extraAttribute',
      path: '$[0].attributes.M.colour',
      message: /^"colour" is not allowed here/,
    },
  },
  {
    name: 'invalid.json',
    body: () => '[\n  {"type": {"S": "host"}, "value": {"S": "x.example.com"}\n]',
    reason: {
      code: 'invalidJson',
      message: /^invalid JSON at line 3, column 1 \(offset \d+\): expected , or }, found "]"$/,
    },
  },
  {
    name: 'oversized.json',
    body: () => new Uint8Array(MB5 + 1).fill(0x20),
    reason: {
      code: 'oversized',
      message: new RegExp(`^the file is ${MB5 + 1} bytes; the limit is ${MB5} bytes$`),
    },
  },
];

describe('Capability: import (in-process worker, presigned uploads, SNS)', () => {
  let stack: TestStack;
  let producer: Producer;
  let worker: Worker;
  let files: TenantFiles;
  let ctx: TenantContext;
  let notifications: Awaited<ReturnType<typeof subscribeToTopic>>;
  const keys = new Map<string, string>();
  const results = new Map<string, Record<string, unknown>>();

  beforeAll(async () => {
    stack = await createTestStack('import');
    ctx = serviceContext(TENANT);
    const r = stack.config.resources;
    files = new TenantFiles(
      {
        s3: stack.clients.s3,
        buckets: { results: r.resultsBucket, uploads: r.uploadsBucket, quarantine: r.quarantineBucket },
      },
      ctx,
    );
    notifications = await subscribeToTopic(stack);
    producer = await createProducer(stack.config, { clients: stack.clients, log });
    worker = createWorker(stack.config, {
      clients: stack.clients,
      resources: stack.report,
      registry: builtinCapabilities(),
      log,
      waitTimeSeconds: 1,
      ...createWorkerRuntimeDeps(stack.config, stack.clients, stack.report, log),
    });
    // An asset another scan found earlier: importing it again is a duplicate.
    await tableOf(stack, ctx).put({
      key: '#asset#host#known.example.com',
      kind: 'asset',
      type: 'host',
      value: 'known.example.com',
      source: '#job#other#portscan',
    });
    // The tenant uploads every file through a presigned PUT, as a browser or script would.
    for (const file of FILES) {
      const put = await files.presignPut('uploads', file.name, { contentType: 'application/json' });
      const response = await fetch(put.url, { method: 'PUT', headers: put.headers, body: file.body() });
      expect(response.status).toBe(200);
      keys.set(file.name, put.key);
    }
    worker.start();
    const accepted = (await producer.enqueue(
      ctx,
      FILES.map((f) => ({
        capability: 'import',
        target: keys.get(f.name) ?? '',
        input: { key: keys.get(f.name) ?? '' },
      })),
    )) as EnqueueAccepted[];
    const jobs = await eventually(
      async () => {
        const items = await Promise.all(
          accepted.map((a) => tableOf(stack, ctx).get(a.key, { consistent: true })),
        );
        return items.every((i) => String(i?.status).startsWith('JP#')) ? items : undefined;
      },
      45_000,
      'every import job to pass',
    );
    for (const [i, job] of jobs.entries())
      results.set(FILES[i]?.name ?? '', await readResult(stack, String(job?.resultKey)));
  });

  afterAll(async () => {
    await worker?.stop();
    producer?.close();
    await destroyTestStack(stack);
  });

  it('imports a valid file: its items become typed asset items of the tenant', async () => {
    const table = tableOf(stack, ctx);

    expect(results.get('valid.json')?.result).toEqual({
      kind: 'import',
      v: 1,
      file: keys.get('valid.json'),
      outcome: 'imported',
      items: 2,
    });
    expect(await table.get('#asset#host#web-1.example.com')).toMatchObject({
      kind: 'asset',
      type: 'host',
      attributes: { owner: 'web team', ports: [443], internet_facing: true },
    });
    expect(await table.get('#asset#ip#10.1.2.3')).toMatchObject({ attributes: { labels: { rack: 'r7' } } });
    // The upload stays where it was: the tenant's record of what it sent.
    expect(await files.head(keys.get('valid.json') ?? '')).toBeDefined();
  });

  it.each(FILES.filter((f) => f.reason))('quarantines $name with the precise reason', async (file) => {
    const key = keys.get(file.name) ?? '';
    const result = results.get(file.name)?.result as Record<string, unknown>;

    // The job says where the file went and why.
    expect(result).toMatchObject({ outcome: 'quarantined', file: key, reasonCount: 1 });
    expect(result.reasons).toEqual([
      expect.objectContaining({
        code: file.reason?.code,
        message: expect.stringMatching(file.reason?.message ?? /x/),
      }),
    ]);
    if (file.reason?.path) expect((result.reasons as { path?: string }[])[0]?.path).toBe(file.reason.path);

    // Moved: gone from uploads, in quarantine with the reasons as metadata and a report next to it.
    expect(await files.head(key)).toBeUndefined();
    const quarantined = await files.head(String(result.quarantineKey));
    expect(quarantined?.metadata).toMatchObject({
      [QUARANTINE_METADATA.codes]: file.reason?.code,
      [QUARANTINE_METADATA.total]: '1',
    });
    expect(quarantined?.size).toBe(file.name === 'oversized.json' ? MB5 + 1 : Buffer.byteLength(file.body()));
    const report = await files.get(String(result.reportKey));
    const parsed = JSON.parse(Buffer.from(report?.body ?? new Uint8Array()).toString('utf8')) as Record<
      string,
      unknown
    >;
    expect(parsed).toMatchObject({ v: 1, tenant: TENANT, source: key, key: result.quarantineKey, total: 1 });
    expect(parsed.reasons).toEqual(result.reasons);
  });

  it('inserts nothing from a quarantined file (all or nothing)', async () => {
    const table = tableOf(stack, ctx);

    expect(await table.get('#asset#host#fresh.example.com')).toBeUndefined();
    expect(await table.get('#asset#host#twice.example.com')).toBeUndefined();
    expect(await table.get('#asset#host#known.example.com')).toMatchObject({ source: '#job#other#portscan' });
  });

  it('publishes both outcomes on the topic, tagged with tenant, status and capability', async () => {
    const quarantinedCount = FILES.filter((f) => f.reason).length;
    const events = await eventually(
      async () => {
        const seen = (await notifications()).filter((e) => String(e.body.type).startsWith('import.'));
        return seen.length >= quarantinedCount + 1 ? seen : undefined;
      },
      15_000,
      'an import event per file',
    );

    const succeeded = events.filter((e) => e.body.type === 'import.succeeded');
    const quarantined = events.filter((e) => e.body.type === 'import.quarantined');
    expect(succeeded).toEqual([
      expect.objectContaining({
        attributes: { tenant: TENANT, status: 'imported', capability: 'import' },
        body: expect.objectContaining({ file: keys.get('valid.json'), items: '2' }),
      }),
    ]);
    expect(quarantined.map((e) => e.body.file).sort()).toEqual(
      FILES.filter((f) => f.reason)
        .map((f) => keys.get(f.name))
        .sort(),
    );
    for (const event of quarantined) {
      expect(event.attributes).toEqual({ tenant: TENANT, status: 'quarantined', capability: 'import' });
      expect(event.body.reasons).toEqual(
        FILES.find((f) => keys.get(f.name) === event.body.file)?.reason?.code,
      );
    }
    console.info(
      `[import] ${FILES.length} files: 1 imported, ${quarantined.length} quarantined, ${events.length} import events seen`,
    );
  });

  it("refuses to quarantine another tenant's file or a file outside uploads", async () => {
    const other = new TenantFiles(
      {
        s3: stack.clients.s3,
        buckets: {
          results: stack.config.resources.resultsBucket,
          uploads: stack.config.resources.uploadsBucket,
          quarantine: stack.config.resources.quarantineBucket,
        },
      },
      serviceContext('someone-else'),
    );

    await expect(other.quarantine(keys.get('valid.json') ?? '', [])).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(files.quarantine(files.keyFor('results', 'x.json'), [])).rejects.toMatchObject({
      code: 'files.notAnUpload',
    });
    expect(await files.head(keys.get('valid.json') ?? '')).toBeDefined();
  });
});
