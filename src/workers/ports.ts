/**
 * The worker core's two ports: the queue it consumes and the store of its job writes. The
 * dispatcher, the poller and an attempt only call these; the real adapters (queue.ts over SQS,
 * lease.ts over the tenant table) send what they are asked, so the core's logic can be tested
 * with in-memory fakes and the adapters against the local endpoint.
 */
import type { Message } from '@aws-sdk/client-sqs';
import type { Execution, JobRecord, STATUS } from '../jobs/index.js';

/** A received job message, as the core reads it. */
export type ReceivedMessage = Pick<
  Message,
  'Body' | 'MessageAttributes' | 'MessageId' | 'ReceiptHandle' | 'Attributes'
>;

/** The jobs queue. */
/** How many times SQS has delivered a message, this receive included (1 when it did not say). */
export function receiveCountOf(message: ReceivedMessage): number {
  return Number(message.Attributes?.ApproximateReceiveCount ?? 1);
}

export interface JobQueue {
  /**
   * Long-polls for up to `max` (1–10) messages; resolves with none when the wait passes.
   * @param signal aborts the long poll (stopping).
   */
  receive(max: number, signal: AbortSignal): Promise<ReceivedMessage[]>;
  /** Deletes a handled message (batched); resolves true once the queue confirmed. */
  ack(message: ReceivedMessage): Promise<boolean>;
  /** Hides the message for `seconds` from now (0: visible again at once). */
  setVisibility(message: ReceivedMessage, seconds: number): Promise<void>;
  /**
   * Re-sends the message with the deferral delay and deletes this copy: a new message, so a
   * deferral never counts towards the DLQ's receive limit. False when the re-send failed (the
   * copy then comes back after its visibility timeout).
   */
  defer(message: ReceivedMessage, groupId: string | undefined): Promise<boolean>;
  /** Parks a message that can never be processed in the DLQ, with the reason. */
  deadLetter(message: ReceivedMessage, reason: string): Promise<void>;
}

/** The attempt a worker holds after a won claim. */
export interface Lease {
  readonly key: string;
  /** Owner token of this claim (`{worker}:{random}`). */
  readonly owner: string;
  readonly attempt: number;
  /** `JQ` (run) or `JQA` (complete an async job). */
  readonly phase: typeof STATUS.queued | typeof STATUS.asyncReturning;
  /** The job as the claim left it. */
  readonly record: JobRecord;
}

/** A claim: won (the lease), or lost with the job as it is stored (undefined when there is none). */
export type ClaimResult =
  | { readonly claimed: true; readonly lease: Lease }
  | { readonly claimed: false; readonly stored: JobRecord | undefined };

export interface ClaimRequest {
  readonly now: Date;
  readonly owner: string;
  /** The message's capability: a claim only takes a job of that capability. */
  readonly capability: string;
  readonly leaseMs: number;
}

export interface FinishRequest {
  readonly now: Date;
  readonly code: typeof STATUS.passed | typeof STATUS.failed;
  /** The attempt's execution record (its history entry). */
  readonly execution: Execution;
  readonly resultKey?: string;
  readonly error?: string;
  /** A stable code of the error (`cancelled`). */
  readonly errorCode?: string;
}

export interface HandOffRequest {
  readonly now: Date;
  readonly asyncRef: string;
  readonly deadline: Date;
  readonly execution: Execution;
}

export interface ReleaseRequest {
  readonly now: Date;
  /** When the lease ends: now for a drain, later for a retry backoff. */
  readonly until: Date;
  readonly error?: string;
}

/**
 * The job writes of one tenant's attempts. Every write after the claim is fenced on the lease's
 * owner and attempt: false means another attempt owns the job now (or it is finished), and the
 * caller must write nothing more. A retried write that had already taken effect counts as won.
 * @throws InvalidJobRecordError from `claim` when the stored job does not parse.
 */
export interface JobStore {
  claim(key: string, request: ClaimRequest): Promise<ClaimResult>;
  /** `held`, `lost` (fenced), or `cancelled` (held, but job control asked the job to stop). */
  renew(lease: Lease, until: Date): Promise<'held' | 'lost' | 'cancelled'>;
  finish(lease: Lease, request: FinishRequest): Promise<boolean>;
  handOff(lease: Lease, request: HandOffRequest): Promise<boolean>;
  release(lease: Lease, request: ReleaseRequest): Promise<boolean>;
}
