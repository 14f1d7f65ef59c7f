import { DescribeTableCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/index.js';
import { claimJob, handOffJob, JobValidationError } from '../../src/jobs/index.js';
import { createLogger } from '../../src/lib/logger.js';
import {
  createProducer,
  createSweeper,
  type EnqueueAccepted,
  type Producer,
} from '../../src/producer/index.js';
import { migrateToOpenIndex } from '../../src/producer/migrate.js';
import { ForbiddenError, ownContext, TenantTable } from '../../src/tenancy/index.js';
import { faultMiddleware } from '../../tools/instrument/faults.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { drainQueue, queueDepth } from '../helpers/queue.js';

const silent = createLogger({ level: 'silent' });
const ctxOf = (tenant: string) => ownContext({ tenant, user: `svc@${tenant}`, roles: ['service'] });

describe('Function: producer.enqueue', () => {
  let stack: TestStack;
  let producer: Producer;
  const tableOf = (tenant: string) =>
    new TenantTable({ doc: stack.clients.doc, tableName: stack.config.resources.table }, ctxOf(tenant));

  beforeAll(async () => {
    stack = await createTestStack('producer');
    producer = await createProducer(stack.config, { clients: stack.clients, log: silent });
  });
  afterAll(async () => {
    producer.close();
    await destroyTestStack(stack);
  });

  it('refuses a readonly caller before anything is written', async () => {
    const readonly = ownContext({ tenant: 't-readonly', user: 'viewer', roles: ['readonly'] });
    const error = await producer
      .enqueue(readonly, [{ capability: 'noop', target: 'x' }])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as ForbiddenError).code).toBe('tenant.forbidden');
    expect((await tableOf('t-readonly').query({ prefix: '#job#' })).items).toEqual([]);
  });

  it('refuses bad input with a typed error naming the field, writing and sending nothing', async () => {
    const tenant = 't-bad-input';
    const bad: unknown[][] = [
      [{ capability: 'does-not-exist', target: 'x' }],
      [{ capability: 'noop', target: '' }],
      [{ capability: 'noop', target: 'y'.repeat(5_000) }],
      [{ capability: 'noop', target: 'evil\u0000name' }],
      [{ capability: 'noop', target: 12 }],
      [
        { capability: 'noop', target: 'ok-1' },
        { capability: 'noop', target: 'has space' },
      ],
    ];
    const fields: string[][] = [];
    for (const requests of bad) {
      const error = await producer.enqueue(ctxOf(tenant), requests).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JobValidationError);
      fields.push((error as JobValidationError).issues.map((i) => i.field));
    }
    expect(fields).toEqual([
      ['capability'],
      ['target'],
      ['target'],
      ['target'],
      ['target'],
      ['jobs[1].target'],
    ]);
    expect((await tableOf(tenant).query({ prefix: '#job#' })).items).toEqual([]);
    expect(await queueDepth(stack.clients.sqs, stack.report.queueUrl)).toBe(0);
  });

  it('enqueues 1,000 jobs across 5 tenants with exactly one tenant-tagged message each; a repeat is rejected by rule 1', async () => {
    // Prepare
    const tenants = ['t-alpha', 't-bravo', 't-charlie', 't-delta', 't-echo'];
    const requests = (tenant: string) =>
      Array.from({ length: 200 }, (_, i) => ({ capability: 'noop', target: `${tenant}-host-${i}` }));

    // Act: batches of 100 per call, tenants in parallel
    const results = (
      await Promise.all(
        tenants.map(async (tenant) => {
          const all = requests(tenant);
          const first = await producer.enqueue(ctxOf(tenant), all.slice(0, 100));
          const second = await producer.enqueue(ctxOf(tenant), all.slice(100));
          return [...first, ...second].map((r) => ({ tenant, r }));
        }),
      )
    ).flat();
    // Each tenant's burst goes to the jobs lane and the rest to the bulk lane: one message each in all.
    const messages = [
      ...(await drainQueue(stack.clients.sqs, stack.report.queueUrl)),
      ...(await drainQueue(stack.clients.sqs, stack.report.bulkQueueUrl)),
    ];

    // Assess
    expect(results).toHaveLength(1_000);
    expect(results.every(({ r }) => r.accepted && r.enqueued && r.rule === 'new')).toBe(true);
    const seen = new Map<string, number>();
    for (const m of messages) {
      const body = JSON.parse(m.Body ?? '{}') as { tenant: string; key: string; v: number };
      expect(body.v).toBe(1);
      expect(m.MessageAttributes?.tenant?.StringValue).toBe(body.tenant);
      expect(m.MessageAttributes?.capability?.StringValue).toBe('noop');
      expect(m.MessageAttributes?.traceparent?.StringValue).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      const id = `${body.tenant}|${body.key}`;
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    expect(seen.size).toBe(1_000);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    for (const { tenant, r } of results) expect(seen.has(`${tenant}|${r.key}`)).toBe(true);

    // A repeat of the same jobs: rejected by rule 1, nothing sent.
    const again = await producer.enqueue(ctxOf('t-alpha'), requests('t-alpha').slice(0, 50));
    expect(
      again.every((r) => !r.accepted && r.reason === 'alreadyQueued' && r.storedStatus?.startsWith('JQ#')),
    ).toBe(true);
    expect(await queueDepth(stack.clients.sqs, stack.report.queueUrl)).toBe(0);
    // moto's SQS slows with a backlog of 1,000 (LOCAL-AWS.md): ~40 s on a quiet machine.
  }, 240_000);
});

