import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/lib/logger.js';
import { LANE, type Lane } from '../../../src/producer/index.js';
import { TenantGate } from '../../../src/workers/fairness.js';
import { createPoller } from '../../../src/workers/poller.js';
import { deferStep } from '../../../src/workers/queue.js';
import {
  afterReceive,
  INITIAL_RECEIVE_STATE,
  nextReceive,
  type ReceiveState,
} from '../../../src/workers/receive-policy.js';
import { FakeLanes, jobMessage } from './fakes.js';

const log = createLogger({ level: 'silent' });

/** Runs the policy over lanes that always answer in full (`full`) or with nothing. */
function simulate(full: Readonly<Record<Lane, boolean>>, receives: number, bulkEvery: number) {
  let state: ReceiveState = INITIAL_RECEIVE_STATE;
  const order: string[] = [];
  for (let i = 0; i < receives; i++) {
    const next = nextReceive(state, bulkEvery);
    order.push(`${next.lane}:${next.wait}`);
    state = afterReceive(state, next.lane, 10, full[next.lane] ? 10 : 0);
  }
  return order;
}

describe('Function: nextReceive', () => {
  it('asks the jobs queue first, and the bulk queue at least once in K while jobs has work', () => {
    // Act
    const order = simulate({ jobs: true, bulk: true }, 8, 4);

    // Assess
    expect(order).toEqual([
      'jobs:short',
      'jobs:short',
      'jobs:short',
      'bulk:short',
      'jobs:short',
      'jobs:short',
      'jobs:short',
      'bulk:short',
    ]);
  });

  it('gives the bulk queue every receive the jobs queue cannot fill, asking jobs again after each', () => {
    // Act: a flood in bulk, the jobs queue empty.
    const order = simulate({ jobs: false, bulk: true }, 6, 4);

    // Assess: never a long poll on the empty jobs queue while bulk work waits.
    expect(order).toEqual([
      'jobs:short',
      'bulk:short',
      'jobs:short',
      'bulk:short',
      'jobs:short',
      'bulk:short',
    ]);
  });

  it('long-polls the jobs queue when both are empty, looking at bulk between long polls', () => {
    // Act
    const order = simulate({ jobs: false, bulk: false }, 6, 4);

    // Assess
    expect(order).toEqual(['jobs:short', 'bulk:short', 'jobs:long', 'bulk:short', 'jobs:long', 'bulk:short']);
  });

  it('never lets K = 1 starve the jobs queue', () => {
    // Act
    const order = simulate({ jobs: true, bulk: true }, 4, 1);

    // Assess
    expect(order).toEqual(['jobs:short', 'bulk:short', 'jobs:short', 'bulk:short']);
  });
});

