import {
  claimJob,
  type Execution,
  finishJob,
  handOffJob,
  releaseJob,
  renewLease,
  STATUS,
  type StatusCode,
  statusCode,
  type Transition,
} from '../jobs/index.js';
import { ConditionFailedError, type Item, type TenantTable } from '../tenancy/index.js';

/** The attempt a worker holds after a successful claim. */
export interface Lease {
  readonly key: string;
  readonly owner: string;
  readonly attempt: number;
  /** `JQ` (run) or `JQA` (complete an async job). */
  readonly phase: 'JQ' | 'JQA';
  readonly item: Item;
}

export type ClaimResult =
  | { readonly claimed: true; readonly lease: Lease }
  | { readonly claimed: false; readonly stored: Item | undefined };

export interface LeaseClock {
  readonly now: Date;
  readonly shards: number;
}

/**
 * Runs a conditional update; false when the condition failed (someone else owns or finished it).
 * `applied` recognises an ambiguous failure: the write took effect, the response was lost, the SDK
 * retried, and the retry failed the condition against our own write. The stored item tells.
 */
async function conditional(
  table: TenantTable,
  key: string,
  transition: Transition,
  applied: (stored: Item | undefined) => boolean = () => false,
): Promise<boolean> {
  try {
    await table.update(key, transition.update, { condition: transition.condition });
    return true;
  } catch (error) {
    if (error instanceof ConditionFailedError) return applied(error.stored as Item | undefined);
    throw error;
  }
}

/** The stored job shows this owner's attempt in the given status: our own earlier write. */
function ours(stored: Item | undefined, owner: string, attempt: number, code: StatusCode): boolean {
  return stored?.owner === owner && Number(stored.attempt) === attempt && statusCode(stored.status) === code;
}

/**
 * Claims a job: `JQ#`/`JQA#` → `JR#`, or takes over a `JR#` whose lease expired; sets `owner`,
 * `attempt + 1` and `leaseUntil`. A lost claim returns what is stored, so the caller can tell a
 * duplicate of a finished job from one still running elsewhere.
 */
export async function claim(
  table: TenantTable,
  key: string,
  options: LeaseClock & { owner: string; capability: string; leaseMs: number },
): Promise<ClaimResult> {
  const transition = claimJob({ ...options, tenant: table.tenant, key });
  try {
    const item = await table.update(key, transition.update, { condition: transition.condition });
    const phase = item.phase === 'JQA' ? 'JQA' : 'JQ';
    return {
      claimed: true,
      lease: { key, owner: options.owner, attempt: Number(item.attempt), phase, item },
    };
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    const stored = error.stored as Item | undefined;
    // Our own claim whose response was lost: the owner token is unique to this claim.
    if (stored?.owner === options.owner && statusCode(stored.status) === STATUS.running) {
      const phase = stored.phase === 'JQA' ? 'JQA' : 'JQ';
      return {
        claimed: true,
        lease: { key, owner: options.owner, attempt: Number(stored.attempt), phase, item: stored },
      };
    }
    return { claimed: false, stored };
  }
}

/** Extends the lease of a running attempt; false when fenced (the job was taken over or finished). */
export function renew(table: TenantTable, lease: Lease, until: Date): Promise<boolean> {
  return conditional(table, lease.key, renewLease(lease, until));
}

/**
 * The terminal write `JR# → JP#|JF#`, only by the owner of this attempt, with the attempt's
 * execution record in its history entry. False when fenced.
 */
export function finish(
  table: TenantTable,
  lease: Lease,
  outcome: LeaseClock & {
    code: typeof STATUS.passed | typeof STATUS.failed;
    execution: Execution;
    resultKey?: string;
    error?: string;
  },
): Promise<boolean> {
  return conditional(table, lease.key, finishJob(lease, outcome), (stored) =>
    ours(stored, lease.owner, lease.attempt, outcome.code),
  );
}

/** `JR# → JRA#`: handed to an outside scanner until `deadline`. False when fenced. */
export function handoff(
  table: TenantTable,
  lease: Lease,
  options: LeaseClock & { asyncRef: string; deadline: Date; execution: Execution },
): Promise<boolean> {
  const transition = handOffJob(lease, { ...options, tenant: table.tenant, key: lease.key });
  return conditional(table, lease.key, transition, (stored) =>
    ours(stored, lease.owner, lease.attempt, STATUS.asyncRunning),
  );
}

/**
 * Gives the job back without finishing it: the lease ends at `until` (now for a drain, later for
 * a retry backoff), so the next delivery of its message can claim it. False when fenced.
 */
export function release(
  table: TenantTable,
  lease: Lease,
  options: { now: Date; until: Date; error?: string },
): Promise<boolean> {
  return conditional(table, lease.key, releaseJob(lease, options));
}
