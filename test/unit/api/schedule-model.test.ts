import { describe, expect, it } from 'vitest';
import { builtinCapabilities } from '../../../src/jobs/index.js';
import {
  cronProblem,
  DUE_PREFIX,
  dueKey,
  parseScheduleInput,
  parseStoredSchedule,
  scheduleItem,
  scheduleKey,
} from '../../../src/scheduler/schedule.js';

const registry = builtinCapabilities();
const NOW = new Date('2030-01-01T10:07:00.000Z');
const fieldsOf = (raw: unknown) => {
  try {
    parseScheduleInput(raw, registry);
  } catch (error) {
    return (error as { issues: { field: string }[] }).issues.map((i) => i.field);
  }
  throw new Error('expected a refusal');
};

describe('Function: parseScheduleInput', () => {
  it('normalizes targets the way an enqueue does and drops duplicates', () => {
    const spec = parseScheduleInput(
      { capability: 'noop', targets: [' a.example.com ', 'a.example.com'], interval: '15m' },
      registry,
    );
    expect(spec).toMatchObject({
      capability: 'noop',
      targets: ['a.example.com'],
      cadence: { intervalMs: 900_000 },
      enabled: true,
    });
  });

  it.each([
    { name: 'neither interval nor cron', raw: { capability: 'noop', targets: ['a'] }, fields: ['interval'] },
    {
      name: 'both interval and cron',
      raw: { capability: 'noop', targets: ['a'], interval: '1h', cron: '0 * * * *' },
      fields: ['interval'],
    },
    {
      name: 'an interval under a minute',
      raw: { capability: 'noop', targets: ['a'], interval: '30s' },
      fields: ['interval'],
    },
    {
      name: 'a cron with seconds',
      raw: { capability: 'noop', targets: ['a'], cron: '0 0 * * * *' },
      fields: ['cron'],
    },
    {
      name: 'a cron that does not parse',
      raw: { capability: 'noop', targets: ['a'], cron: '61 * * * *' },
      fields: ['cron'],
    },
    {
      name: 'an unknown time zone',
      raw: { capability: 'noop', targets: ['a'], cron: '0 3 * * *', timezone: 'Mars/Base' },
      fields: ['timezone'],
    },
    {
      name: 'a time zone on an interval',
      raw: { capability: 'noop', targets: ['a'], interval: '1h', timezone: 'UTC' },
      fields: ['timezone'],
    },
    {
      name: 'an unknown capability',
      raw: { capability: 'nope', targets: ['a'], interval: '1h' },
      fields: ['capability'],
    },
    {
      name: 'an empty target',
      raw: { capability: 'noop', targets: ['a', ' '], interval: '1h' },
      fields: ['targets[1]'],
    },
    { name: 'no targets', raw: { capability: 'noop', targets: [], interval: '1h' }, fields: ['targets'] },
    {
      name: 'an unknown field',
      raw: { capability: 'noop', targets: ['a'], interval: '1h', every: '1h' },
      fields: ['(body)'],
    },
  ])('refuses $name, naming the field', ({ raw, fields }) => {
    expect(fieldsOf(raw)).toEqual(fields);
  });

  it('accepts cron macros and a time zone', () => {
    expect(cronProblem('@daily')).toBeUndefined();
    expect(
      parseScheduleInput(
        { capability: 'noop', targets: ['a'], cron: '0 3 * * 1', timezone: 'Europe/Paris' },
        registry,
      ).cadence,
    ).toEqual({
      cron: '0 3 * * 1',
      timezone: 'Europe/Paris',
    });
  });
});

describe('Function: scheduleItem', () => {
  const options = { id: 'sch_1', tenant: 'acme', now: NOW, shards: 8, createdBy: 'alice' };

  it('sets nextRun from the cadence and the due-index key only while enabled', () => {
    const enabled = scheduleItem(
      parseScheduleInput({ capability: 'noop', targets: ['a'], cron: '0 * * * *' }, registry),
      options,
    );
    expect(enabled).toMatchObject({
      key: '#schedule#sch_1',
      nextRun: '2030-01-01T11:00:00.000Z',
      dueKey: dueKey('acme', 'sch_1', 8),
    });
    expect(enabled.dueKey?.startsWith(DUE_PREFIX)).toBe(true);
    const disabled = scheduleItem(
      parseScheduleInput({ capability: 'noop', targets: ['a'], interval: '1h', enabled: false }, registry),
      options,
    );
    expect(disabled).not.toHaveProperty('dueKey');
    expect(disabled.nextRun).toBe('2030-01-01T11:07:00.000Z');
  });

  it('starts an interval schedule at startAt when given', () => {
    const spec = parseScheduleInput(
      { capability: 'noop', targets: ['a'], interval: '1d', startAt: '2030-02-01T00:00:00Z' },
      registry,
    );
    expect(scheduleItem(spec, options).nextRun).toBe('2030-02-01T00:00:00.000Z');
  });

  it('reads back through parseStoredSchedule with its cadence', () => {
    const item = scheduleItem(
      parseScheduleInput({ capability: 'noop', targets: ['a'], interval: '2h' }, registry),
      options,
    );
    expect(parseStoredSchedule(item)).toMatchObject({ id: 'sch_1', cadence: { intervalMs: 7_200_000 } });
    expect(() => parseStoredSchedule({ ...item, intervalMs: undefined })).toThrow(
      expect.objectContaining({ code: 'schedule.corrupt' }),
    );
  });

  it('spreads tenants over shards but keeps one schedule in one shard', () => {
    const shards = new Set(Array.from({ length: 50 }, (_, i) => dueKey(`t${i}`, 'sch_1', 8)));
    expect(shards.size).toBeGreaterThan(4);
    expect(dueKey('acme', 'sch_1', 8)).toBe(dueKey('acme', 'sch_1', 8));
    expect(() => scheduleKey('a/b')).toThrow(expect.objectContaining({ code: 'schedule.invalid' }));
  });
});
