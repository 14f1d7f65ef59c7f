import { describe, expect, it } from 'vitest';
import {
  type Cadence,
  claimPlan,
  nextRunAfter,
  parseStoredSchedule,
  quarantinePlan,
  type StoredSchedule,
  scheduleExecutionItem,
  scheduleExecutionKey,
  unclaimPlan,
} from '../../src/scheduler/index.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

function stored(fields: Record<string, unknown>): StoredSchedule {
  return parseStoredSchedule({
    key: '#schedule#s1',
    kind: 'schedule',
    id: 's1',
    capability: 'noop',
    targets: ['a.example.com', 'b.example.com'],
    enabled: true,
    nextRun: '2030-01-01T10:00:00.000Z',
    dueKey: 'due#3',
    created: '2029-12-01T00:00:00.000Z',
    updated: '2029-12-01T00:00:00.000Z',
    intervalMs: 15 * MIN,
    ...fields,
  });
}

describe('Function: nextRunAfter', () => {
  const cases: { name: string; cadence: Cadence; after: string; next: string }[] = [
    {
      name: '15m interval',
      cadence: { intervalMs: 15 * MIN },
      after: '2030-01-01T10:07:30.000Z',
      next: '2030-01-01T10:22:30.000Z',
    },
    {
      name: '1d interval across a month end',
      cadence: { intervalMs: 24 * HOUR },
      after: '2030-01-31T23:00:00.000Z',
      next: '2030-02-01T23:00:00.000Z',
    },
    {
      name: 'cron every 15 minutes, mid-slot',
      cadence: { cron: '*/15 * * * *' },
      after: '2030-01-01T10:07:30.000Z',
      next: '2030-01-01T10:15:00.000Z',
    },
    {
      name: 'cron exactly on a slot is strictly after',
      cadence: { cron: '*/15 * * * *' },
      after: '2030-01-01T10:15:00.000Z',
      next: '2030-01-01T10:30:00.000Z',
    },
    {
      name: 'cron Mondays 09:00 UTC',
      cadence: { cron: '0 9 * * 1' },
      after: '2030-01-01T12:00:00.000Z',
      next: '2030-01-07T09:00:00.000Z',
    },
    {
      name: 'cron leap day',
      cadence: { cron: '0 0 29 2 *' },
      after: '2030-03-01T00:00:00.000Z',
      next: '2032-02-29T00:00:00.000Z',
    },
    {
      name: '@daily',
      cadence: { cron: '@daily' },
      after: '2030-01-01T00:00:00.000Z',
      next: '2030-01-02T00:00:00.000Z',
    },
    {
      name: '@hourly',
      cadence: { cron: '@hourly' },
      after: '2030-01-01T10:59:59.999Z',
      next: '2030-01-01T11:00:00.000Z',
    },
    {
      name: 'cron last minute of the year',
      cadence: { cron: '59 23 31 12 *' },
      after: '2030-06-01T00:00:00.000Z',
      next: '2030-12-31T23:59:00.000Z',
    },
    {
      name: 'cron day-of-week range',
      cadence: { cron: '30 6 * * 1-5' },
      after: '2030-01-04T07:00:00.000Z',
      next: '2030-01-07T06:30:00.000Z',
    },
  ];
  it.each(cases)('$name', ({ cadence, after, next }) => {
    expect(nextRunAfter(cadence, new Date(after)).toISOString()).toBe(next);
  });

  it.each(['61 * * * *', '* * * *', '* * * * * *', '0 0 31 2 *', 'every day'])('refuses cron %j', (cron) => {
    expect(() => nextRunAfter({ cron }, new Date())).toThrow(
      expect.objectContaining({ code: 'schedule.invalid' }),
    );
  });
});

