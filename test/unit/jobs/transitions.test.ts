import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  cancelJob,
  claimJob,
  claimResend,
  deleteFinishedCondition,
  expireAsyncJob,
  finishJob,
  handOffJob,
  insertJob,
  type NewJob,
  postponeSweep,
  releaseJob,
  renewLease,
  STATE_MACHINE,
  STATUS_CODES,
  type StatusCode,
  statusCode,
  statusValue,
  stopJob,
  type Transition,
} from '../../../src/jobs/index.js';
import { TABLE } from '../../../src/local-aws/manifest.js';
import { applyUpdate, holds } from '../../helpers/condition.js';

/** Every attribute that keys the table's indexes: writing one of them writes the index. */
const INDEX_KEYS = new Set<string>(Object.values(TABLE.indexes).flatMap((i) => [i.partitionKey, i.sortKey]));
const indexKeysWritten = (t: Transition) =>
  [...Object.keys(t.update.set ?? {}), ...(t.update.remove ?? [])].filter((name) => INDEX_KEYS.has(name));

const NOW = new Date('2026-12-03T12:00:00.000Z');
const HOUR = 3_600_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const OWNER = { owner: 'w-1:abc', attempt: 2 };
const EXECUTION = { worker: 'w-1', startedAt: ago(5_000).toISOString() };
const THRESHOLDS = { rescanAfterMs: 12 * HOUR, safetyNetAfterMs: 48 * HOUR };

/** A stored job in `code`, created `age` ago, held by OWNER with a live lease unless said otherwise. */
function stored(code: StatusCode, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    key: '#job#t#noop',
    capability: 'noop',
    status: statusValue(code, ago(HOUR)),
    created: ago(HOUR).toISOString(),
    updated: ago(HOUR).toISOString(),
    owner: OWNER.owner,
    attempt: OWNER.attempt,
    leaseUntil: new Date(NOW.getTime() + 60_000).toISOString(),
    ...extra,
  };
}

/** The stored statuses under which `transition` may write (everything else about the item as given). */
function admitted(transition: Transition, extra: Record<string, unknown> = {}): StatusCode[] {
  return STATUS_CODES.filter((code) => holds(transition.condition, stored(code, extra)));
}

const edge = (name: string) => {
  const found = STATE_MACHINE.find((e) => e.name === name);
  if (!found) throw new Error(`no edge ${name}`);
  return found;
};
const codeAfter = (transition: Transition, from: StatusCode) =>
  statusCode(applyUpdate(stored(from), transition.update).status);

describe('Function: claimJob', () => {
  const claim = claimJob({ now: NOW, owner: 'w-2:def', capability: 'noop', leaseMs: 30_000 });

  it('claims JQ and JQA, and JR only once its lease has expired; never JRA, JP, JF', () => {
    expect(admitted(claim)).toEqual(['JQ', 'JQA']);
    expect(admitted(claim, { leaseUntil: ago(1).toISOString() })).toEqual(['JQ', 'JR', 'JQA']);
    expect(new Set(edge('claim').from)).toEqual(new Set(['JQ', 'JQA', 'JR']));
  });

  it('refuses a job of another capability, and a missing item', () => {
    expect(admitted(claim, { capability: 'portscan' })).toEqual([]);
    expect(holds(claim.condition, undefined)).toBe(false);
  });

  it('moves the job to JR with a new owner, attempt + 1, a lease and a history entry', () => {
    const after = applyUpdate(stored('JQ'), claim.update);
    expect(statusCode(after.status)).toBe('JR');
    expect(after).toMatchObject({
      owner: 'w-2:def',
      attempt: 3,
      leaseUntil: new Date(NOW.getTime() + 30_000).toISOString(),
      started: NOW.toISOString(),
    });
    expect(after.history).toEqual([{ status: 'JR', at: NOW.toISOString(), owner: 'w-2:def' }]);
  });

  it('changes no index key: a claim writes the table item only', () => {
    expect(indexKeysWritten(claim)).toEqual([]);
  });
});

