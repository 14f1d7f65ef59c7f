import { describe, expect, it } from 'vitest';
import {
  dwellTimes,
  mergeCounts,
  percentile,
  summarize,
  throughput,
  timelineOf,
} from '../../../tools/bench/stats.js';

describe('Function: percentile', () => {
  it.each([
    { values: [], p: 50, expected: 0 },
    { values: [7], p: 99, expected: 7 },
    { values: [1, 2, 3, 4], p: 50, expected: 2 },
    { values: [1, 2, 3, 4], p: 75, expected: 3 },
    { values: [1, 2, 3, 4], p: 100, expected: 4 },
    { values: Array.from({ length: 100 }, (_, i) => i + 1), p: 99, expected: 99 },
  ])('p$p of $values.length values is $expected (nearest rank)', ({ values, p, expected }) => {
    expect(percentile(values, p)).toBe(expected);
  });
});

describe('Function: summarize', () => {
  it('sorts, and reports p50/p95/p99, max and mean', () => {
    const s = summarize([30, 10, 20, 40]);
    expect(s).toEqual({ n: 4, p50: 20, p95: 40, p99: 40, max: 40, mean: 25 });
  });
});

describe('Function: throughput', () => {
  it('counts the middle 80 % of completions over their own window, and all over first claim → last finish', () => {
    // Prepare: 11 jobs finishing once a second from t = 10 s; the first claimed at t = 0.
    const finishes = Array.from({ length: 11 }, (_, i) => 10_000 + i * 1_000);
    // Act
    const t = throughput([0, ...finishes.slice(1)], finishes);
    // Assess: one completion a second in the middle window, whatever the ramp-up before it.
    expect(t.steady).toBeCloseTo(1, 5);
    expect(t.seconds).toBe(20);
    expect(t.overall).toBeCloseTo(11 / 20, 5);
  });
});

describe('Function: timelineOf', () => {
  it.each([
    {
      name: 'a plain run',
      history: [
        { status: 'JQ', at: '2026-01-01T00:00:00.000Z' },
        { status: 'JR', at: '2026-01-01T00:00:00.040Z' },
        { status: 'JP', at: '2026-01-01T00:00:00.060Z' },
      ],
      dwell: 40,
      terminal: 'JP',
    },
    {
      name: 'a second attempt (first claim counts)',
      history: [
        { status: 'JQ', at: '2026-01-01T00:00:00.000Z' },
        { status: 'JR', at: '2026-01-01T00:00:00.010Z' },
        { status: 'JR', at: '2026-01-01T00:00:40.000Z' },
        { status: 'JF', at: '2026-01-01T00:00:40.010Z' },
      ],
      dwell: 10,
      terminal: 'JF',
    },
    {
      name: 'not claimed yet',
      history: [{ status: 'JQ', at: '2026-01-01T00:00:00.000Z' }],
      dwell: undefined,
      terminal: undefined,
    },
  ])('reads $name', ({ history, dwell, terminal }) => {
    const t = timelineOf(history);
    expect(t.terminal).toBe(terminal);
    expect(dwellTimes([t])).toEqual(dwell === undefined ? [] : [dwell]);
  });

  it('ignores entries that are not transitions', () => {
    expect(timelineOf([null, 3, { status: 'JQ' }, 'x']).claimedAt).toBeUndefined();
    expect(timelineOf(undefined).terminal).toBeUndefined();
  });
});

describe('Function: mergeCounts', () => {
  it('adds counts per key and sorts the keys', () => {
    expect(Object.entries(mergeCounts({ 'SQS.B': 1, 'DynamoDB.A': 2 }, { 'SQS.B': 3 }))).toEqual([
      ['DynamoDB.A', 2],
      ['SQS.B', 4],
    ]);
  });
});
