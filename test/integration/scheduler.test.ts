import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { type LocalAws, startLocalAws, stopLocalAws } from '../../src/local-aws/index.js';
import { createProducer, type Producer } from '../../src/producer/index.js';
import {
  createScheduler,
  parseScheduleInput,
  SCHEDULE_EXECUTION_PREFIX,
  scheduleItem,
  scheduleKey,
} from '../../src/scheduler/index.js';
import { type Item, systemContext } from '../../src/tenancy/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { testRegistry } from '../helpers/capabilities.js';
import { drainQueue } from '../helpers/queue.js';
import { stackEnv, tableOf } from '../helpers/stack-extras.js';
import { eventually, WorkerProcess } from '../helpers/worker-process.js';

const silent = createLogger({ level: 'silent' });
const HOUR = 3_600_000;

let stack: TestStack;
let producer: Producer;

// A stack per test: clocks jump ahead, and must not make another test's schedules due.
beforeEach(async () => {
  stack = await createTestStack('sched');
  producer = await createProducer(stack.config, {
    clients: stack.clients,
    log: silent,
    registry: testRegistry(),
  });
});

afterEach(async () => {
  producer.close();
  await destroyTestStack(stack);
});

const table = (tenant: string) => tableOf(stack, systemContext(tenant, 'test'));

/** Stores a schedule of `capability` over `targets`, first due at `due`. */
async function putSchedule(
  tenant: string,
  id: string,
  fields: {
    targets: string[];
    due: Date;
    interval?: string;
    cron?: string;
    capability?: string;
    input?: Record<string, unknown>;
  },
): Promise<void> {
  const spec = parseScheduleInput(
    {
      capability: fields.capability ?? 'noop',
      targets: fields.targets,
      ...(fields.input ? { input: fields.input } : {}),
      ...(fields.cron ? { cron: fields.cron } : { interval: fields.interval ?? '1h' }),
    },
    testRegistry(),
  );
  const item = scheduleItem(spec, {
    id,
    tenant,
    now: new Date(),
    shards: stack.config.indexShards,
    createdBy: 'test',
  });
  await table(tenant).put({ ...item, nextRun: fields.due.toISOString() });
}

async function executions(tenant: string): Promise<Item[]> {
  return (await table(tenant).query({ prefix: SCHEDULE_EXECUTION_PREFIX, consistent: true })).items;
}

/** A producer that counts what it is asked to enqueue, per job key. */
function countingProducer(inner: Pick<Producer, 'enqueue'>) {
  const asked = new Map<string, number>();
  return {
    asked,
    enqueue: (async (ctx, requests, options) => {
      for (const r of requests as { target: string; capability: string }[]) {
        const id = `${ctx.tenant}/${r.target}`;
        asked.set(id, (asked.get(id) ?? 0) + 1);
      }
      return inner.enqueue(ctx, requests, options);
    }) satisfies Producer['enqueue'],
  };
}

// moto has no lock around a DynamoDB check-and-write (LOCAL-AWS.md): a race of schedulers
// over one schedule can let two conditional updates both pass there (a clean-clone run saw 23 of
// 20). The race runs on DynamoDB Local (the load profile), the reference for conditional writes.
const raceDir = mkdtempSync(join(tmpdir(), 'scanq-sched-race-'));
let raceAws: LocalAws | undefined;
beforeAll(async () => {
  raceAws = await startLocalAws({
    profile: 'load',
    mode:
      process.env.SCANQ_MOTO === 'venv' || process.env.SCANQ_MOTO === 'system'
        ? process.env.SCANQ_MOTO
        : 'auto',
    detached: false,
    stateDir: raceDir,
    say: (line) => process.stderr.write(`[scheduler race] ${line}\n`),
  });
}, 15 * 60_000);
afterAll(async () => {
  if (raceAws) await stopLocalAws(raceAws);
  rmSync(raceDir, { recursive: true, force: true });
}, 60_000);

/** Moves this test's stack (and producer) onto the load-profile endpoint, for the races. */
async function raceOnDynamoDbLocal(): Promise<void> {
  if (!raceAws) throw new Error('the load-profile endpoint did not start');
  producer.close();
  await destroyTestStack(stack);
  stack = await createTestStack('race', { env: raceAws.env });
  producer = await createProducer(stack.config, {
    clients: stack.clients,
    log: silent,
    registry: testRegistry(),
  });
}

