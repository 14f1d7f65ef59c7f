/**
 * The store adapter: a worker's job writes over the tenant table. It sends what
 * src/jobs/transitions.ts builds, parses what comes back into a `JobRecord`, and turns a failed
 * condition into a `JobConflictError` carrying the parsed stored job, so nothing past this file
 * sees a raw item.
 */
import {
  claimJob,
  finishJob,
  handOffJob,
  InvalidJobRecordError,
  JobConflictError,
  type JobRecord,
  parseJobRecord,
  releaseJob,
  renewLease,
  STATUS,
  type StatusCode,
  type Transition,
} from '../jobs/index.js';
import { ConditionFailedError, type Item, type TenantTable } from '../tenancy/index.js';
import type {
  ClaimRequest,
  ClaimResult,
  FinishRequest,
  HandOffRequest,
  JobStore,
  Lease,
  ReleaseRequest,
} from './ports.js';

export type { ClaimResult, Lease } from './ports.js';

/**
 * Sends one transition and returns the item as written.
 * @throws JobConflictError with the parsed stored job when the condition failed;
 *   InvalidJobRecordError when that stored job does not parse.
 */
async function send(table: TenantTable, key: string, transition: Transition): Promise<Item> {
  try {
    return await table.update(key, transition.update, { condition: transition.condition });
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    const stored = error.stored === undefined ? undefined : parseJobRecord(error.stored);
    throw new JobConflictError(key, stored, { cause: error });
  }
}

/**
 * A fenced write: false when the condition failed (another attempt owns or finished the job).
 * `applied` recognises an ambiguous failure: the write took effect, the response was lost, the SDK
 * retried, and the retry failed the condition against our own write. The stored job tells.
 */
async function fenced(
  table: TenantTable,
  key: string,
  transition: Transition,
  applied: (stored: JobRecord | undefined) => boolean = () => false,
): Promise<boolean> {
  try {
    await send(table, key, transition);
    return true;
  } catch (error) {
    if (error instanceof JobConflictError) return applied(error.stored);
    // A stored job that no longer parses is not this attempt's to write: fenced.
    if (error instanceof InvalidJobRecordError) return false;
    throw error;
  }
}

/** The stored job shows this lease's attempt in the given status: our own earlier write. */
function ours(stored: JobRecord | undefined, lease: Lease, code: StatusCode): boolean {
  return stored?.owner === lease.owner && stored.attempt === lease.attempt && stored.code === code;
}

function leaseOf(key: string, owner: string, record: JobRecord): Lease {
  return { key, owner, attempt: record.attempt, phase: record.phase, record };
}

/**
 * Claims a job: `JQ#`/`JQA#` → `JR#`, or takes over a `JR#` whose lease expired; sets `owner`,
 * `attempt + 1` and `leaseUntil`. A lost claim returns the stored job, so the caller can tell a
 * duplicate of a finished job from one still running elsewhere.
 * @throws InvalidJobRecordError when the stored job does not parse.
 */
export async function claim(table: TenantTable, key: string, options: ClaimRequest): Promise<ClaimResult> {
  const transition = claimJob(options);
  try {
    return {
      claimed: true,
      lease: leaseOf(key, options.owner, parseJobRecord(await send(table, key, transition))),
    };
  } catch (error) {
    if (!(error instanceof JobConflictError)) throw error;
    const { stored } = error;
    // Our own claim whose response was lost: the owner token is unique to this claim.
    if (stored?.owner === options.owner && stored.code === STATUS.running) {
      return { claimed: true, lease: leaseOf(key, options.owner, stored) };
    }
    return { claimed: false, stored };
  }
}

/**
 * Extends the lease of a running attempt: `lost` when fenced, `cancelled` when the job as written
 * carries job control's `cancelRequested` (the owner must stop), else `held`.
 */
export async function renew(
  table: TenantTable,
  lease: Lease,
  until: Date,
): Promise<'held' | 'lost' | 'cancelled'> {
  try {
    const item = await send(table, lease.key, renewLease(lease, until));
    return item.cancelRequested === undefined ? 'held' : 'cancelled';
  } catch (error) {
    if (error instanceof JobConflictError || error instanceof InvalidJobRecordError) return 'lost';
    throw error;
  }
}

/**
 * The terminal write `JR# → JP#|JF#`, only by the owner of this attempt, with the attempt's
 * execution record in its history entry. False when fenced.
 */
export function finish(table: TenantTable, lease: Lease, request: FinishRequest): Promise<boolean> {
  return fenced(table, lease.key, finishJob(lease, request), (stored) => ours(stored, lease, request.code));
}

/** `JR# → JRA#`: handed to an outside scanner until `deadline`. False when fenced. */
export function handOff(table: TenantTable, lease: Lease, request: HandOffRequest): Promise<boolean> {
  return fenced(table, lease.key, handOffJob(lease, request), (stored) =>
    ours(stored, lease, STATUS.asyncRunning),
  );
}

/**
 * Gives the job back without finishing it: the lease ends at `until` (now for a drain, later for
 * a retry backoff), so the next delivery of its message can claim it. False when fenced.
 */
export function release(table: TenantTable, lease: Lease, request: ReleaseRequest): Promise<boolean> {
  return fenced(table, lease.key, releaseJob(lease, request));
}

/** The `JobStore` port over one tenant's table. */
export function tableJobStore(table: TenantTable): JobStore {
  return {
    claim: (key, request) => claim(table, key, request),
    renew: (lease, until) => renew(table, lease, until),
    finish: (lease, request) => finish(table, lease, request),
    handOff: (lease, request) => handOff(table, lease, request),
    release: (lease, request) => release(table, lease, request),
  };
}
