import { describe, expect, it } from 'vitest';
import {
  acceptingRule,
  insertCondition,
  rejectReason,
  STATUS,
  statusValue,
} from '../../../src/jobs/index.js';

const now = new Date('2026-11-23T12:00:00.000Z');
const thresholds = { rescanAfterMs: 12 * 3_600_000, safetyNetAfterMs: 2 * 86_400_000 };
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
const H = 3_600_000;

describe('Function: acceptingRule', () => {
  it.each([
    ['no stored job', undefined, STATUS.queued, 'new'],
    [
      'stored failed',
      { status: statusValue('JF', now), created: ago(1_000) },
      STATUS.queued,
      'previousFailed',
    ],
    [
      'stored JRA, inbound JQA',
      { status: 'JRA#x', created: ago(1_000) },
      STATUS.asyncReturning,
      'asyncReturning',
    ],
    ['stored JRA, inbound JQ', { status: 'JRA#x', created: ago(1_000) }, STATUS.queued, undefined],
    [
      'stored JR, inbound JQA (prefix trap)',
      { status: 'JR#x', created: ago(1_000) },
      STATUS.asyncReturning,
      undefined,
    ],
    ['passed 13 h ago', { status: 'JP#x', created: ago(13 * H) }, STATUS.queued, 'rescanDue'],
    ['passed 11 h ago', { status: 'JP#x', created: ago(11 * H) }, STATUS.queued, undefined],
    [
      'queued with allowRepeat',
      { status: 'JQ#x', created: ago(1_000), allowRepeat: true },
      STATUS.queued,
      'allowRepeat',
    ],
    [
      'queued without allowRepeat',
      { status: 'JQ#x', created: ago(1_000), allowRepeat: false },
      STATUS.queued,
      undefined,
    ],
    ['running, created 49 h ago', { status: 'JR#x', created: ago(49 * H) }, STATUS.queued, 'safetyNet'],
    ['running, created 47 h ago', { status: 'JR#x', created: ago(47 * H) }, STATUS.queued, undefined],
  ] as const)('%s → %s', (_label, stored, inbound, expected) => {
    expect(acceptingRule(stored, inbound, now, thresholds)).toBe(expected);
  });
});

describe('Function: insertCondition', () => {
  it('compares with CODE# prefixes, never bare codes', () => {
    const condition = insertCondition(STATUS.asyncReturning, now, thresholds);
    const prefixes = Object.entries(condition.values ?? {}).filter(([name]) =>
      /Failed|Passed|Async/.test(name),
    );
    expect(prefixes.map(([, v]) => v)).toEqual(['JF#', 'JRA#', 'JP#']);
  });

  it('includes the async-return clause only for an inbound JQA', () => {
    expect(insertCondition(STATUS.queued, now, thresholds).expression).not.toContain(':iAsyncRunning');
    expect(insertCondition(STATUS.asyncReturning, now, thresholds).expression).toContain(':iAsyncRunning');
  });

  it('derives both thresholds from the injected clock', () => {
    const values = insertCondition(STATUS.queued, now, thresholds).values ?? {};
    expect(values[':iRescanBefore']).toBe('2026-11-23T00:00:00.000Z');
    expect(values[':iSafetyBefore']).toBe('2026-11-21T12:00:00.000Z');
  });
});

describe('Function: rejectReason', () => {
  it.each([
    ['JQ#t', STATUS.queued, 'alreadyQueued'],
    ['JQA#t', STATUS.queued, 'alreadyQueued'],
    ['JR#t', STATUS.queued, 'alreadyRunning'],
    ['JRA#t', STATUS.queued, 'alreadyRunning'],
    ['JP#t', STATUS.queued, 'recentlyPassed'],
    ['JR#t', STATUS.asyncReturning, 'notReturnable'],
  ] as const)('stored %s, inbound %s → %s', (stored, inbound, reason) => {
    expect(rejectReason(stored, inbound)).toBe(reason);
  });
});
