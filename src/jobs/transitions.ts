/**
 * Every status transition of a job, in one place: each is a pure function that returns the write
 * and the condition under which the write may happen. The store adapters (workers/lease.ts, the
 * producer and the sweeper) only send what these build. `STATE_MACHINE` lists the transitions as
 * data; docs/STATES.md shows the same table (a unit test holds the two together).
 *
 * Status values are `CODE#time`; every condition compares with `CODE#`, never the bare code:
 * `begins_with(status, "JR")` would also match `JRA`.
 *
 * Index keys: an insert puts the job into the sweeper's `by-open` index (`openKey`, `sweepAt`) and
 * the finish takes it out; nothing in between changes an index key, so a claim, a renewal or a
 * release writes the table item only. `sweepAt` is the time the sweeper's delay counts from (the
 * insert, the last re-send, a lease's end, an async deadline); only the sweeper and a hand-off
 * move it, for the few jobs the sweeper has to look at again.
 */
import type { Condition, UpdateSpec } from '../tenancy/expressions.js';
import { type InsertThresholds, insertCondition } from './insert-rules.js';
import { type ItemOptions, jobItem, type NewJob } from './job.js';
import { STATUS, type StatusCode, statusPrefix, statusValue } from './status.js';

/** Attributes a terminal write removes: the job leaves the sweeper's `by-open` index. */
const LEAVE_OPEN_INDEX = ['openKey', 'sweepAt'] as const;

/** A conditional update of one job item. */
export interface Transition {
  readonly update: UpdateSpec;
  readonly condition: Condition;
}

/** Who holds an attempt: the owner token of its claim and the attempt number. */
export interface AttemptRef {
  readonly owner: string;
  readonly attempt: number;
}

/**
 * What an attempt's last history entry records of it (its execution record): which worker ran it
 * and since when. Folded into the write that ends the attempt, so it costs no write of its own and
 * exists exactly when that write won.
 */
export interface Execution {
  readonly worker: string;
  readonly startedAt: string;
}

/** One edge of the state machine. `none` is "no item", `any` every stored status. */
export interface Edge {
  readonly name: string;
  readonly from: readonly (StatusCode | 'none')[];
  readonly to: StatusCode;
  readonly by: 'producer' | 'worker' | 'sweeper';
  /** What the edge means, for the docs. */
  readonly note: string;
}

/** The state machine as data. The table in docs/STATES.md lists the same edges. */
export const STATE_MACHINE: readonly Edge[] = [
  {
    name: 'insert',
    from: ['none', 'JF', 'JP', 'JQ', 'JR', 'JRA', 'JQA'],
    to: 'JQ',
    by: 'producer',
    note: 'the six insert rules: new, previous failed, rescan due (JP), allowRepeat, safety net (any status, old enough)',
  },
  {
    name: 'return',
    from: ['JRA'],
    to: 'JQA',
    by: 'producer',
    note: 'an outside scanner called back (insert rule 3); the other rules apply as for insert',
  },
  {
    name: 'claim',
    from: ['JQ', 'JQA', 'JR'],
    to: 'JR',
    by: 'worker',
    note: 'JR only when its lease has expired (takeover); sets owner, attempt + 1, leaseUntil',
  },
  { name: 'renew', from: ['JR'], to: 'JR', by: 'worker', note: 'heartbeat: the owner extends leaseUntil' },
  {
    name: 'release',
    from: ['JR'],
    to: 'JR',
    by: 'worker',
    note: 'drain or transient failure: the lease ends at a given time, the next delivery claims it',
  },
  {
    name: 'handoff',
    from: ['JR'],
    to: 'JRA',
    by: 'worker',
    note: 'handed to an outside scanner until a deadline',
  },
  { name: 'pass', from: ['JR'], to: 'JP', by: 'worker', note: 'the owner finishes with a result' },
  { name: 'fail', from: ['JR'], to: 'JF', by: 'worker', note: 'the owner finishes with an error' },
  {
    name: 'resend',
    from: ['JQ', 'JQA', 'JR'],
    to: 'JQ',
    by: 'sweeper',
    note: 'a stale job whose message is lost is sent again; only `updated` and `sweepAt` change (the status stays)',
  },
  {
    name: 'expire',
    from: ['JRA'],
    to: 'JF',
    by: 'sweeper',
    note: 'the outside scanner did not call back before the deadline',
  },
  {
    name: 'cancel',
    from: ['JQ', 'JQA', 'JRA'],
    to: 'JF',
    by: 'producer',
    note: 'job control: a job no worker runs fails at once with code `cancelled`; its message is acknowledged as a duplicate',
  },
  {
    name: 'stop',
    from: ['JR'],
    to: 'JR',
    by: 'producer',
    note: 'job control: a running job is marked `cancelRequested`; its owner sees it at its next renew, aborts and finishes it JF `cancelled`',
  },
];

