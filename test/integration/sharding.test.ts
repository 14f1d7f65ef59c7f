/**
 * A hot tenant's write shards (profile `shards: 4`) on DynamoDB Local (the load profile): the
 * insert rules, claims, isolation, listing and the sweeper work across `tenant#n` partitions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/aws/index.js';
import { type Config, loadConfig } from '../../src/config/index.js';
import { claimJob, finishJob, jobListQuery } from '../../src/jobs/index.js';
import { createLogger } from '../../src/lib/logger.js';
import {
  type BootstrapReport,
  bootstrap,
  type LocalAws,
  startLocalAws,
  stopLocalAws,
} from '../../src/local-aws/index.js';
import {
  createProducer,
  createSweeper,
  type EnqueueAccepted,
  type Producer,
} from '../../src/producer/index.js';
import {
  ConditionFailedError,
  getProfile,
  ownContext,
  putProfile,
  systemContext,
  TenantTable,
} from '../../src/tenancy/index.js';
import { drainQueue } from '../helpers/queue.js';

const silent = createLogger({ level: 'silent' });
const ctxOf = (tenant: string) => ownContext({ tenant, user: `svc@${tenant}`, roles: ['service'] });
const FIRST_START_MS = 15 * 60_000;

describe('Write shards of a tenant (profile shards: 4) on DynamoDB Local', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'scanq-shards-'));
  let aws: LocalAws | undefined;
  let config: Config;
  let clients: AwsClients;
  let report: BootstrapReport;
  let producer: Producer;
  const HOT = 't-hot';
  const OTHER = 't-other';
  const tableOf = (tenant: string) =>
    new TenantTable({ doc: clients.doc, tableName: config.resources.table }, ctxOf(tenant));
  const targets = Array.from({ length: 40 }, (_, i) => `host-${String(i).padStart(2, '0')}.example.com`);
  let keys: string[] = [];

  beforeAll(async () => {
    aws = await startLocalAws({
      profile: 'load',
      mode:
        process.env.SCANQ_MOTO === 'venv' || process.env.SCANQ_MOTO === 'system'
          ? process.env.SCANQ_MOTO
          : 'auto',
      detached: false,
      stateDir,
      say: (line) => process.stderr.write(`[sharding] ${line}\n`),
    });
    config = loadConfig({ ...aws.env, SCANQ_PREFIX: 'shards', LOG_LEVEL: 'silent' });
    clients = createAwsClients(config);
    report = await bootstrap(config, clients);
    config = loadConfig({
      ...aws.env,
      SCANQ_PREFIX: 'shards',
      LOG_LEVEL: 'silent',
      SCANQ_QUEUE_URL: report.queueUrl,
      SCANQ_TOPIC_ARN: report.topicArn,
    });
    producer = await createProducer(config, { clients, log: silent });
    await putProfile(tableOf(HOT), { name: 'Hot', shards: 4 });
    await putProfile(tableOf(OTHER), { name: 'Other', shards: 4 });
  }, FIRST_START_MS);

  afterAll(async () => {
    producer?.close();
    clients?.destroy();
    if (aws) await stopLocalAws(aws);
    rmSync(stateDir, { recursive: true, force: true });
  }, 60_000);

  it('stores the profile with its shards and keeps the count fixed', async () => {
    expect((await getProfile(tableOf(HOT)))?.shards).toBe(4);
    await expect(putProfile(tableOf(HOT), { name: 'Hot', shards: 8 })).rejects.toMatchObject({
      code: 'tenant.invalidProfile',
      issues: [{ field: 'shards', message: expect.stringMatching(/cannot change/) }],
    });
    // Leaving it out keeps it.
    expect((await putProfile(tableOf(HOT), { name: 'Hot again' })).shards).toBe(4);
  });

  it('inserts every job once under tenant#n partitions, and the insert rules refuse a repeat', async () => {
    const first = await producer.enqueue(
      ctxOf(HOT),
      targets.map((target) => ({ capability: 'noop', target })),
    );
    expect(first.every((r) => r.accepted && r.enqueued)).toBe(true);
    keys = first.map((r) => (r as EnqueueAccepted).key).sort();
    const again = await producer.enqueue(
      ctxOf(HOT),
      targets.map((target) => ({ capability: 'noop', target })),
    );
    expect(again.every((r) => !r.accepted)).toBe(true);

    const byPartition = new Map<string, number>();
    for (const partition of [HOT, ...[0, 1, 2, 3].map((n) => `${HOT}#${n}`)]) {
      const out = await clients.doc.send(
        new QueryCommand({
          TableName: config.resources.table,
          KeyConditionExpression: 'tenant = :p AND begins_with(#k, :job)',
          ExpressionAttributeNames: { '#k': 'key' },
          ExpressionAttributeValues: { ':p': partition, ':job': '#job#' },
        }),
      );
      byPartition.set(partition, out.Items?.length ?? 0);
    }
    expect(byPartition.get(HOT)).toBe(0);
    expect([0, 1, 2, 3].every((n) => (byPartition.get(`${HOT}#${n}`) ?? 0) > 0)).toBe(true);
    expect([...byPartition.values()].reduce((a, b) => a + b, 0)).toBe(40);
    // A tenant with jobs cannot become sharded afterwards.
    await producer.enqueue(ctxOf('t-late'), [{ capability: 'noop', target: 'late.example.com' }]);
    await expect(putProfile(tableOf('t-late'), { name: 'Late', shards: 4 })).rejects.toMatchObject({
      issues: [{ field: 'shards' }],
    });
    await drainQueue(clients.sqs, report.queueUrl);
  });

  it('lists the tenant’s jobs merged in key order across shards, page after page, with a status filter', async () => {
    const listed: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await tableOf(HOT).query({
        ...jobListQuery({}),
        limit: 7,
        consistent: true,
        ...(cursor ? { cursor } : {}),
      });
      listed.push(...page.items.map((i) => i.key));
      cursor = page.cursor;
      pages++;
    } while (cursor && pages < 100);
    expect(listed).toEqual(keys);

    const backwards = await tableOf(HOT).query({
      ...jobListQuery({}),
      limit: 5,
      forward: false,
      consistent: true,
    });
    expect(backwards.items.map((i) => i.key)).toEqual([...keys].reverse().slice(0, 5));
  });

  it('claims once, fences the finish by owner, and lists by status across shards', async () => {
    const key = keys[7] ?? '';
    const now = new Date();
    const options = { now, capability: 'noop', leaseMs: 60_000 };
    const claim = claimJob({ ...options, owner: 'w1:a' });
    const claimed = await tableOf(HOT).update(key, claim.update, { condition: claim.condition });
    expect(claimed.attempt).toBe(1);
    const second = claimJob({ ...options, owner: 'w2:b' });
    await expect(
      tableOf(HOT).update(key, second.update, { condition: second.condition }),
    ).rejects.toBeInstanceOf(ConditionFailedError);
    const running = await tableOf(HOT).query({ ...jobListQuery({ status: 'JR' }), consistent: true });
    expect(running.items.map((i) => i.key)).toEqual([key]);

    const execution = { worker: 'w1', startedAt: now.toISOString() };
    const foreign = finishJob({ owner: 'w2:b', attempt: 1 }, { code: 'JP', now, execution });
    await expect(
      tableOf(HOT).update(key, foreign.update, { condition: foreign.condition }),
    ).rejects.toBeInstanceOf(ConditionFailedError);
    const own = finishJob({ owner: 'w1:a', attempt: 1 }, { code: 'JP', now, execution, resultKey: 'r' });
    await tableOf(HOT).update(key, own.update, { condition: own.condition });
    const passed = await tableOf(HOT).query({ ...jobListQuery({ status: 'JP' }), consistent: true });
    expect(passed.items.map((i) => i.key)).toEqual([key]);
  });

  it('keeps another sharded tenant out: no read, no listing, no cursor', async () => {
    const key = keys[0] ?? '';
    expect(await tableOf(OTHER).get(key, { consistent: true })).toBeUndefined();
    expect((await tableOf(OTHER).query({ ...jobListQuery({}), consistent: true })).items).toEqual([]);
    const page = await tableOf(HOT).query({ ...jobListQuery({}), limit: 3 });
    expect(page.cursor).toBeDefined();
    await expect(tableOf(OTHER).query({ ...jobListQuery({}), cursor: page.cursor })).rejects.toMatchObject({
      code: 'table.invalidCursor',
    });
  });

  it('finds a sharded tenant’s lost job through by-open and re-sends it', async () => {
    const later = new Date(Date.now() + config.sweeper.lostEnqueueAfterMs + 60_000);
    const sweeper = createSweeper(config, {
      clients,
      queueUrl: report.queueUrl,
      topicArn: report.topicArn,
      log: silent,
      now: () => later,
    });
    const swept = await sweeper.sweepOnce();
    // 39 of HOT's jobs are still queued (one passed), and t-late's one.
    expect(swept).toMatchObject({ resent: 40, sendFailures: 0 });
    const messages = await drainQueue(clients.sqs, report.queueUrl);
    const resentHot = messages
      .map((m) => JSON.parse(m.Body ?? '{}') as { tenant: string; key: string })
      .filter((m) => m.tenant === HOT)
      .map((m) => m.key)
      .sort();
    expect(resentHot).toEqual(keys.filter((k) => k !== keys[7]));
    // And the job a worker reads for such a message is the sharded item.
    const table = new TenantTable(
      { doc: clients.doc, tableName: config.resources.table },
      systemContext(HOT, 'worker'),
    );
    expect(await table.get(resentHot[0] ?? '', { consistent: true })).toMatchObject({ capability: 'noop' });
  });
});
