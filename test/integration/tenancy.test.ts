import { ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobListQuery } from '../../src/jobs/index.js';
import {
  assumeTenant,
  ConditionFailedError,
  ForbiddenError,
  InvalidKeyError,
  listAudit,
  ownContext,
  putProfile,
  type TableDeps,
  type TenantContext,
  TenantFiles,
  TenantTable,
} from '../../src/tenancy/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { captureLog } from '../helpers/log-capture.js';

const A = 'tenant-a';
const B = 'tenant-b';
const MSP = 'msp';
const B_JOB = '#job#example.com#noop';
const B_ASSET = '#asset#host#b.example.com';

let stack: TestStack;
let deps: TableDeps;
let filesDeps: ConstructorParameters<typeof TenantFiles>[0];
const ctxA = ownContext({ tenant: A, user: 'alice@a', roles: ['admin'] });
const ctxB = ownContext({ tenant: B, user: 'bob@b', roles: ['admin'] });

/** Every item of a partition, read around the tenancy layer (the layer is what is under test). */
async function partition(tenant: string): Promise<Record<string, unknown>[]> {
  const out = await stack.clients.doc.send(
    new QueryCommand({
      TableName: stack.config.resources.table,
      KeyConditionExpression: '#p = :p',
      ExpressionAttributeNames: { '#p': 'tenant' },
      ExpressionAttributeValues: { ':p': tenant },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

/** Every version and delete marker under a tenant's prefix in all buckets, read around the layer. */
async function objectVersions(tenant: string): Promise<unknown[]> {
  const r = stack.config.resources;
  const all: unknown[] = [];
  for (const bucket of [r.resultsBucket, r.uploadsBucket, r.quarantineBucket]) {
    const out = await stack.clients.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: '' }));
    for (const v of [...(out.Versions ?? []), ...(out.DeleteMarkers ?? [])]) {
      if (v.Key?.startsWith(`${tenant}/`)) all.push({ bucket, key: v.Key, version: v.VersionId });
    }
  }
  return all.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
}

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

beforeAll(async () => {
  stack = await createTestStack('tenancy');
  deps = { doc: stack.clients.doc, tableName: stack.config.resources.table };
  const r = stack.config.resources;
  filesDeps = {
    s3: stack.clients.s3,
    buckets: { results: r.resultsBucket, uploads: r.uploadsBucket, quarantine: r.quarantineBucket },
  };
});
afterAll(async () => {
  await destroyTestStack(stack);
});

describe('Class: TenantTable (isolation on the local endpoint)', () => {
  let tableA: TenantTable;
  let snapshotB: Record<string, unknown>[];

  beforeAll(async () => {
    const tableB = new TenantTable(deps, ctxB);
    await tableB.put({ key: B_JOB, status: 'JQ#2024-05-01T00:00:00Z', payload: 'b-only' });
    await tableB.put({ key: B_ASSET, payload: 'b-only' });
    tableA = new TenantTable(deps, ctxA);
    await tableA.put({ key: '#job#a.example.com#noop', status: 'JQ#2024-05-01T00:00:00Z', payload: 'a' });
    await tableA.put({ key: '#asset#host#a.example.com', payload: 'a' });
    snapshotB = await partition(B);
  });

  const untouched = async () => {
    expect(await partition(B)).toEqual(snapshotB);
  };

  const CRAFTED_INVALID = [
    ['no leading #', 'job#example.com#noop'],
    ['the other partition spelled into the key', `${B}#job#example.com#noop`],
    ['empty', ''],
    ['over 1024 characters', `#job#${'a'.repeat(1020)}`],
    ['a NUL', '#job#\u0000'],
    ['a newline', '#job#x\n#tenant'],
  ] as const;

  describe('Method: get', () => {
    it("never returns B's items: B's exact key and traversal-looking keys read A's partition only", async () => {
      for (const key of [B_JOB, B_ASSET, '#job#..', `#job#../${B}/${B_JOB}`, '#..#..#']) {
        expect(await tableA.get(key)).toBeUndefined();
      }
    });

    it.each(CRAFTED_INVALID)('refuses a key with %s', async (_label, key) => {
      await expect(tableA.get(key)).rejects.toMatchObject({
        constructor: InvalidKeyError,
        code: 'table.invalidKey',
      });
    });
  });

  describe('Method: put', () => {
    it('refuses an item that names tenant B as its partition', async () => {
      await expect(tableA.put({ key: B_JOB, tenant: B, payload: 'overwrite' })).rejects.toMatchObject({
        constructor: InvalidKeyError,
        code: 'table.partitionInItem',
      });
      await untouched();
    });

    it("writes B's key into A's partition, never B's", async () => {
      await tableA.put({ key: B_ASSET, payload: 'from-a' });
      expect(await tableA.get(B_ASSET)).toEqual({ key: B_ASSET, payload: 'from-a' });
      await untouched();
      await tableA.delete(B_ASSET);
    });

    it.each(CRAFTED_INVALID)('refuses a key with %s', async (_label, key) => {
      await expect(tableA.put({ key, payload: 'x' })).rejects.toMatchObject({ code: 'table.invalidKey' });
      await untouched();
    });
  });

  describe('Method: update', () => {
    it("cannot update B's item: the key is looked up in A, where it does not exist, and nothing is created", async () => {
      await expect(tableA.update(B_JOB, { set: { payload: 'from-a' } })).rejects.toBeInstanceOf(
        ConditionFailedError,
      );
      expect(await tableA.get(B_JOB)).toBeUndefined();
      await untouched();
    });

    it('cannot move an item to B by setting or removing the partition or sort key', async () => {
      const key = '#job#a.example.com#noop';
      for (const spec of [{ set: { tenant: B } }, { set: { key: B_JOB } }, { remove: ['tenant'] }]) {
        await expect(tableA.update(key, spec)).rejects.toThrow(Error);
      }
      expect(await tableA.get(key)).toMatchObject({ payload: 'a' });
      await untouched();
    });

    it("cannot reach B through a condition naming B's partition", async () => {
      const condition = { expression: '#ct = :ct', names: { '#ct': 'tenant' }, values: { ':ct': B } };
      await expect(
        tableA.update('#job#a.example.com#noop', { set: { payload: 'x' } }, { condition }),
      ).rejects.toBeInstanceOf(ConditionFailedError);
      await untouched();
    });

    it.each(CRAFTED_INVALID)('refuses a key with %s', async (_label, key) => {
      await expect(tableA.update(key, { set: { payload: 'x' } })).rejects.toMatchObject({
        code: 'table.invalidKey',
      });
    });
  });

  describe('Method: delete', () => {
    it("deleting B's keys from A deletes nothing of B", async () => {
      for (const key of [B_JOB, B_ASSET, '#job#..']) await tableA.delete(key);
      await untouched();
    });

    it.each(CRAFTED_INVALID)('refuses a key with %s', async (_label, key) => {
      await expect(tableA.delete(key)).rejects.toMatchObject({ code: 'table.invalidKey' });
      await untouched();
    });
  });

  describe('Method: query', () => {
    it("lists only A's items, page after page, and A's jobs of one status", async () => {
      const keys: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await tableA.query({ limit: 1, consistent: true, ...(cursor ? { cursor } : {}) });
        keys.push(...page.items.map((i) => i.key));
        for (const item of page.items) expect(item.payload).not.toBe('b-only');
        cursor = page.cursor;
      } while (cursor);
      expect(keys.sort()).toEqual(['#asset#host#a.example.com', '#job#a.example.com#noop']);

      const queued = await tableA.query(jobListQuery({ status: 'JQ' }));
      expect(queued.items.map((i) => i.key)).toEqual(['#job#a.example.com#noop']);
      expect((await tableA.query(jobListQuery({ status: 'JP' }))).items).toEqual([]);
    });

    it.each([
      ["B's partition", cursorOf({ tenant: B, key: B_JOB })],
      ['no partition', cursorOf({ key: B_JOB })],
      ['a JSON string', cursorOf('tenant-b')],
      ['null', cursorOf(null)],
      ['not base64 JSON', '%%%not-a-cursor'],
    ])('refuses a crafted cursor with %s', async (_label, cursor) => {
      await expect(tableA.query({ cursor })).rejects.toMatchObject({
        constructor: InvalidKeyError,
        code: 'table.invalidCursor',
      });
      await expect(tableA.query({ ...jobListQuery({ status: 'JQ' }), cursor })).rejects.toMatchObject({
        code: 'table.invalidCursor',
      });
    });
  });
});