describe('Function: createSweeper — lost enqueues', () => {
  let stack: TestStack;
  const tableOf = (tenant: string) =>
    new TenantTable({ doc: stack.clients.doc, tableName: stack.config.resources.table }, ctxOf(tenant));

  beforeAll(async () => {
    stack = await createTestStack('sweeper');
  });
  afterAll(async () => {
    await destroyTestStack(stack);
  });

  it('recovers a send that failed after the insert: the sweeper re-sends it, once, across two replicas', async () => {
    // Prepare: a producer whose SendMessageBatch always fails (the SDK does not retry it).
    const failing = createAwsClients(stack.config, {
      maxAttempts: 1,
      middleware: [
        faultMiddleware({ rate: 1, match: (service, op) => service === 'SQS' && op === 'SendMessageBatch' }),
      ],
    });
    const broken = await createProducer(stack.config, { clients: failing, log: silent });
    const tenant = 't-lost';
    const results = await broken.enqueue(
      ctxOf(tenant),
      Array.from({ length: 12 }, (_, i) => ({ capability: 'noop', target: `lost-${i}` })),
    );
    failing.destroy();
    expect(results.every((r) => r.accepted && !r.enqueued)).toBe(true);
    expect(await queueDepth(stack.clients.sqs, stack.report.queueUrl)).toBe(0);
    const stored = await tableOf(tenant).query({ prefix: '#job#' });
    expect(stored.items.map((i) => String(i.status).slice(0, 3))).toEqual(Array(12).fill('JQ#'));

    // Act: too early, nothing is stale; then two sweeper replicas 6 minutes later, concurrently.
    const early = createSweeper(stack.config, {
      clients: stack.clients,
      queueUrl: stack.report.queueUrl,
      topicArn: stack.report.topicArn,
      log: silent,
    });
    expect((await early.sweepOnce()).resent).toBe(0);
    const later = () => new Date(Date.now() + 6 * 60_000);
    const replicas = [1, 2].map(() =>
      createSweeper(stack.config, {
        clients: stack.clients,
        queueUrl: stack.report.queueUrl,
        topicArn: stack.report.topicArn,
        log: silent,
        now: later,
      }),
    );
    const reports = await Promise.all(replicas.map((s) => s.sweepOnce()));

    // Assess: every lost job re-sent, each claimed by one replica. Exactly 12
    // on DynamoDB; moto does not serialize concurrent conditional writes (LOCAL-AWS.md), and once in
    // a CI run both replicas' claims of one job succeeded — a duplicate message, which claims absorb.
    const resent = reports.reduce((n, r) => n + r.resent, 0);
    expect(resent).toBeGreaterThanOrEqual(12);
    const messages = await drainQueue(stack.clients.sqs, stack.report.queueUrl);
    const keys = [
      ...new Set(messages.map((m) => (JSON.parse(m.Body ?? '{}') as { key: string }).key)),
    ].sort();
    expect(keys).toEqual(results.map((r) => (r as EnqueueAccepted).key).sort());
    expect(messages).toHaveLength(resent);
    // And a further sweep at the same moment finds nothing stale.
    expect((await replicas[0]?.sweepOnce())?.resent).toBe(0);
  });
});