describe('Command: scanq scheduler', () => {
  it('two scheduler processes over 20 due schedules fire each exactly once', async () => {
    await raceOnDynamoDbLocal();
    const tenants = ['p-a', 'p-b', 'p-c'];
    const env = stackEnv(stack, { SCANQ_SCHEDULER_INTERVAL: '300ms' });
    const processes = [new WorkerProcess(env, [], ['scheduler']), new WorkerProcess(env, [], ['scheduler'])];
    try {
      await Promise.all(processes.map((p) => p.waitFor(/scheduler started/)));
      // Due before either process sees them, so both race for the same due times.
      const due = new Date(Date.now() - 60_000);
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          putSchedule(tenants[i % 3] ?? 'p-a', `proc-${i}`, { targets: [`h${i}-a`, `h${i}-b`], due }),
        ),
      );
      await eventually(
        async () => ((await Promise.all(tenants.map(executions))).flat().length >= 20 ? true : undefined),
        20_000,
        '20 executions',
      );
      // Several more ticks of both processes after the last fire: nothing may fire again.
      const ticks = processes.map((p) => p.lines.filter((l) => l.includes('scheduler tick')).length);
      await eventually(
        async () =>
          processes.every(
            (p, n) => p.lines.filter((l) => l.includes('scheduler tick')).length >= (ticks[n] ?? 0) + 3,
          )
            ? true
            : undefined,
        15_000,
        'three more ticks of each scheduler',
      );

      const runs = (await Promise.all(tenants.map(executions))).flat();
      expect(runs).toHaveLength(20);
      expect(new Set(runs.map((r) => r.schedule)).size).toBe(20);
      expect(runs.every((r) => r.accepted === 2 && r.rejected === 0 && r.dueTime === due.toISOString())).toBe(
        true,
      );
      const jobs = (
        await Promise.all(tenants.map((t) => table(t).query({ prefix: '#job#', consistent: true })))
      ).flatMap((p) => p.items);
      expect(jobs).toHaveLength(40);
      expect(jobs.every((j) => String(j.status).startsWith('JQ#') && j.source === 'system:scheduler')).toBe(
        true,
      );
      // Scheduler jobs count against each tenant's lane budget: some go to the bulk queue.
      const messages = [
        ...(await drainQueue(stack.clients.sqs, stack.report.queueUrl)),
        ...(await drainQueue(stack.clients.sqs, stack.report.bulkQueueUrl)),
      ];
      expect(messages).toHaveLength(40);
      const fired = processes.map((p) => p.lines.filter((l) => l.includes('"schedule fired"')).length);
      expect((fired[0] ?? 0) + (fired[1] ?? 0)).toBe(20);
      const stored = await table('p-a').get(scheduleKey('proc-0'), { consistent: true });
      expect(stored).toMatchObject({ runs: 1, lastRun: due.toISOString() });
      expect(Date.parse(String(stored?.nextRun))).toBeGreaterThan(Date.now());
      console.log(
        `scheduler processes: 20 schedules, fired ${fired.join(' + ')} = ${fired.reduce((a, b) => a + b, 0)}; ` +
          `${jobs.length} jobs, ${messages.length} messages, ${runs.length} executions`,
      );
    } finally {
      for (const p of processes) {
        p.kill('SIGTERM');
        await p.exited;
      }
    }
  });
});