describe('Class: TenantFiles (isolation on the local endpoint)', () => {
  let filesA: TenantFiles;
  let keyB: string;
  let snapshotB: unknown[];

  beforeAll(async () => {
    const filesB = new TenantFiles(filesDeps, ctxB);
    keyB = await filesB.put('results', 'job-1/result.json', '{"b":"only"}', 'application/json');
    await filesB.put('uploads', 'in.csv', 'b,only', 'text/csv');
    await filesB.put('evidence', 'job-1/shot.txt', 'b-evidence', 'text/plain');
    filesA = new TenantFiles(filesDeps, ctxA);
    await filesA.put('results', 'job-1/result.json', '{"a":1}', 'application/json');
    snapshotB = await objectVersions(B);
  });

  const untouched = async () => {
    expect(await objectVersions(B)).toEqual(snapshotB);
    const body = await new TenantFiles(filesDeps, ctxB).get(keyB);
    expect(Buffer.from(body?.body ?? []).toString('utf8')).toBe('{"b":"only"}');
  };

  const crafted = (): (readonly [string, string, string])[] => {
    const rest = keyB.slice(B.length + 1); // results/yyyy-mm-dd/job-1/result.json
    return [
      ["B's own key", keyB, 'files.crossTenant'],
      ['A/../B/…', `${A}/../${keyB}`, 'files.invalidKey'],
      ['/B/…', `/${keyB}`, 'files.invalidKey'],
      ['A%2f..%2fB/…', `${A}%2f..%2f${keyB}`, 'files.invalidKey'],
      ['%2e%2e/…', `%2e%2e/${keyB}`, 'files.invalidKey'],
      ['double-encoded %252e%252e', `${A}/%252e%252e/${keyB}`, 'files.invalidKey'],
      [
        '.. deep in the name',
        `${A}/${rest.split('/').slice(0, 2).join('/')}/../../../${keyB}`,
        'files.invalidKey',
      ],
      ['backslashes', `${A}\\..\\${keyB}`, 'files.invalidKey'],
      ['a tenant id that extends B', `${B}x/${rest}`, 'files.crossTenant'],
    ];
  };

  it.each(['get', 'head', 'delete', 'presignGet'] as const)(
    "Method: %s refuses every crafted key with a typed error and leaves B's objects as they were",
    async (method) => {
      for (const [label, key, code] of crafted()) {
        // Another tenant's key is a CrossTenantKeyError: an InvalidKeyError the API audits.
        await expect(filesA[method](key), label).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(filesA[method](key), label).rejects.toMatchObject({ code });
      }
      await untouched();
    },
  );

  it.each(['put', 'presignPut'] as const)('Method: %s refuses names that would leave A', async (method) => {
    for (const name of [
      `../../${B}/results/x`,
      `/${B}/x`,
      `..%2f..%2f${B}%2fx`,
      `%2e%2e/%2e%2e/${B}/x`,
      'a\\..\\b',
    ]) {
      const act =
        method === 'put'
          ? filesA.put('results', name, 'overwrite', 'text/plain')
          : filesA.presignPut('results', name);
      await expect(act, name).rejects.toMatchObject({
        constructor: InvalidKeyError,
        code: 'files.invalidName',
      });
    }
    await untouched();
  });

  describe('Method: list', () => {
    it("lists only A's objects of the kind, and refuses a prefix that climbs out", async () => {
      const listing = await filesA.list('results');
      expect(listing.items.map((i) => i.key)).toEqual([
        expect.stringMatching(/^tenant-a\/results\/.+\/job-1\/result\.json$/),
      ]);
      expect(await filesA.list('evidence')).toEqual({ items: [] });
      await expect(filesA.list('results', { prefix: `../../${B}/` })).rejects.toMatchObject({
        code: 'files.invalidName',
      });
    });
  });

  describe('Method: presignPut / presignGet', () => {
    it('round-trips a file through real presigned URLs under A', async () => {
      // Prepare
      const body = JSON.stringify({ scan: 'input', at: 1 });
      const put = await filesA.presignPut('uploads', 'job-9/input.json', { contentType: 'application/json' });
      expect(put.key.startsWith(`${A}/uploads/`)).toBe(true);

      // Act
      const uploaded = await fetch(put.url, { method: 'PUT', headers: put.headers, body });
      const get = await filesA.presignGet(put.key, { expiresInSeconds: 60 });
      const downloaded = await fetch(get.url);

      // Assess
      expect(uploaded.status).toBe(200);
      expect(downloaded.status).toBe(200);
      expect(await downloaded.text()).toBe(body);
      const viaSdk = await filesA.get(put.key);
      expect(Buffer.from(viaSdk?.body ?? []).toString('utf8')).toBe(body);
      expect((await filesA.head(put.key))?.contentType).toBe('application/json');
      await untouched();
    });
  });
});

