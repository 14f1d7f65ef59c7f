import { describe, expect, it } from 'vitest';
import { ocsfActivity, sarifResult } from '../../../src/findings/export.js';
import {
  lastChange,
  observeAsset,
  observeRisk,
  type Run,
  releaseRisk,
  type StoredRisk,
  storedRiskSchema,
} from '../../../src/findings/model.js';
import { riskListQuery } from '../../../src/findings/views.js';
import type { RiskRecord } from '../../../src/jobs/index.js';

const asset = { type: 'url', value: 'http://a.example/' };
const reported = (severity: RiskRecord['severity'] = 'medium'): RiskRecord => ({
  asset,
  name: 'http-missing-csp',
  severity,
});
const probe = (at: string, job = '#job#http://a.example/#http-probe'): Run => ({
  job,
  capability: job.slice(job.lastIndexOf('#') + 1),
  at,
  resultKey: `acme/results/${at.slice(0, 10)}/x.json`,
});
const parse = (item: unknown): StoredRisk => storedRiskSchema.parse(item);

/** Applies `steps` in order from nothing, as the store would. */
function play(
  steps: ((stored: StoredRisk | undefined) => { item: unknown; change?: string; stale?: boolean })[],
) {
  let stored: StoredRisk | undefined;
  const changes: (string | undefined)[] = [];
  for (const step of steps) {
    const applied = step(stored);
    changes.push(applied.stale ? 'stale' : applied.change);
    if (!applied.stale) stored = parse(applied.item);
  }
  return { stored, changes };
}

describe('Function: observeRisk / releaseRisk (the lifecycle rules)', () => {
  it('opens, refreshes, closes by the later run of the same scope, and reopens', () => {
    // Act
    const { stored, changes } = play([
      (s) => observeRisk(s, reported(), probe('2026-12-01T00:00:00.000Z')),
      (s) => observeRisk(s, reported(), probe('2026-12-02T00:00:00.000Z')),
      (s) => releaseRisk(s as StoredRisk, probe('2026-12-03T00:00:00.000Z')),
      (s) => observeRisk(s, reported('high'), probe('2026-12-04T00:00:00.000Z')),
    ]);
    // Assess
    expect(changes).toEqual(['opened', undefined, 'closed', 'reopened']);
    expect(stored).toMatchObject({
      status: 'reopened',
      severity: 'high',
      firstSeen: '2026-12-01T00:00:00.000Z',
      lastSeen: '2026-12-04T00:00:00.000Z',
      seenCount: 3,
      scopes: ['#job#http://a.example/#http-probe'],
    });
    expect(stored?.closedAt).toBeUndefined();
    expect(stored?.history.map((h) => [h.change, h.at.slice(8, 10)])).toEqual([
      ['opened', '01'],
      ['closed', '03'],
      ['reopened', '04'],
    ]);
  });

  it("is not closed by another capability's run while that scope still reports it", () => {
    const posture = '#job#acct#other-scan';
    const { stored, changes } = play([
      (s) => observeRisk(s, reported(), probe('2026-12-01T00:00:00.000Z')),
      (s) => observeRisk(s, reported(), probe('2026-12-01T01:00:00.000Z', posture)),
      (s) => releaseRisk(s as StoredRisk, probe('2026-12-02T00:00:00.000Z')),
    ]);
    expect(changes).toEqual(['opened', undefined, undefined]);
    expect(stored).toMatchObject({ status: 'open', scopes: [posture] });
    const closed = releaseRisk(stored as StoredRisk, probe('2026-12-03T00:00:00.000Z', posture));
    expect(closed.change).toBe('closed');
    expect(parse(closed.item)).toMatchObject({ status: 'closed', closedBy: posture });
  });

  it('records a severity change and leaves an older run arriving late without effect', () => {
    const { stored, changes } = play([
      (s) => observeRisk(s, reported('low'), probe('2026-12-02T00:00:00.000Z')),
      (s) => observeRisk(s, reported('critical'), probe('2026-12-03T00:00:00.000Z')),
      (s) => observeRisk(s, reported('info'), probe('2026-12-01T00:00:00.000Z')),
      (s) => releaseRisk(s as StoredRisk, probe('2026-12-01T12:00:00.000Z')),
    ]);
    expect(changes).toEqual(['opened', 'severity', 'stale', 'stale']);
    expect(stored).toMatchObject({ severity: 'critical', status: 'open', seenCount: 2 });
    expect(lastChange(stored as StoredRisk)).toBe('severity');
  });

  it('applies a run once: a retried write of the same run changes nothing', () => {
    const run = probe('2026-12-01T00:00:00.000Z');
    const { stored, changes } = play([
      (s) => observeRisk(s, reported(), run),
      (s) => observeRisk(s, reported(), run),
      (s) => releaseRisk(s as StoredRisk, probe('2026-12-02T00:00:00.000Z')),
      (s) => releaseRisk(s as StoredRisk, probe('2026-12-02T00:00:00.000Z')),
    ]);
    expect(changes).toEqual(['opened', 'stale', 'closed', undefined]);
    expect(stored).toMatchObject({ seenCount: 1, status: 'closed' });
    expect(stored?.history).toHaveLength(2);
  });

  it('keeps at most 50 history entries, newest last', () => {
    const steps = Array.from({ length: 60 }, (_, i) => {
      const at = new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString();
      return i % 2 === 0
        ? (s: StoredRisk | undefined) => observeRisk(s, reported(), probe(at))
        : (s: StoredRisk | undefined) => releaseRisk(s as StoredRisk, probe(at));
    });
    const { stored } = play(steps);
    expect(stored?.history).toHaveLength(50);
    expect(stored?.history.at(-1)?.change).toBe('closed');
  });

  it('reads an item written before the lifecycle as open, seen once, by its source job', () => {
    const legacy = parse({
      key: '#risk##asset#url#http://a.example/#http-missing-csp',
      asset: '#asset#url#http://a.example/',
      name: 'http-missing-csp',
      severity: 'medium',
      source: '#job#http://a.example/#http-probe',
      updated: '2026-11-01T00:00:00.000Z',
    });
    expect(legacy).toMatchObject({
      status: 'open',
      capability: 'http-probe',
      seenCount: 1,
      firstSeen: '2026-11-01T00:00:00.000Z',
      scopes: ['#job#http://a.example/#http-probe'],
    });
    expect(releaseRisk(legacy, probe('2026-12-01T00:00:00.000Z')).change).toBe('closed');
  });
});