describe('Function: the owner’s writes (renewLease, finishJob, handOffJob, releaseJob)', () => {
  const writes: ReadonlyArray<readonly [string, Transition, StatusCode]> = [
    ['renew', renewLease(OWNER, new Date(NOW.getTime() + 90_000)), 'JR'],
    [
      'pass',
      finishJob(OWNER, { code: 'JP', now: NOW, resultKey: 't/results/x.json', execution: EXECUTION }),
      'JP',
    ],
    ['fail', finishJob(OWNER, { code: 'JF', now: NOW, error: 'refused', execution: EXECUTION }), 'JF'],
    [
      'handoff',
      handOffJob(OWNER, {
        now: NOW,
        asyncRef: 'ext-1',
        deadline: new Date(NOW.getTime() + HOUR),
        execution: EXECUTION,
      }),
      'JRA',
    ],
    ['release', releaseJob(OWNER, { now: NOW, until: NOW, error: 'released on shutdown' }), 'JR'],
  ];

  it.each(writes)(
    '%s writes only while this owner’s attempt runs: JR#, not JRA# (the prefix trap)',
    (name, t, to) => {
      expect(admitted(t)).toEqual(['JR']);
      expect(edge(name).from).toEqual(['JR']);
      expect(codeAfter(t, 'JR')).toBe(to);
      expect(edge(name).to).toBe(to);
    },
  );

  it.each(writes)('%s is fenced for another owner, another attempt, and a missing item', (_name, t) => {
    expect(admitted(t, { owner: 'w-9:zzz' })).toEqual([]);
    expect(admitted(t, { attempt: OWNER.attempt + 1 })).toEqual([]);
    expect(holds(t.condition, undefined)).toBe(false);
  });

  it('renew and release change no index key; pass and fail only take the job out of by-open', () => {
    expect(writes.map(([name, t]) => [name, indexKeysWritten(t)])).toEqual([
      ['renew', []],
      ['pass', ['openKey', 'sweepAt']],
      ['fail', ['openKey', 'sweepAt']],
      ['handoff', ['sweepAt']],
      ['release', []],
    ]);
  });

  it('finishing removes the lease and the open-index keys, records the result or the error', () => {
    const open = { openKey: 'open#3', sweepAt: NOW.toISOString(), error: 'old' };
    const passed = applyUpdate(stored('JR', open), writes[1]?.[1].update ?? {});
    expect(passed).toMatchObject({ resultKey: 't/results/x.json', finished: NOW.toISOString() });
    expect(passed).not.toHaveProperty('leaseUntil');
    expect(passed).not.toHaveProperty('openKey');
    expect(passed).not.toHaveProperty('sweepAt');
    expect(passed).not.toHaveProperty('error');
    const failed = applyUpdate(stored('JR'), writes[2]?.[1].update ?? {});
    expect(failed.error).toBe('refused');
    // The history entry is the attempt's execution record (no separate write).
    expect(passed.history).toEqual([
      {
        status: 'JP',
        at: NOW.toISOString(),
        owner: OWNER.owner,
        attempt: 2,
        ...EXECUTION,
        resultKey: 't/results/x.json',
      },
    ]);
    expect(failed.history).toEqual([
      { status: 'JF', at: NOW.toISOString(), owner: OWNER.owner, attempt: 2, ...EXECUTION, error: 'refused' },
    ]);
  });

  it('a release keeps JR and ends the lease at the given time; a hand-off has the sweeper look at its deadline', () => {
    const released = applyUpdate(stored('JR'), releaseJob(OWNER, { now: NOW, until: ago(-5_000) }).update);
    expect(released).toMatchObject({ leaseUntil: ago(-5_000).toISOString(), owner: OWNER.owner });
    const handed = applyUpdate(stored('JR'), writes[3]?.[1].update ?? {});
    expect(handed).toMatchObject({
      asyncRef: 'ext-1',
      asyncDeadline: new Date(NOW.getTime() + HOUR).toISOString(),
    });
    expect(handed.sweepAt).toBe(new Date(NOW.getTime() + HOUR).toISOString());
    expect(handed).not.toHaveProperty('leaseUntil');
  });
});