/** The error code of a job ended by job control (`cancel`, `stop`). */
export const CANCELLED = 'cancelled';

/** Every write of an attempt after its claim: only while this owner's attempt still runs (fencing). */
export function ownerCondition(ref: AttemptRef): Condition {
  return {
    expression: 'begins_with(#fs, :fRunning) AND #fo = :fOwner AND #fa = :fAttempt',
    names: { '#fs': 'status', '#fo': 'owner', '#fa': 'attempt' },
    values: { ':fRunning': statusPrefix(STATUS.running), ':fOwner': ref.owner, ':fAttempt': ref.attempt },
  };
}

/**
 * A worker may claim a job that is queued (`JQ#`), returning from async (`JQA#`), or running
 * (`JR#`, never `JRA#`) under a lease that has expired (its worker died), of its capability.
 */
export function claimCondition(now: Date, capability: string): Condition {
  return {
    expression:
      '(begins_with(#cs, :cQueued) OR begins_with(#cs, :cReturning) OR (begins_with(#cs, :cRunning) AND #cl < :cNow)) AND #cc = :cCap',
    names: { '#cs': 'status', '#cl': 'leaseUntil', '#cc': 'capability' },
    values: {
      ':cQueued': statusPrefix(STATUS.queued),
      ':cReturning': statusPrefix(STATUS.asyncReturning),
      ':cRunning': statusPrefix(STATUS.running),
      ':cNow': now.toISOString(),
      ':cCap': capability,
    },
  };
}

/** The status is still exactly the one read (a sweeper acts on what its index query saw). */
function unchangedStatus(status: string): Condition {
  return { expression: '#cs = :cs', names: { '#cs': 'status' }, values: { ':cs': status } };
}

/** insert / return: the job item and the six rules as a `PutItem` condition. */
export function insertJob(
  tenant: string,
  job: NewJob,
  options: ItemOptions & { readonly thresholds: InsertThresholds },
): { readonly item: ReturnType<typeof jobItem>; readonly condition: Condition } {
  return {
    item: jobItem(tenant, job, options),
    condition: insertCondition(job.status, options.now, options.thresholds),
  };
}

/** claim: `JQ#`/`JQA#` → `JR#`, or a takeover of an expired `JR#`; `attempt + 1`. */
export function claimJob(options: {
  readonly now: Date;
  readonly owner: string;
  readonly capability: string;
  readonly leaseMs: number;
}): Transition {
  const now = options.now.toISOString();
  return {
    update: {
      set: {
        status: statusValue(STATUS.running, options.now),
        owner: options.owner,
        leaseUntil: new Date(options.now.getTime() + options.leaseMs).toISOString(),
        started: now,
        updated: now,
      },
      add: { attempt: 1 },
      append: { history: [{ status: STATUS.running, at: now, owner: options.owner }] },
    },
    condition: claimCondition(options.now, options.capability),
  };
}

/**
 * renew: the owner extends its lease to `until`. The item as written tells the owner whether job
 * control asked it to stop (`cancelRequested`).
 */
export function renewLease(ref: AttemptRef, until: Date): Transition {
  return { update: { set: { leaseUntil: until.toISOString() } }, condition: ownerCondition(ref) };
}