describe('Function: observeAsset', () => {
  it('keeps first seen and moves last seen forward', () => {
    const first = observeAsset(undefined, asset, probe('2026-12-01T00:00:00.000Z'));
    const again = observeAsset(
      {
        key: first.key,
        type: 'url',
        value: asset.value,
        attributes: {},
        firstSeen: '2026-12-01T00:00:00.000Z',
        lastSeen: '2026-12-01T00:00:00.000Z',
      },
      asset,
      probe('2026-12-05T00:00:00.000Z'),
    );
    expect(again).toMatchObject({
      firstSeen: '2026-12-01T00:00:00.000Z',
      lastSeen: '2026-12-05T00:00:00.000Z',
    });
  });
});

describe('Function: ocsfActivity / sarifResult', () => {
  it.each([
    ['opened', 1],
    ['severity', 2],
    ['reopened', 2],
    ['closed', 3],
  ] as const)('maps a last change %s to activity %i', (change, id) => {
    const risk = parse({
      key: '#risk##asset#host#h#n',
      asset: '#asset#host#h',
      name: 'n',
      severity: 'low',
      status: change === 'closed' ? 'closed' : 'open',
      history: [{ at: '2026-12-01T00:00:00.000Z', change, job: '#job#h#c' }],
    });
    expect(ocsfActivity(risk).id).toBe(id);
  });

  it('marks a closed risk as a passing, absent result', () => {
    const closed = parse({
      key: '#risk##asset#host#h#n',
      asset: '#asset#host#h',
      name: 'n',
      severity: 'high',
      status: 'closed',
    });
    expect(sarifResult(closed, 0)).toMatchObject({ kind: 'pass', level: 'none', baselineState: 'absent' });
  });
});

describe('Function: riskListQuery', () => {
  it('narrows an asset by key prefix and filters the rest, counting items without status as open', () => {
    expect(riskListQuery({ asset: '#asset#host#h', status: 'open', capability: 'portscan' })).toEqual({
      prefix: '#risk##asset#host#h#',
      filter: {
        expression: '(#f0 = :f0 OR attribute_not_exists(#f0)) AND #f1 = :f1',
        names: { '#f0': 'status', '#f1': 'capability' },
        values: { ':f0': 'open', ':f1': 'portscan' },
      },
    });
    expect(riskListQuery({})).toEqual({ prefix: '#risk#' });
  });
});
