import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type STATUS, statusValue, validateJobRequests } from '../../src/jobs/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { createProducer, type Producer } from '../../src/producer/index.js';
import { ownContext, TenantTable } from '../../src/tenancy/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { drainQueue } from '../helpers/queue.js';

const NOW = new Date('2026-11-23T12:00:00.000Z');
const H = 3_600_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms);

interface Case {
  readonly name: string;
  /** Stored job before the insert, or none. */
  readonly stored?: { code: string; createdAgoMs: number; allowRepeat?: boolean };
  readonly inbound: typeof STATUS.queued | typeof STATUS.asyncReturning;
  readonly expect: { accepted: true; rule: string } | { accepted: false; reason: string };
}

const CASES: readonly Case[] = [
  { name: 'rule 1 +: no stored job', inbound: 'JQ', expect: { accepted: true, rule: 'new' } },
  {
    name: 'rule 1 −: stored queued',
    stored: { code: 'JQ', createdAgoMs: H },
    inbound: 'JQ',
    expect: { accepted: false, reason: 'alreadyQueued' },
  },
  {
    name: 'rule 2 +: stored failed',
    stored: { code: 'JF', createdAgoMs: H },
    inbound: 'JQ',
    expect: { accepted: true, rule: 'previousFailed' },
  },
  {
    name: 'rule 2 −: stored running',
    stored: { code: 'JR', createdAgoMs: H },
    inbound: 'JQ',
    expect: { accepted: false, reason: 'alreadyRunning' },
  },
  {
    name: 'rule 3 +: JQA over JRA',
    stored: { code: 'JRA', createdAgoMs: H },
    inbound: 'JQA',
    expect: { accepted: true, rule: 'asyncReturning' },
  },
  {
    name: 'rule 3 −: JQ over JRA',
    stored: { code: 'JRA', createdAgoMs: H },
    inbound: 'JQ',
    expect: { accepted: false, reason: 'alreadyRunning' },
  },
  {
    name: 'rule 3 − (JR/JRA prefix trap): JQA over JR',
    stored: { code: 'JR', createdAgoMs: H },
    inbound: 'JQA',
    expect: { accepted: false, reason: 'notReturnable' },
  },
  {
    name: 'rule 4 +: passed 13 h ago',
    stored: { code: 'JP', createdAgoMs: 13 * H },
    inbound: 'JQ',
    expect: { accepted: true, rule: 'rescanDue' },
  },
  {
    name: 'rule 4 −: passed 11 h ago',
    stored: { code: 'JP', createdAgoMs: 11 * H },
    inbound: 'JQ',
    expect: { accepted: false, reason: 'recentlyPassed' },
  },
  {
    name: 'rule 5 +: allowRepeat',
    stored: { code: 'JQ', createdAgoMs: H, allowRepeat: true },
    inbound: 'JQ',
    expect: { accepted: true, rule: 'allowRepeat' },
  },
  {
    name: 'rule 5 −: allowRepeat false',
    stored: { code: 'JR', createdAgoMs: H, allowRepeat: false },
    inbound: 'JQ',
    expect: { accepted: false, reason: 'alreadyRunning' },
  },
  {
    name: 'rule 6 +: running job created 49 h ago',
    stored: { code: 'JR', createdAgoMs: 49 * H },
    inbound: 'JQ',
    expect: { accepted: true, rule: 'safetyNet' },
  },
  {
    name: 'rule 6 −: running job created 47 h ago',
    stored: { code: 'JR', createdAgoMs: 47 * H },
    inbound: 'JQ',
    expect: { accepted: false, reason: 'alreadyRunning' },
  },
];

describe('Function: producer.insert — the six rules against the real endpoint', () => {
  let stack: TestStack;
  let producer: Producer;
  const ctx = ownContext({ tenant: 'rules-tenant', user: 'svc-1', roles: ['service'] });
  const accepted = new Set<string>();

  beforeAll(async () => {
    stack = await createTestStack('rules');
    producer = await createProducer(stack.config, {
      clients: stack.clients,
      now: () => NOW,
      log: createLogger({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    producer.close();
    await destroyTestStack(stack);
  });

  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, i) => {
    // Prepare
    const table = new TenantTable({ doc: stack.clients.doc, tableName: stack.config.resources.table }, ctx);
    const [job] = validateJobRequests([{ capability: 'noop', target: `case-${i}` }], producer.registry);
    if (!job) throw new Error('no job');
    const key = job.key;
    if (c.stored) {
      const created = ago(c.stored.createdAgoMs);
      await table.put({
        key,
        capability: 'noop',
        target: job.target,
        status: `${c.stored.code}#${created.toISOString()}`,
        created: created.toISOString(),
        allowRepeat: c.stored.allowRepeat ?? false,
      });
    }
    const before = await table.get(key);

    // Act
    const [result] = await producer.insert(ctx, [{ ...job, status: c.inbound }]);

    // Assess
    expect(result).toMatchObject(c.expect);
    const after = await table.get(key);
    if (c.expect.accepted) {
      accepted.add(key);
      expect(after?.status).toBe(statusValue(c.inbound, NOW));
      expect(after?.created).toBe(NOW.toISOString());
      expect(result?.accepted && result.enqueued).toBe(true);
    } else {
      expect(after).toEqual(before);
      if (!result?.accepted) expect(result?.storedStatus).toBe(before?.status);
    }
  });

  it('sent exactly one message for each accepted insert and none for the rejected', async () => {
    const messages = await drainQueue(stack.clients.sqs, stack.report.queueUrl);
    const keys = messages.map((m) => (JSON.parse(m.Body ?? '{}') as { key: string }).key);
    expect(keys.sort()).toEqual([...accepted].sort());
    expect(accepted.size).toBe(CASES.filter((c) => c.expect.accepted).length);
  });
});