describe('Function: claimPlan', () => {
  const cases = [
    {
      name: 'due now: next run one interval after now',
      schedule: { nextRun: '2030-01-01T10:00:00.000Z' },
      now: '2030-01-01T10:00:20.000Z',
      next: '2030-01-01T10:15:20.000Z',
    },
    {
      name: 'missed for hours: one run, next in the future (no replay)',
      schedule: { nextRun: '2030-01-01T02:00:00.000Z' },
      now: '2030-01-01T10:00:00.000Z',
      next: '2030-01-01T10:15:00.000Z',
    },
    {
      name: 'cron: next slot after now',
      schedule: { nextRun: '2030-01-01T02:00:00.000Z', intervalMs: undefined, cron: '0 * * * *' },
      now: '2030-01-01T10:20:00.000Z',
      next: '2030-01-01T11:00:00.000Z',
    },
    {
      name: 'claimed early (clock skew): next computed from the due time',
      schedule: { nextRun: '2030-01-01T10:00:05.000Z' },
      now: '2030-01-01T10:00:00.000Z',
      next: '2030-01-01T10:15:05.000Z',
    },
  ];
  it.each(cases)('$name', ({ schedule, now, next }) => {
    const plan = claimPlan(stored(schedule), new Date(now));
    expect(plan.dueTime).toBe(schedule.nextRun);
    expect(plan.next).toBe(next);
    expect(plan.update).toEqual({
      set: { nextRun: next, lastRun: schedule.nextRun, updated: now },
      add: { runs: 1 },
    });
  });

  it('is conditional on the nextRun this replica saw, the schedule still enabled and in the index', () => {
    const plan = claimPlan(stored({}), new Date('2030-01-01T10:00:00.000Z'));
    expect(plan.condition).toEqual({
      expression: '#cn = :cn AND #ce = :ce AND attribute_exists(#cd)',
      names: { '#cn': 'nextRun', '#ce': 'enabled', '#cd': 'dueKey' },
      values: { ':cn': '2030-01-01T10:00:00.000Z', ':ce': true },
    });
  });
});

describe('Function: unclaimPlan', () => {
  it('puts nextRun back only if it is still the value the claim set', () => {
    const at = new Date('2030-01-01T10:00:00.000Z');
    const plan = claimPlan(stored({}), at);
    expect(unclaimPlan(plan, at)).toEqual({
      update: { set: { nextRun: '2030-01-01T10:00:00.000Z', updated: at.toISOString() }, add: { runs: -1 } },
      condition: { expression: '#cn = :cn', names: { '#cn': 'nextRun' }, values: { ':cn': plan.next } },
    });
  });
});

describe('Function: quarantinePlan', () => {
  it('disables, leaves the index, says why (bounded)', () => {
    const plan = quarantinePlan('2030-01-01T10:00:00.000Z', 'x'.repeat(5_000), new Date(0));
    expect(plan.update.remove).toEqual(['dueKey']);
    expect(plan.update.set).toMatchObject({ enabled: false });
    expect(String(plan.update.set?.invalid)).toHaveLength(1_000);
    expect(plan.condition.values).toEqual({ ':cn': '2030-01-01T10:00:00.000Z' });
  });
});

describe('Function: scheduleExecutionItem', () => {
  const schedule = stored({});
  const firedAt = '2030-01-01T10:00:01.000Z';
  const dueTime = '2030-01-01T10:00:00.000Z';

  it.each([
    {
      name: 'all accepted',
      jobs: [
        { key: '#job#a.example.com#noop', target: 'a.example.com', accepted: true },
        { key: '#job#b.example.com#noop', target: 'b.example.com', accepted: true, unsent: true },
      ],
      error: undefined,
      counts: { accepted: 2, rejected: 0, outcome: 'fired' },
    },
    {
      name: 'one refused by the insert rules',
      jobs: [
        { key: '#job#a.example.com#noop', target: 'a.example.com', accepted: true },
        { key: '#job#b.example.com#noop', target: 'b.example.com', accepted: false, reason: 'alreadyQueued' },
      ],
      error: undefined,
      counts: { accepted: 1, rejected: 1, outcome: 'fired' },
    },
    {
      name: 'nothing enqueued: every target counted rejected',
      jobs: [],
      error: 'capability: unknown capability',
      counts: { accepted: 0, rejected: 2, outcome: 'failed', error: 'capability: unknown capability' },
    },
  ])('$name', ({ jobs, error, counts }) => {
    const item = scheduleExecutionItem(schedule, { dueTime, firedAt, jobs, ...(error ? { error } : {}) });
    expect(item).toMatchObject({
      key: `#execution#schedule#s1#${dueTime}`,
      kind: 'execution',
      schedule: 's1',
      dueTime,
      firedAt,
      ...counts,
    });
    expect(item.expiresAt).toBe(Math.floor(Date.parse(firedAt) / 1000) + 30 * 86_400);
  });

  it('keys a run by schedule and due time', () => {
    expect(scheduleExecutionKey('s1', dueTime)).toBe('#execution#schedule#s1#2030-01-01T10:00:00.000Z');
  });
});