/** pass / fail: `JR# → JP#|JF#` by the owner; the job leaves the `by-open` index. */
export function finishJob(
  ref: AttemptRef,
  outcome: {
    readonly code: typeof STATUS.passed | typeof STATUS.failed;
    readonly now: Date;
    readonly execution: Execution;
    readonly resultKey?: string;
    readonly error?: string;
    /** A stable code of the error (`cancelled` when job control stopped it). */
    readonly errorCode?: string;
  },
): Transition {
  const now = outcome.now.toISOString();
  const entry = {
    status: outcome.code,
    at: now,
    owner: ref.owner,
    attempt: ref.attempt,
    ...outcome.execution,
    ...(outcome.resultKey === undefined ? {} : { resultKey: outcome.resultKey }),
    ...(outcome.error === undefined ? {} : { error: outcome.error }),
    ...(outcome.errorCode === undefined ? {} : { errorCode: outcome.errorCode }),
  };
  return {
    update: {
      set: {
        status: statusValue(outcome.code, outcome.now),
        finished: now,
        updated: now,
        resultKey: outcome.resultKey,
        error: outcome.error,
        errorCode: outcome.errorCode,
      },
      remove: [
        ...LEAVE_OPEN_INDEX,
        'leaseUntil',
        ...(outcome.error === undefined ? ['error'] : []),
        ...(outcome.errorCode === undefined ? ['errorCode'] : []),
        ...(outcome.resultKey === undefined ? ['resultKey'] : []),
      ],
      append: { history: [entry] },
    },
    condition: ownerCondition(ref),
  };
}

/**
 * handoff: `JR# → JRA#` by the owner, waiting for an outside scanner until `deadline`; the sweeper
 * looks at the job again once the deadline has passed by its delay.
 */
export function handOffJob(
  ref: AttemptRef,
  options: {
    readonly now: Date;
    readonly asyncRef: string;
    readonly deadline: Date;
    readonly execution: Execution;
  },
): Transition {
  const now = options.now.toISOString();
  return {
    update: {
      set: {
        status: statusValue(STATUS.asyncRunning, options.now),
        asyncRef: options.asyncRef,
        asyncDeadline: options.deadline.toISOString(),
        updated: now,
        sweepAt: options.deadline.toISOString(),
      },
      remove: ['leaseUntil'],
      append: {
        history: [
          {
            status: STATUS.asyncRunning,
            at: now,
            owner: ref.owner,
            attempt: ref.attempt,
            ...options.execution,
          },
        ],
      },
    },
    condition: ownerCondition(ref),
  };
}

/**
 * release: the owner gives the job back without finishing it. The status stays `JR#`; the lease
 * ends at `until` (now for a drain, later for a retry backoff), so the next delivery claims it.
 */
export function releaseJob(
  ref: AttemptRef,
  options: { readonly now: Date; readonly until: Date; readonly error?: string },
): Transition {
  return {
    update: {
      set: {
        leaseUntil: options.until.toISOString(),
        updated: options.now.toISOString(),
        lastError: options.error,
      },
    },
    condition: ownerCondition(ref),
  };
}

/** What the sweeper saw of a job it acts on: the write only happens if neither changed since. */
export interface SweepSeen {
  readonly status: string;
  readonly sweepAt: string;
}

function unchangedSinceSweep(seen: SweepSeen): Condition {
  return {
    expression: '#cs = :cs AND #cw = :cw',
    names: { '#cs': 'status', '#cw': 'sweepAt' },
    values: { ':cs': seen.status, ':cw': seen.sweepAt },
  };
}

/**
 * resend: the sweeper claims a stale job before sending its message again, by moving `sweepAt`
 * on to `next` (now: it looks again one delay later), only if neither status nor `sweepAt`
 * changed since it read the job (so one replica sends).
 */
export function claimResend(seen: SweepSeen, at: Date, next: Date): Transition {
  return {
    update: { set: { updated: at.toISOString(), sweepAt: next.toISOString() } },
    condition: unchangedSinceSweep(seen),
  };
}

/**
 * postpone: the sweeper found the job alive (a lease not yet over long enough, an outside scanner
 * still within its deadline) and counts its delay from `next` instead. No status change: index
 * bookkeeping only.
 */
export function postponeSweep(seen: SweepSeen, next: Date): Transition {
  return { update: { set: { sweepAt: next.toISOString() } }, condition: unchangedSinceSweep(seen) };
}