describe('Function: createPoller (two lanes)', () => {
  it('reaches a quiet tenant’s jobs-lane messages before most of a bulk flood', async () => {
    // Prepare: 200 flood messages in bulk, 5 quiet ones in the jobs lane; jobs end at once.
    const lanes = new FakeLanes();
    lanes.waiting.bulk.push(...Array.from({ length: 200 }, (_, i) => jobMessage(i, { tenant: 'noisy' })));
    lanes.waiting.jobs.push(
      ...Array.from({ length: 5 }, (_, i) => jobMessage(1_000 + i, { tenant: 'quiet' })),
    );
    const started: string[] = [];
    const poller = createPoller({
      queue: lanes,
      concurrency: 4,
      receivers: 2,
      lingerMs: 0,
      log,
      admit: async (message) => async () => {
        started.push(JSON.parse(message.Body ?? '{}').tenant);
      },
    });

    // Act
    poller.start();
    await vi.waitFor(() => expect(started).toHaveLength(205));
    poller.stop();
    await poller.idle(1_000);

    // Assess: every quiet job started before the 10th flood job.
    const lastQuiet = started.lastIndexOf('quiet');
    expect(lastQuiet).toBeLessThan(15);
    expect(started.filter((t) => t === 'quiet')).toHaveLength(5);
  });

  it('an idle worker looks at the bulk queue after each capped long poll of the jobs queue', async () => {
    // Prepare: both lanes empty; a long poll lasts its wait in ms (5 s → 5 ms).
    const lanes = new FakeLanes(1);
    const started: string[] = [];
    const poller = createPoller({
      queue: lanes,
      concurrency: 2,
      receivers: 1,
      longPollSeconds: 5,
      log,
      admit: async (message) => async () => {
        started.push(JSON.parse(message.Body ?? '{}').target);
      },
    });
    poller.start();
    await vi.waitFor(() => expect(lanes.receives.length).toBeGreaterThanOrEqual(3));

    // Act: bulk work arrives while the worker is idle.
    lanes.waiting.bulk.push(jobMessage(7));
    await vi.waitFor(() => expect(started).toEqual(['t7']));
    poller.stop();
    await poller.idle(1_000);

    // Assess: every long poll (of the jobs queue) waited the cap; bulk was short-polled between them.
    const long = lanes.receives.filter((r) => r.wait !== 0);
    expect(long.length).toBeGreaterThan(0);
    expect(long.every((r) => r.lane === LANE.jobs && r.wait === 5)).toBe(true);
    expect(lanes.receives.some((r) => r.lane === LANE.bulk && r.wait === 0 && r.got === 1)).toBe(true);
  });

  it('starts a quiet job at once in a reserved slot while bulk work holds every other slot', async () => {
    // Prepare: C = 8 with one slot reserved for the jobs queue; a bulk flood of jobs that never end.
    const lanes = new FakeLanes();
    lanes.waiting.bulk.push(...Array.from({ length: 100 }, (_, i) => jobMessage(i, { tenant: 'noisy' })));
    const started: string[] = [];
    const poller = createPoller({
      queue: lanes,
      concurrency: 8,
      reserve: 1,
      receivers: 1,
      lingerMs: 0,
      log,
      admit: async (message) => async () => {
        started.push(JSON.parse(message.Body ?? '{}').tenant);
        await new Promise(() => {}); // holds its slot for good
      },
    });
    poller.start();
    await vi.waitFor(() => expect(started).toHaveLength(7));

    // Act: a quiet tenant's job arrives on the jobs queue while the seven shared slots are all busy.
    lanes.waiting.jobs.push(jobMessage(1_000, { tenant: 'quiet' }));
    await vi.waitFor(() => expect(started).toContain('quiet'));
    poller.stop();

    // Assess: bulk work never took the reserved slot; the quiet job took it.
    expect(started.filter((t) => t === 'noisy')).toHaveLength(7);
    expect(poller.reserve).toBe(1);
    expect(lanes.receives.filter((r) => r.lane === LANE.bulk).every((r) => r.max <= 7)).toBe(true);
  });

  it('keeps receiving from bulk while the jobs lane never runs dry (guaranteed share)', async () => {
    // Prepare: more jobs-lane work than the test will take, and a bulk backlog.
    const lanes = new FakeLanes();
    lanes.waiting.jobs.push(...Array.from({ length: 5_000 }, (_, i) => jobMessage(i)));
    lanes.waiting.bulk.push(...Array.from({ length: 5_000 }, (_, i) => jobMessage(10_000 + i)));
    let started = 0;
    const poller = createPoller({
      queue: lanes,
      concurrency: 10,
      reserve: 0, // the shared loops' order alone
      receivers: 1,
      lingerMs: 0,
      bulkEvery: 4,
      log,
      admit: async () => async () => {
        started++;
      },
    });

    // Act
    poller.start();
    await vi.waitFor(() => expect(started).toBeGreaterThanOrEqual(200));
    poller.stop();
    await poller.idle(1_000);

    // Assess: while both lanes had work (up to the first short answer), one receive in four went to bulk.
    const dry = lanes.receives.findIndex((r) => r.got < r.max);
    const busy = lanes.receives.slice(0, dry === -1 ? undefined : dry);
    const bulk = busy.filter((r) => r.lane === LANE.bulk);
    expect(busy.length).toBeGreaterThanOrEqual(20);
    expect(bulk.length).toBe(Math.floor(busy.length / 4));
  });
});

describe('Function: deferStep', () => {
  it('keeps a held-back message while two receives stay in reserve, then re-sends it', () => {
    // Act / Assess: maxReceiveCount 5 → held on its 1st and 2nd receive, re-sent from the 3rd.
    expect([1, 2, 3, 4, 5].map((n) => deferStep(n, 5))).toEqual([
      'hold',
      'hold',
      'resend',
      'resend',
      'resend',
    ]);
    expect(deferStep(Number.NaN, 5)).toBe('resend');
    expect(deferStep(1, 0)).toBe('resend');
  });
});

describe('Class: TenantGate (lanes)', () => {
  it('lets a bulk-lane message past the soft cap and its reserve, never past a hard cap', async () => {
    // Prepare
    const gate = new TenantGate({
      concurrency: 4,
      defaultCap: 1,
      capOf: async (tenant) => (tenant === 'plan' ? 1 : undefined),
    });

    // Act
    const jobsLane = [
      await gate.tryEnter('noisy'),
      await gate.tryEnter('noisy'),
      await gate.tryEnter('noisy'),
    ];
    const bulkLane = await gate.tryEnter('noisy', { hardOnly: true });
    const plan = [
      await gate.tryEnter('plan', { hardOnly: true }),
      await gate.tryEnter('plan', { hardOnly: true }),
    ];

    // Assess: the jobs lane keeps the last slot in reserve; the bulk lane may take it; a plan limit holds.
    expect(jobsLane).toEqual([true, true, true]);
    expect(bulkLane).toBe(true);
    expect(plan).toEqual([true, false]);
  });
});