describe('Function: createSweeper — leases, async deadlines and the by-open index', () => {
  let stack: TestStack;
  let producer: Producer;
  const tenant = 't-open';
  const tableOf = () =>
    new TenantTable({ doc: stack.clients.doc, tableName: stack.config.resources.table }, ctxOf(tenant));
  const sweeperAt = (at: Date) =>
    createSweeper(stack.config, {
      clients: stack.clients,
      queueUrl: stack.report.queueUrl,
      topicArn: stack.report.topicArn,
      log: silent,
      now: () => at,
    });
  const plus = (at: Date, ms: number) => new Date(at.getTime() + ms);

  beforeAll(async () => {
    stack = await createTestStack('open-index');
    producer = await createProducer(stack.config, { clients: stack.clients, log: silent });
  });
  afterAll(async () => {
    producer.close();
    await destroyTestStack(stack);
  });

  async function enqueueOne(target: string): Promise<string> {
    const [job] = await producer.enqueue(ctxOf(tenant), [{ capability: 'noop', target }]);
    if (!job?.accepted) throw new Error('not accepted');
    await drainQueue(stack.clients.sqs, stack.report.queueUrl);
    return job.key;
  }

  it('postpones a running job until its lease has been over for the delay, then re-sends it', async () => {
    const key = await enqueueOne('leased');
    const now = new Date();
    const lostAfter = stack.config.sweeper.lostEnqueueAfterMs;
    const claim = claimJob({ now, owner: 'w:1', capability: 'noop', leaseMs: 60_000 });
    await tableOf().update(key, claim.update, { condition: claim.condition });

    // Due (inserted a delay ago) but the lease has not been over that long: look again later.
    const first = await sweeperAt(plus(now, lostAfter + 30_000)).sweepOnce();
    expect(first).toMatchObject({ resent: 0, postponed: 1 });
    const postponed = await tableOf().get(key, { consistent: true });
    expect(postponed?.sweepAt).toBe(plus(now, 60_000).toISOString());

    const second = await sweeperAt(plus(now, 60_000 + lostAfter + 1_000)).sweepOnce();
    expect(second).toMatchObject({ resent: 1, postponed: 0 });
    const messages = await drainQueue(stack.clients.sqs, stack.report.queueUrl);
    expect(messages.map((m) => (JSON.parse(m.Body ?? '{}') as { key: string }).key)).toEqual([key]);
  });

  it('fails a handed-off job once its deadline has passed by the delay, which takes it out of by-open', async () => {
    const key = await enqueueOne('async');
    const now = new Date();
    const owner = { owner: 'w:2', attempt: 1 };
    const claim = claimJob({ now, ...owner, capability: 'noop', leaseMs: 60_000 });
    await tableOf().update(key, claim.update, { condition: claim.condition });
    const deadline = plus(now, 120_000);
    const handOff = handOffJob(owner, {
      now,
      asyncRef: 'ext-1',
      deadline,
      execution: { worker: 'w', startedAt: now.toISOString() },
    });
    await tableOf().update(key, handOff.update, { condition: handOff.condition });

    const lostAfter = stack.config.sweeper.lostEnqueueAfterMs;
    expect(await sweeperAt(plus(deadline, lostAfter - 1_000)).sweepOnce()).toMatchObject({ expired: 0 });
    expect(await sweeperAt(plus(deadline, lostAfter + 1_000)).sweepOnce()).toMatchObject({ expired: 1 });
    const failed = await tableOf().get(key, { consistent: true });
    expect(String(failed?.status)).toMatch(/^JF#/);
    expect(failed).not.toHaveProperty('openKey');
    expect(failed).not.toHaveProperty('sweepAt');
  });

  it('migrates a table of the old layout: open jobs into by-open, finished ones cleaned, old index dropped; once', async () => {
    // Prepare: the old sweeper index and two jobs as the old code stored them.
    const { table } = stack.config.resources;
    await stack.clients.dynamodb.send(
      new UpdateTableCommand({
        TableName: table,
        AttributeDefinitions: [
          { AttributeName: 'sweepKey', AttributeType: 'S' },
          { AttributeName: 'updated', AttributeType: 'S' },
        ],
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              IndexName: 'by-sweep',
              KeySchema: [
                { AttributeName: 'sweepKey', KeyType: 'HASH' },
                { AttributeName: 'updated', KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'KEYS_ONLY' },
            },
          },
        ],
      }),
    );
    const created = new Date(Date.now() - 3_600_000).toISOString();
    const legacy = (key: string, status: string) => ({
      key,
      kind: 'job',
      capability: 'noop',
      target: key.split('#')[2] ?? 'x',
      status: `${status}#${created}`,
      phase: 'JQ',
      attempt: 0,
      created,
      updated: created,
      sweepKey: `${status}#3`,
    });
    await tableOf().put(legacy('#job#old-queued#noop', 'JQ'));
    await tableOf().put(legacy('#job#old-passed#noop', 'JP'));
    const now = new Date();
    const options = { db: stack.clients.dynamodb, shards: stack.config.indexShards, now };
    const deps = { doc: stack.clients.doc, tableName: table };

    // Act
    const report = await migrateToOpenIndex(deps, options);
    const again = await migrateToOpenIndex(deps, options);

    // Assess
    expect(report).toEqual({ adopted: 1, cleaned: 1, skipped: 0, droppedIndexes: ['by-sweep'] });
    expect(again).toEqual({ adopted: 0, cleaned: 0, skipped: 0, droppedIndexes: [] });
    const queued = await tableOf().get('#job#old-queued#noop', { consistent: true });
    expect(queued).toMatchObject({ openKey: expect.stringMatching(/^open#\d+$/) });
    expect(queued).not.toHaveProperty('sweepKey');
    const passed = await tableOf().get('#job#old-passed#noop', { consistent: true });
    expect(passed).not.toHaveProperty('sweepKey');
    expect(passed).not.toHaveProperty('openKey');
    const described = await stack.clients.dynamodb.send(new DescribeTableCommand({ TableName: table }));
    expect((described.Table?.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName).sort()).toEqual([
      'by-due',
      'by-open',
    ]);
    // The adopted job is found by the sweeper like any other queued job.
    const later = plus(now, stack.config.sweeper.lostEnqueueAfterMs + 1_000);
    expect(await sweeperAt(later).sweepOnce()).toMatchObject({ resent: 1 });
  });
});