describe('Function: createScheduler', () => {
  it('four racing schedulers fire each of 20 schedules exactly once per due time, over two due times', async () => {
    await raceOnDynamoDbLocal();
    const tenants = ['r-a', 'r-b'];
    const start = new Date();
    let clock = start;
    const counting = countingProducer(producer);
    const schedulers = Array.from({ length: 4 }, () =>
      createScheduler(stack.config, {
        clients: stack.clients,
        producer: counting,
        log: silent,
        now: () => clock,
      }),
    );
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        putSchedule(tenants[i % 2] ?? 'r-a', `race-${i}`, {
          targets: [`r${i}`],
          due: new Date(start.getTime() - 1_000),
        }),
      ),
    );
    const first = await Promise.all(schedulers.map((s) => s.tickOnce()));
    expect(first.reduce((n, r) => n + r.fired, 0)).toBe(20);
    // Same clock again: nothing is due any more.
    const again = await Promise.all(schedulers.map((s) => s.tickOnce()));
    expect(again.reduce((n, r) => n + r.fired, 0)).toBe(0);
    clock = new Date(start.getTime() + HOUR + 1_000);
    const second = await Promise.all(schedulers.map((s) => s.tickOnce()));
    expect(second.reduce((n, r) => n + r.fired, 0)).toBe(20);

    expect([...counting.asked.values()]).toEqual(Array(20).fill(2));
    const runs = (await Promise.all(tenants.map(executions))).flat();
    expect(runs).toHaveLength(40);
    // The second due time finds the first run's jobs still queued: refused by the insert rules.
    expect(runs.filter((r) => r.accepted === 1)).toHaveLength(20);
    expect(
      runs.filter(
        (r) => r.rejected === 1 && (r.jobs as { reason?: string }[])[0]?.reason === 'alreadyQueued',
      ),
    ).toHaveLength(20);
    const dueTimes = new Set(runs.map((r) => `${r.schedule}@${r.dueTime}`));
    expect(dueTimes.size).toBe(40);
    const stored = await table('r-a').get(scheduleKey('race-0'), { consistent: true });
    expect(stored?.runs).toBe(2);
    console.log(
      `racing schedulers: fired per scheduler round 1 = ${first.map((r) => r.fired).join('/')}, ` +
        `round 2 = ${second.map((r) => r.fired).join('/')}; skipped ${[...first, ...second].reduce((n, r) => n + r.skipped, 0)}`,
    );
    await drainQueue(stack.clients.sqs, stack.report.queueUrl);
  });

  it('computes cron and interval next runs, skips disabled schedules, disables corrupt ones, records refused capabilities', async () => {
    const now = new Date('2030-01-01T10:07:00.000Z');
    const scheduler = createScheduler(stack.config, {
      clients: stack.clients,
      producer,
      log: silent,
      now: () => now,
    });
    const past = new Date('2030-01-01T09:00:00.000Z');
    await putSchedule('k', 'cron', { targets: ['c1'], cron: '*/15 * * * *', due: past });
    await putSchedule('k', 'every', { targets: ['e1'], interval: '45m', due: past });
    await putSchedule('k', 'off', { targets: ['o1'], due: past });
    await table('k').update(scheduleKey('off'), { set: { enabled: false }, remove: ['dueKey'] });
    await putSchedule('k', 'bad', { targets: ['b1'], due: past });
    await table('k').update(scheduleKey('bad'), { remove: ['intervalMs'] });
    // A capability this scheduler's producer does not know (test plugins not loaded).
    const builtin = await createProducer(stack.config, { clients: stack.clients, log: silent });
    try {
      await putSchedule('k', 'gone', {
        targets: ['g1'],
        capability: 'test-sleep',
        input: { ms: 1 },
        due: past,
      });
      const report = await createScheduler(stack.config, {
        clients: stack.clients,
        producer: builtin,
        log: silent,
        now: () => now,
      }).tickOnce();
      expect(report).toMatchObject({ due: 4, fired: 3, invalid: 1, skipped: 0 });
    } finally {
      builtin.close();
    }
    expect((await scheduler.tickOnce()).due).toBe(0);
    const get = async (id: string) => table('k').get(scheduleKey(id), { consistent: true });
    expect((await get('cron'))?.nextRun).toBe('2030-01-01T10:15:00.000Z');
    expect((await get('every'))?.nextRun).toBe('2030-01-01T10:52:00.000Z');
    expect(await get('off')).toMatchObject({ nextRun: past.toISOString(), runs: 0 });
    expect(await get('bad')).toMatchObject({ enabled: false, invalid: expect.stringMatching(/cron/) });
    expect((await get('bad'))?.dueKey).toBeUndefined();
    const gone = (await executions('k')).find((r) => r.schedule === 'gone');
    expect(gone).toMatchObject({
      outcome: 'failed',
      accepted: 0,
      rejected: 1,
      error: expect.stringMatching(/capability/),
    });
    await drainQueue(stack.clients.sqs, stack.report.queueUrl);
  });

  it('gives a run back when its enqueue fails, and fires it on the next tick', async () => {
    const now = new Date('2031-01-01T00:00:00.000Z');
    let failures = 1;
    const flaky: Pick<Producer, 'enqueue'> = {
      async enqueue(ctx, requests, options) {
        if (failures-- > 0) throw new Error('queue unavailable');
        return producer.enqueue(ctx, requests, options);
      },
    };
    const scheduler = createScheduler(stack.config, {
      clients: stack.clients,
      producer: flaky,
      log: silent,
      now: () => now,
    });
    const due = new Date('2030-12-31T23:00:00.000Z');
    await putSchedule('f', 'flaky', { targets: ['f1'], due });
    expect(await scheduler.tickOnce()).toMatchObject({ fired: 0, retried: 1 });
    expect(await table('f').get(scheduleKey('flaky'), { consistent: true })).toMatchObject({
      nextRun: due.toISOString(),
      runs: 0,
    });
    expect(await scheduler.tickOnce()).toMatchObject({ fired: 1, accepted: 1 });
    expect(await executions('f')).toHaveLength(1);
    await drainQueue(stack.clients.sqs, stack.report.queueUrl);
  });
});