describe('Function: the sweeper’s writes (claimResend, postponeSweep, expireAsyncJob)', () => {
  const due = ago(1_000).toISOString();
  const next = new Date(NOW.getTime() + 300_000);

  it('claims a re-send only when status and sweepAt are still what it read, and moves sweepAt on', () => {
    const seen = stored('JQ', { sweepAt: due });
    const resend = claimResend({ status: String(seen.status), sweepAt: due }, NOW, next);
    expect(holds(resend.condition, seen)).toBe(true);
    expect(holds(resend.condition, { ...seen, sweepAt: next.toISOString() })).toBe(false);
    expect(holds(resend.condition, stored('JR', { sweepAt: due }))).toBe(false);
    expect(holds(resend.condition, undefined)).toBe(false);
    const after = applyUpdate(seen, resend.update);
    expect(after.status).toBe(seen.status);
    expect(after).toMatchObject({ updated: NOW.toISOString(), sweepAt: next.toISOString() });
  });

  it('postpones only the job it read, changing nothing but sweepAt', () => {
    const seen = stored('JR', { sweepAt: due });
    const postpone = postponeSweep({ status: String(seen.status), sweepAt: due }, next);
    expect(holds(postpone.condition, seen)).toBe(true);
    expect(holds(postpone.condition, stored('JP', { sweepAt: due }))).toBe(false);
    expect(applyUpdate(seen, postpone.update)).toEqual({ ...seen, sweepAt: next.toISOString() });
  });

  it('fails only the JRA it saw, with a history entry and out of the open index', () => {
    const seen = stored('JRA', { openKey: 'open#1', sweepAt: due });
    const expire = expireAsyncJob({ status: String(seen.status) }, NOW, 'deadline passed');
    expect(admitted(expire, { status: seen.status })).toEqual(STATUS_CODES); // status is the one seen
    expect(holds(expire.condition, stored('JQA'))).toBe(false);
    const after = applyUpdate(seen, expire.update);
    expect(statusCode(after.status)).toBe('JF');
    expect(after).toMatchObject({ error: 'deadline passed', finished: NOW.toISOString() });
    expect(after).not.toHaveProperty('openKey');
    expect(after).not.toHaveProperty('sweepAt');
    expect(after.history).toEqual([{ status: 'JF', at: NOW.toISOString(), owner: 'sweeper' }]);
    expect(edge('expire')).toMatchObject({ from: ['JRA'], to: 'JF' });
  });
});