/**
 * adopt: a job stored under the layout before `by-open` (it carries `sweepKey`, the old sweeper
 * index's partition) moves into `by-open` if it is still open, and only loses `sweepKey` if it
 * is finished. Only if its status is still the one read (`scanq migrate`).
 */
export function adoptIntoOpenIndex(
  seen: { readonly status: string },
  open: { readonly openKey: string; readonly sweepAt: Date } | undefined,
): Transition {
  return {
    update: {
      ...(open ? { set: { openKey: open.openKey, sweepAt: open.sweepAt.toISOString() } } : {}),
      remove: [LEGACY_SWEEP_KEY],
    },
    condition: {
      expression: '#cs = :cs AND attribute_exists(#ck)',
      names: { '#cs': 'status', '#ck': LEGACY_SWEEP_KEY },
      values: { ':cs': seen.status },
    },
  };
}

/** The partition attribute of the sweeper index before `by-open` (`CODE#shard`). */
export const LEGACY_SWEEP_KEY = 'sweepKey';

/** expire: the sweeper fails a `JRA#` job whose outside scanner missed its deadline. */
export function expireAsyncJob(seen: { readonly status: string }, at: Date, error: string): Transition {
  const now = at.toISOString();
  return {
    update: {
      set: { status: statusValue(STATUS.failed, at), updated: now, finished: now, error },
      remove: [...LEAVE_OPEN_INDEX],
      append: { history: [{ status: STATUS.failed, at: now, owner: 'sweeper' }] },
    },
    condition: unchangedStatus(seen.status),
  };
}

/** Who asked job control to act, for the job's history (a user id or `system:cli`). */
export interface ControlActor {
  readonly at: Date;
  readonly by: string;
}

/**
 * cancel: a job no worker is running (`JQ#`, `JQA#`, or `JRA#` waiting for an outside scanner)
 * fails at once with code `cancelled` and leaves the `by-open` index. Its message, when a worker
 * receives it, loses the claim and is acknowledged as a duplicate: the job never runs.
 */
export function cancelJob(actor: ControlActor): Transition {
  const now = actor.at.toISOString();
  const error = `cancelled by ${actor.by}`;
  return {
    update: {
      set: {
        status: statusValue(STATUS.failed, actor.at),
        updated: now,
        finished: now,
        error,
        errorCode: CANCELLED,
      },
      remove: [...LEAVE_OPEN_INDEX, 'leaseUntil'],
      append: { history: [{ status: STATUS.failed, at: now, by: actor.by, error, errorCode: CANCELLED }] },
    },
    condition: {
      expression: 'begins_with(#cs, :cQueued) OR begins_with(#cs, :cReturning) OR begins_with(#cs, :cAsync)',
      names: { '#cs': 'status' },
      values: {
        ':cQueued': statusPrefix(STATUS.queued),
        ':cReturning': statusPrefix(STATUS.asyncReturning),
        ':cAsync': statusPrefix(STATUS.asyncRunning),
      },
    },
  };
}

/**
 * stop: asks the owner of a running job (`JR#`) to stop. The status stays `JR#`; the owner reads
 * `cancelRequested` from its next renew (or, for a lease that expired, from its claim), aborts the
 * capability and finishes the job `JF#` with code `cancelled` and no result.
 */
export function stopJob(actor: ControlActor): Transition {
  const now = actor.at.toISOString();
  return {
    update: { set: { cancelRequested: now, cancelledBy: actor.by, updated: now } },
    condition: {
      expression: 'begins_with(#cs, :cRunning)',
      names: { '#cs': 'status' },
      values: { ':cRunning': statusPrefix(STATUS.running) },
    },
  };
}

/**
 * The condition of deleting a job: only a finished one (`JP#`, `JF#`), never one in flight, and
 * only as it was read (`seen`), so the result objects the caller read are the deleted job's.
 */
export function deleteFinishedCondition(seen: string): Condition {
  return {
    expression: '#cs = :cs AND (begins_with(#cs, :cPassed) OR begins_with(#cs, :cFailed))',
    names: { '#cs': 'status' },
    values: {
      ':cs': seen,
      ':cPassed': statusPrefix(STATUS.passed),
      ':cFailed': statusPrefix(STATUS.failed),
    },
  };
}
