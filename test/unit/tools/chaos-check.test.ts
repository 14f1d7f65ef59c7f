import { describe, expect, it } from 'vitest';
import {
  type AuditInput,
  auditChaos,
  type ObservedEvent,
  type StoredFinding,
  type StoredJob,
} from '../../../tools/chaos/chaos-check.js';
import { parseEvent } from '../../../tools/chaos/chaos-events.js';

const T = 'acme';
const result = (key: string, attempt: number, owner = 'o') =>
  `${T}/results/2026-01-01/noop/${key}/${attempt}-${owner}.json`;

function job(key: string, over: Partial<StoredJob> = {}): StoredJob {
  const status = String(over.status ?? 'JP#2026-01-01T00:00:01.000Z');
  const attempt = Number(over.attempt ?? 1);
  // The terminal entry is the winning attempt's execution record, as the workers write it.
  const record = {
    at: '2026-01-01T00:00:01.000Z',
    attempt,
    worker: 'w-1',
    startedAt: '2026-01-01T00:00:00.500Z',
  };
  return {
    key: `#job#${key}#noop`,
    status,
    attempt,
    created: '2026-01-01T00:00:00.000Z',
    resultKey: result(key, 1),
    history: [
      { status: 'JQ', at: '2026-01-01T00:00:00.000Z' },
      { status: 'JR', at: '2026-01-01T00:00:00.500Z' },
      ...(/^J[PF]#/.test(status) ? [{ status: status.slice(0, 2), ...record }] : []),
    ],
    ...over,
  };
}

/** One healthy job `a` plus whatever `b` is made of. */
function input(b: StoredJob | undefined, extra: Partial<AuditInput> = {}): AuditInput {
  const a = job('a');
  const jobs = new Map([[`${T} ${a.key}`, a]]);
  if (b) jobs.set(`${T} ${b.key}`, b);
  const objects = new Set([String(a.resultKey)]);
  if (typeof b?.resultKey === 'string') objects.add(b.resultKey);
  return {
    expected: [
      { tenant: T, key: a.key },
      { tenant: T, key: '#job#b#noop' },
    ],
    jobs,
    resultObjects: objects,
    dlq: [],
    findings: [],
    ...extra,
  };
}

describe('Function: auditChaos', () => {
  it('passes healthy jobs', () => {
    const report = auditChaos(input(job('b')));
    expect(report).toMatchObject({ jobs: 2, lost: 0, duplicated: 0, stuck: 0, passed: 2, orphanResults: 0 });
  });

  it.each([
    { name: 'a job without an item is lost', b: undefined, expect: { lost: 1 } },
    {
      name: 'a job still running is stuck',
      b: job('b', { status: 'JR#2026-01-01T00:00:00.500Z' }),
      expect: { stuck: 1 },
    },
    {
      name: 'two terminal transitions are a duplicate',
      b: job('b', {
        history: [
          { status: 'JQ', at: 'x' },
          { status: 'JP', at: 'y' },
          { status: 'JP', at: 'z' },
        ],
      }),
      expect: { duplicated: 1 },
    },
    {
      name: 'a gave-up job is terminal, not stuck',
      b: job('b', { status: 'JF#2026-01-01T00:00:09.000Z', attempt: 4 }),
      expect: { failed: 1, retried: 1, stuck: 0 },
    },
  ])('$name', ({ b, expect: counts }) => {
    expect(auditChaos(input(b))).toMatchObject(counts);
  });

  it('counts a finished job whose result object is gone as lost', () => {
    const b = job('b');
    const audit = input(b);
    const objects = new Set([...audit.resultObjects].filter((k) => k !== b.resultKey));
    const report = auditChaos({ ...audit, resultObjects: objects });
    expect(report.lost).toBe(1);
    expect(Object.keys(report.examples)).toContain('lost (result object missing)');
  });

  it('counts objects of attempts that did not win as orphans, not duplicates', () => {
    const b = job('b', { attempt: 2, resultKey: result('b', 2) });
    const audit = input(b);
    const report = auditChaos({
      ...audit,
      resultObjects: new Set([...audit.resultObjects, result('b', 1, 'x')]),
    });
    expect(report).toMatchObject({ orphanResults: 1, duplicated: 0, lost: 0, retried: 1 });
  });

  it('flags a terminal entry that is not the winning attempt’s execution record as missing', () => {
    const stale = { ...job('b'), attempt: 2 }; // the terminal entry records attempt 1
    expect(auditChaos(input(stale)).missingExecutions).toBe(1);
    const bare = job('b', {
      history: [
        { status: 'JQ', at: 'x' },
        { status: 'JP', at: 'y', attempt: 1 },
      ],
    });
    expect(auditChaos(input(bare)).missingExecutions).toBe(1);
    expect(auditChaos(input(job('b'))).missingExecutions).toBe(0);
  });

  it('does not ask the sweeper’s expiry of an async job for an execution record', () => {
    const expired = job('b', {
      status: 'JF#2026-01-01T00:00:09.000Z',
      history: [
        { status: 'JQ', at: 'x' },
        { status: 'JF', at: 'y', owner: 'sweeper' },
      ],
    });
    expect(auditChaos(input(expired))).toMatchObject({ failed: 1, missingExecutions: 0 });
  });

  it('tells DLQ copies of finished jobs from messages that should not be there', () => {
    const report = auditChaos(
      input(job('b', { status: 'JQ#2026-01-01T00:00:00.000Z' }), {
        dlq: [{ tenant: T, key: '#job#a#noop' }, { tenant: T, key: '#job#b#noop' }, {}],
      }),
    );
    expect(report).toMatchObject({ dlqFinished: 1, dlqUnexpected: 2, stuck: 1 });
  });

  it('reports no event counts when events were not watched', () => {
    expect(auditChaos(input(job('b')))).toMatchObject({
      losingFindings: 0,
      losingEvents: undefined,
      events: undefined,
    });
  });
});

describe('Function: auditChaos — findings and events of losing attempts', () => {
  const finding = (key: string, attempt: unknown, source = `#job#${key}#noop`): StoredFinding => ({
    tenant: T,
    key: `#asset#chaos-finding#${source}`,
    source,
    attempt,
  });
  const event = (key: string, attempt: number, over: Partial<ObservedEvent> = {}): ObservedEvent => ({
    type: 'job.finished',
    tenant: T,
    key: `#job#${key}#noop`,
    status: 'JP',
    attempt,
    resultKey: result(key, attempt),
    ...over,
  });

  it.each([
    { name: 'the winning attempt’s finding', findings: [finding('a', 1)], losing: 0 },
    { name: 'a finding stamped with another attempt', findings: [finding('a', 2)], losing: 1 },
    { name: 'a finding without a stamp', findings: [finding('a', undefined)], losing: 1 },
    { name: 'a finding of a job no one enqueued', findings: [finding('zz', 1)], losing: 1 },
    {
      name: 'a finding of a job that failed (only a pass writes findings)',
      findings: [finding('b', 1)],
      b: job('b', { status: 'JF#2026-01-01T00:00:09.000Z' }),
      losing: 1,
    },
  ])('$name: $losing', ({ findings, b, losing }) => {
    // Act
    const report = auditChaos(input(b ?? job('b'), { findings }));

    // Assess
    expect(report).toMatchObject({ losingFindings: losing, findings: findings.length });
  });

  it('counts events of another attempt or another result object as losing, repeats and silent jobs apart', () => {
    // Prepare: b won with attempt 2 and its result object
    const b = job('b', {
      attempt: 2,
      resultKey: result('b', 2),
      history: [
        { status: 'JQ', at: 'x' },
        { status: 'JP', at: 'y', attempt: 2, worker: 'w-2' },
      ],
    });
    const events = [
      event('b', 2),
      event('b', 2), // the winner's publish retried after it took effect
      event('b', 1, { resultKey: result('b', 1, 'zombie') }), // the zombie's
      event('b', 2, { resultKey: result('b', 2, 'other') }),
      { type: 'import.quarantined', tenant: T, key: 'file' }, // no attempt's event
    ];

    // Act
    const report = auditChaos(input(b, { events }));

    // Assess: job a has no event at all
    expect(report).toMatchObject({ events: 5, losingEvents: 2, repeatedEvents: 1, jobsWithoutEvent: 1 });
    expect(Object.keys(report.examples)).toContain('event of a losing attempt');
  });

  it('reads an event body, and gives an empty event for a body that is not one', () => {
    // Act / Assess
    expect(parseEvent(JSON.stringify({ type: 'job.finished', tenant: T, key: 'k', attempt: 2 }))).toEqual({
      type: 'job.finished',
      tenant: T,
      key: 'k',
      status: undefined,
      attempt: 2,
      resultKey: undefined,
    });
    expect(parseEvent('not json')).toEqual({});
    expect(parseEvent(undefined)).toEqual({});
  });
});