describe('Function: insertJob (the six rules)', () => {
  const job = (status: 'JQ' | 'JQA'): NewJob => ({
    key: '#job#t#noop',
    capability: 'noop',
    target: 't',
    input: {},
    status,
    allowRepeat: false,
  });
  const insert = (status: 'JQ' | 'JQA') =>
    insertJob('t', job(status), {
      now: NOW,
      ttlMs: 7 * 24 * HOUR,
      shards: 8,
      source: 'test',
      thresholds: THRESHOLDS,
    });
  const cases: ReadonlyArray<readonly [string, Record<string, unknown> | undefined, 'JQ' | 'JQA', boolean]> =
    [
      ['1: no item', undefined, 'JQ', true],
      ['2: previous failed', stored('JF'), 'JQ', true],
      ['3: a return over JRA', stored('JRA'), 'JQA', true],
      ['3: a plain insert over JRA is refused', stored('JRA'), 'JQ', false],
      ['3: a return over JR is refused', stored('JR'), 'JQA', false],
      ['4: passed, created 13 h ago', stored('JP', { created: ago(13 * HOUR).toISOString() }), 'JQ', true],
      ['4: passed, created 1 h ago', stored('JP'), 'JQ', false],
      ['5: allowRepeat', stored('JP', { allowRepeat: true }), 'JQ', true],
      ['6: running, created 3 days ago', stored('JR', { created: ago(72 * HOUR).toISOString() }), 'JQ', true],
      ['queued 1 h ago', stored('JQ'), 'JQ', false],
      ['running 1 h ago', stored('JR'), 'JQ', false],
    ];

  it.each(cases)('%s', (_name, item, inbound, accepted) => {
    expect(holds(insert(inbound).condition, item)).toBe(accepted);
  });

  it('stores the job queued, with its phase, history, and in the open index from its insert time', () => {
    const { item } = insert('JQA');
    expect(statusCode(item.status)).toBe('JQA');
    expect(item).toMatchObject({
      phase: 'JQA',
      attempt: 0,
      history: [{ status: 'JQA', at: NOW.toISOString() }],
    });
    expect(item.openKey).toMatch(/^open#[0-7]$/);
    expect(item.sweepAt).toBe(NOW.toISOString());
  });
});

describe('Function: cancelJob, stopJob, deleteFinishedCondition (job control)', () => {
  const actor = { at: NOW, by: 'alice' };

  it('cancel takes only a job no worker runs (JQ, JQA, JRA) to JF with code cancelled, out of by-open', () => {
    const cancel = cancelJob(actor);
    expect(admitted(cancel)).toEqual(['JQ', 'JRA', 'JQA']);
    expect(new Set(edge('cancel').from)).toEqual(new Set(admitted(cancel)));
    expect(holds(cancel.condition, undefined)).toBe(false);
    const after = applyUpdate(stored('JQ', { openKey: 'open#1', sweepAt: NOW.toISOString() }), cancel.update);
    expect(statusCode(after.status)).toBe(edge('cancel').to);
    expect(after).toMatchObject({
      errorCode: 'cancelled',
      error: 'cancelled by alice',
      finished: NOW.toISOString(),
    });
    expect(after.openKey).toBeUndefined();
    expect(after.sweepAt).toBeUndefined();
    expect(indexKeysWritten(cancel)).toEqual(['openKey', 'sweepAt']);
  });

  it('stop takes only JR, keeps the status and the lease, and marks cancelRequested', () => {
    const stop = stopJob(actor);
    expect(admitted(stop)).toEqual(['JR']);
    expect(edge('stop').from).toEqual(['JR']);
    const before = stored('JR');
    const after = applyUpdate(before, stop.update);
    expect(after.status).toBe(before.status);
    expect(after.leaseUntil).toBe(before.leaseUntil);
    expect(after).toMatchObject({ cancelRequested: NOW.toISOString(), cancelledBy: 'alice' });
    expect(indexKeysWritten(stop)).toEqual([]);
  });

  it('a stopped job renews (the owner learns of the stop from what it wrote) and fails with code cancelled', () => {
    const running = applyUpdate(stored('JR'), stopJob(actor).update);
    expect(holds(renewLease(OWNER, NOW).condition, running)).toBe(true);
    const failed = applyUpdate(
      running,
      finishJob(OWNER, {
        code: 'JF',
        now: NOW,
        execution: EXECUTION,
        error: 'cancelled',
        errorCode: 'cancelled',
      }).update,
    );
    expect(failed).toMatchObject({ errorCode: 'cancelled' });
    expect(failed.resultKey).toBeUndefined();
  });

  it('a pass removes an errorCode; delete is allowed only on a finished job whose status is unchanged', () => {
    const passed = applyUpdate(
      stored('JR', { errorCode: 'cancelled' }),
      finishJob(OWNER, { code: 'JP', now: NOW, execution: EXECUTION, resultKey: 'r' }).update,
    );
    expect(passed.errorCode).toBeUndefined();
    const seen = statusValue('JF', ago(HOUR));
    expect(admitted({ update: {}, condition: deleteFinishedCondition(seen) })).toEqual(['JF']);
    expect(holds(deleteFinishedCondition(statusValue('JQ', ago(HOUR))), stored('JQ'))).toBe(false);
  });
});

describe('Constant: STATE_MACHINE', () => {
  /** The status codes that can follow `from`. */
  const nextStatuses = (from: StatusCode | 'none') =>
    new Set(STATE_MACHINE.filter((e) => e.from.includes(from)).map((e) => e.to));

  it('never leaves a terminal status except by a new insert (rules 2, 4, 5, 6)', () => {
    expect(nextStatuses('JP')).toEqual(new Set(['JQ']));
    expect(nextStatuses('JF')).toEqual(new Set(['JQ']));
    expect(nextStatuses('none')).toEqual(new Set(['JQ']));
    expect(nextStatuses('JRA')).toEqual(new Set(['JQ', 'JQA', 'JF']));
    expect(nextStatuses('JR')).toEqual(new Set(['JQ', 'JR', 'JRA', 'JP', 'JF']));
  });

  it('is the table docs/STATES.md shows, edge for edge', () => {
    const doc = readFileSync(new URL('../../../docs/STATES.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| `([a-z]+)` \| ([^|]+) \| `([A-Z]+)` \| ([a-z]+) \|/gm)].map(
      ([, name, from, to, by]) => ({
        name,
        from: [...(from ?? '').matchAll(/`([a-zA-Z]+)`/g)].map((m) => m[1]),
        to,
        by,
      }),
    );
    expect(rows).toEqual(STATE_MACHINE.map(({ name, from, to, by }) => ({ name, from: [...from], to, by })));
  });
});