describe('Function: assumeTenant (on the local endpoint)', () => {
  const alice = ownContext({ tenant: MSP, user: 'alice@msp', roles: ['analyst'] });
  const mallory = ownContext({ tenant: MSP, user: 'mallory@msp', roles: ['analyst'] });
  const rita = ownContext({ tenant: MSP, user: 'rita@msp', roles: ['readonly'] });
  const FIVE = ['action', 'callingUser', 'assumedTenant', 'key', 'authorized'];

  beforeAll(async () => {
    await putProfile(new TenantTable(deps, ctxB), {
      name: 'Customer B',
      authorizedUsers: ['alice@msp', 'rita@msp'],
    });
    await putProfile(new TenantTable(deps, alice), { name: 'The MSP' });
  });

  const auditOf = async (tenant: string) =>
    (await listAudit(new TenantTable(deps, ownContext({ tenant, user: 'auditor', roles: ['readonly'] }))))
      .records;

  /** The audit records of `tenant` about `user` asking for `target` (found by content, not by position). */
  const auditAbout = async (tenant: string, user: string, target: string) =>
    (await auditOf(tenant)).filter((r) => r.callingUser === user && r.assumedTenant === target);

  it("lets a listed MSP user act in B: writes land in B's partition, audited in B and at home", async () => {
    // Prepare
    const { log, lines } = captureLog();

    // Act
    const ctx = await assumeTenant({ ...deps, log }, alice, B);
    await new TenantTable(deps, ctx).put({ key: '#asset#host#assumed.example.com', by: 'alice' });

    // Assess
    expect(ctx).toEqual({
      tenant: B,
      homeTenant: MSP,
      user: 'alice@msp',
      roles: ['analyst'],
      via: 'assumed',
    });
    expect((await partition(B)).map((i) => i.key)).toContain('#asset#host#assumed.example.com');
    expect((await partition(MSP)).map((i) => i.key)).not.toContain('#asset#host#assumed.example.com');
    const expected = {
      action: 'tenant:assume',
      callingUser: 'alice@msp',
      callingTenant: MSP,
      assumedTenant: B,
      key: '#tenant',
      authorized: true,
    };
    expect(await auditAbout(B, 'alice@msp', B)).toEqual([expect.objectContaining(expected)]);
    expect(await auditAbout(MSP, 'alice@msp', B)).toEqual([expect.objectContaining(expected)]);
    const logged = lines();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      level: 30,
      action: 'tenant:assume',
      callingUser: 'alice@msp',
      assumedTenant: B,
      key: '#tenant',
      authorized: true,
    });
  });

  it('denies a user B does not list, audits it in B and at home, and logs one warn line, no error', async () => {
    // Prepare
    const { log, lines } = captureLog();

    // Act
    const denied = assumeTenant({ ...deps, log }, mallory, B);

    // Assess
    await expect(denied).rejects.toMatchObject({ constructor: ForbiddenError, code: 'tenant.assumeDenied' });
    const expected = { callingUser: 'mallory@msp', assumedTenant: B, key: '#tenant', authorized: false };
    expect(await auditAbout(B, 'mallory@msp', B)).toEqual([expect.objectContaining(expected)]);
    expect(await auditAbout(MSP, 'mallory@msp', B)).toEqual([expect.objectContaining(expected)]);
    const logged = lines();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 40, ...expected, action: 'tenant:assume' });
    for (const field of FIVE) expect(logged[0]).toHaveProperty(field);
    expect(logged.filter((line) => line.level >= 50)).toEqual([]);
  });

  it('denies a listed user whose role may not assume, the same way', async () => {
    const { log, lines } = captureLog();
    await expect(assumeTenant({ ...deps, log }, rita, B)).rejects.toMatchObject({
      code: 'tenant.assumeDenied',
    });
    expect(await auditAbout(B, 'rita@msp', B)).toEqual([expect.objectContaining({ authorized: false })]);
    expect(lines().map((l) => l.level)).toEqual([40]);
  });

  it('answers a missing or invalid tenant exactly like a refusal, audits at home only, creates no partition', async () => {
    // An invalid id is stored JSON-quoted and bounded (it is attacker-chosen text).
    for (const [target, stored] of [
      ['ghost-tenant', 'ghost-tenant'],
      ['tenant-b/../x', '"tenant-b/../x"'],
    ] as const) {
      const { log, lines } = captureLog();
      const error = await assumeTenant({ ...deps, log }, mallory, target).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ForbiddenError);
      expect(error).toMatchObject({
        code: 'tenant.assumeDenied',
        message: 'user mallory@msp may not assume this tenant',
      });
      expect(await auditAbout(MSP, 'mallory@msp', stored)).toEqual([
        expect.objectContaining({ authorized: false, key: '#tenant' }),
      ]);
      expect(lines().map((l) => l.level)).toEqual([40]);
    }
    const partitions = new Set(
      (
        (await stack.clients.doc.send(new ScanCommand({ TableName: stack.config.resources.table }))).Items ??
        []
      ).map((i) => i.tenant),
    );
    expect([...partitions].sort()).toEqual([MSP, A, B].sort());
  });

  it('returns the own context for the home tenant, without an audit event', async () => {
    const { log, lines } = captureLog();
    const assumed: TenantContext = { ...alice, tenant: B, via: 'assumed' };
    const before = (await auditOf(MSP)).length;
    expect(await assumeTenant({ ...deps, log }, assumed, MSP)).toEqual(alice);
    expect((await auditOf(MSP)).length).toBe(before);
    expect(lines()).toEqual([]);
  });
});
