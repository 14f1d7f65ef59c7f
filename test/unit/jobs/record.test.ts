import { describe, expect, it } from 'vitest';
import { InvalidJobRecordError, JobConflictError, parseJobRecord } from '../../../src/jobs/index.js';

const NOW = new Date('2026-12-03T12:00:00.000Z');
/** A job item as the producer stores it (index and TTL attributes included). */
const stored = (over: Record<string, unknown> = {}) => ({
  key: '#job#example.com#noop',
  kind: 'job',
  capability: 'noop',
  target: 'example.com',
  input: { ports: [80] },
  status: `JQ#${NOW.toISOString()}`,
  phase: 'JQ',
  created: NOW.toISOString(),
  updated: NOW.toISOString(),
  allowRepeat: false,
  attempt: 0,
  history: [{ status: 'JQ', at: NOW.toISOString() }],
  source: 'u1',
  sweepKey: 'JQ#1',
  expiresAt: 1_796_400_000,
  depth: 0,
  ...over,
});

describe('Function: parseJobRecord', () => {
  it('parses an item as the producer writes it, with the code of its status', () => {
    // Act
    const job = parseJobRecord(stored());

    // Assess
    expect(job).toMatchObject({
      key: '#job#example.com#noop',
      capability: 'noop',
      target: 'example.com',
      input: { ports: [80] },
      status: 'JQ#2026-12-03T12:00:00.000Z',
      code: 'JQ',
      phase: 'JQ',
      attempt: 0,
      depth: 0,
      allowRepeat: false,
      history: [{ status: 'JQ', at: NOW.toISOString() }],
    });
  });

  it('drops index and TTL bookkeeping and unknown attributes instead of failing', () => {
    // Prepare
    const item = stored({ sweepKey: 'JQ#3', sweepAt: 'x', openKey: 'y', expiresAt: 123, later: { v: 2 } });

    // Act
    const job = parseJobRecord(item);

    // Assess
    expect(job).not.toHaveProperty('sweepKey');
    expect(job).not.toHaveProperty('expiresAt');
    expect(job).not.toHaveProperty('later');
  });

  it('keeps every field of a history entry (an execution record carried over by an async return)', () => {
    // Prepare
    const entry = { status: 'JP', at: 't', owner: 'w:1', attempt: 1, worker: 'w', startedAt: 's', extra: 1 };

    // Act
    const job = parseJobRecord(stored({ history: [entry] }));

    // Assess
    expect(job.history).toEqual([entry]);
  });

  it('reads a running job: owner, lease, lineage', () => {
    // Act
    const job = parseJobRecord(
      stored({
        status: 'JR#2026-12-03T12:00:01.000Z',
        phase: 'JQA',
        attempt: 2,
        owner: 'w-1:ab',
        leaseUntil: '2026-12-03T12:01:00.000Z',
        parent: '#job#p#portscan',
        root: '#job#r#portscan',
        depth: 2,
        asyncResult: { output: 's3://x' },
      }),
    );

    // Assess
    expect(job).toMatchObject({ code: 'JR', phase: 'JQA', attempt: 2, owner: 'w-1:ab', depth: 2 });
    expect(job.asyncResult).toEqual({ output: 's3://x' });
  });

  it.each([
    ['a status without a code', { status: 'JX#t' }, 'status'],
    ['a bare code (no #time)', { status: 'JR' }, 'status'],
    ['an attempt stored as text', { attempt: '1' }, 'attempt'],
    ['no target', { target: undefined }, 'target'],
    ['an input that is not an object', { input: 'x' }, 'input'],
    ['an unknown phase', { phase: 'JR' }, 'phase'],
  ])('refuses %s with a coded error naming the field', (_name, over, field) => {
    // Act
    const parse = () => parseJobRecord(stored(over));

    // Assess
    expect(parse).toThrow(InvalidJobRecordError);
    try {
      parse();
    } catch (error) {
      expect(error).toMatchObject({ code: 'job.invalidRecord', key: '#job#example.com#noop' });
      expect((error as Error).message).toContain(`${field}:`);
    }
  });

  it('refuses an item that is not a job', () => {
    expect(() => parseJobRecord({ key: '#asset#host#a' })).toThrow(InvalidJobRecordError);
    expect(() => parseJobRecord(undefined)).toThrow(InvalidJobRecordError);
  });
});

describe('Class: JobConflictError', () => {
  it('carries the parsed stored record and a stable code', () => {
    // Prepare
    const job = parseJobRecord(stored());

    // Act
    const error = new JobConflictError(job.key, job);

    // Assess
    expect(error).toMatchObject({ code: 'job.conflict', key: job.key, name: 'JobConflictError' });
    expect(error.stored?.code).toBe('JQ');
  });
});
