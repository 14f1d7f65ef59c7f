import { describe, expect, it } from 'vitest';
import { statusValue } from '../../../src/jobs/index.js';
import { sweepStep } from '../../../src/producer/sweeper.js';

const NOW = new Date('2026-12-03T12:00:00.000Z');
const LOST = 300_000;
const at = (ms: number) => new Date(NOW.getTime() + ms);
const iso = (ms: number) => at(ms).toISOString();
const status = (code: 'JQ' | 'JQA' | 'JR' | 'JRA' | 'JP' | 'JF') => statusValue(code, at(-3_600_000));

describe('Function: sweepStep', () => {
  it('re-sends a queued or returning job it found, counting its next delay from now', () => {
    expect(sweepStep({ status: status('JQ') }, NOW, LOST)).toEqual({ kind: 'resend', next: NOW });
    expect(sweepStep({ status: status('JQA') }, NOW, LOST)).toEqual({ kind: 'resend', next: NOW });
  });

  it('counts a running job’s delay from its lease’s end, and re-sends it once the lease is over that long', () => {
    const live = { status: status('JR'), leaseUntil: iso(60_000) };
    expect(sweepStep(live, NOW, LOST)).toEqual({ kind: 'postpone', next: at(60_000) });
    const recentlyOver = { status: status('JR'), leaseUntil: iso(-60_000) };
    expect(sweepStep(recentlyOver, NOW, LOST)).toEqual({ kind: 'postpone', next: at(-60_000) });
    const longOver = { status: status('JR'), leaseUntil: iso(-LOST) };
    expect(sweepStep(longOver, NOW, LOST)).toEqual({ kind: 'resend', next: NOW });
  });

  it('fails an async job past its deadline and counts from the deadline before it', () => {
    expect(sweepStep({ status: status('JRA'), asyncDeadline: iso(1_000) }, NOW, LOST)).toEqual({
      kind: 'postpone',
      next: at(1_000),
    });
    expect(sweepStep({ status: status('JRA'), asyncDeadline: iso(-1) }, NOW, LOST)).toEqual({
      kind: 'expire',
      error: `async deadline ${iso(-1)} passed without a result`,
    });
  });

  it('leaves finished jobs alone (they left the index meanwhile)', () => {
    expect(sweepStep({ status: status('JP') }, NOW, LOST)).toEqual({ kind: 'skip' });
    expect(sweepStep({ status: status('JF') }, NOW, LOST)).toEqual({ kind: 'skip' });
  });
});
