import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/index.js';
import { JobValidationError } from '../../src/jobs/index.js';
import { createLogger } from '../../src/lib/logger.js';
import {
  createProducer,
  createSweeper,
  type EnqueueAccepted,
  type Producer,
} from '../../src/producer/index.js';
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
    const messages = await drainQueue(stack.clients.sqs, stack.report.queueUrl);

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
