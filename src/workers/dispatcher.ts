import { randomBytes } from 'node:crypto';
import {
  type CapabilityDefinition,
  type CapabilityRegistry,
  decodeJobMessage,
  InvalidJobRecordError,
  type JobMessage,
  type JobRecord,
  STATUS,
  TERMINAL,
} from '../jobs/index.js';
import { coerceError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { LANE, type Lane } from '../producer/index.js';
import {
  endAttemptSpan,
  inSpan,
  processMessage,
  type ScanqMetrics,
  type SpanSource,
  telemetryOff,
} from '../telemetry/index.js';
import type { AttemptEnd } from './attempt.js';
import type { TenantGate } from './fairness.js';
import type { PauseHook } from './pause.js';
import { type JobQueue, type JobStore, type Lease, type ReceivedMessage, receiveCountOf } from './ports.js';
import type { WorkerStats } from './stats.js';

/** A won claim, handed to the attempt runner. */
export interface ClaimedAttempt {
  readonly tenant: string;
  readonly capability: CapabilityDefinition;
  readonly lease: Lease;
  readonly store: JobStore;
  readonly message: ReceivedMessage;
  readonly log: Logger;
  /**
   * Runs what follows a won finish (findings, event, cascade, acknowledgement) outside the job's
   * slot and the tenant's gate place: the next job starts while the event waits for company in
   * its batch. The drain (`settled`) waits for it.
   */
  readonly aside: (work: () => Promise<void>) => void;
}

/** What the dispatcher uses. */
export interface DispatcherDeps {
  readonly queue: Omit<JobQueue, 'receive'>;
  /** The lane a message came from (queue.ts `lanedJobQueue`). Default: the jobs lane for all. */
  readonly laneOf?: (message: ReceivedMessage) => Lane;
  /** The job store of a tenant. The message names the tenant; the claim proves the job is there. */
  readonly storeOf: (tenant: string) => JobStore;
  /** Runs a claimed attempt to its end (attempt.ts `runAttempt`, bound to its dependencies). */
  readonly runAttempt: (claimed: ClaimedAttempt) => Promise<AttemptEnd>;
  readonly registry: Pick<CapabilityRegistry, 'get'>;
  readonly gate: Pick<TenantGate, 'tryEnter' | 'leave'>;
  readonly stats: Pick<WorkerStats, 'count' | 'dwell'>;
  readonly log: Logger;
  /** This process; each claim adds a token of its own to make the owner. */
  readonly workerId: string;
  /** Lease (and visibility) of one attempt of a capability. */
  readonly leaseMs: (capability: Pick<CapabilityDefinition, 'timeoutMs'>) => number;
  readonly now: () => Date;
  /** True once the worker stopped taking new jobs. */
  readonly draining: () => boolean;
  /** Fires when the drain timeout passed. */
  readonly shutdown: AbortSignal;
  /** Deferred messages are re-sent with `MessageGroupId = tenant` (`config.producer.messageGroupId`). */
  readonly groupByTenant: boolean;
  /** Spans (a process span per message, a claim span) and the job metrics. Default: telemetry off. */
  readonly telemetry?: SpanSource & { readonly metrics: ScanqMetrics };
  /** The jobs queue (span attributes). Default empty. */
  readonly queueUrl?: string;
  /** Job control's pauses: a paused job's message is parked (pause.ts `parkPaused`). Default none. */
  readonly pause?: PauseHook;
  /**
   * Does what follows a finish again for a finished job whose message came back (`lostClaimStep`'s
   * `redo`; attempt.ts `redoAfterFinish`, bound to the tenant's table and files).
   */
  readonly redoAfterFinish: (finished: FinishedAgain) => Promise<void>;
}

/** A finished job whose message came back, for `redoAfterFinish`. */
export interface FinishedAgain {
  readonly tenant: string;
  readonly capability: CapabilityDefinition;
  readonly stored: JobRecord;
  readonly message: ReceivedMessage;
  readonly log: Logger;
}

/** What to do with a message whose claim was lost, from the job as stored. Pure. */
export type LostClaim =
  | { readonly kind: 'backup'; readonly visibleInSeconds: number }
  | { readonly kind: 'reject'; readonly reason: string }
  | { readonly kind: 'redo'; readonly stored: JobRecord }
  | { readonly kind: 'ack' };

/**
 * Someone else has the job, or it is done: never run it twice. Still running elsewhere → keep this
 * copy as a backup, visible again just after that lease ends; still queued (so the claim's
 * capability check failed) → the message is wrong: reject it; finished, and this very message was
 * received before (`receiveCount` > 1) → the worker that finished it may have stopped, or given up
 * on a write, between its finish and its acknowledgement (which waits for the event, the findings
 * and the cascade): do those again (`redo`); anything else (finished, handed off, gone) → a
 * duplicate: acknowledge it. So an event can come twice, never not at all.
 */
export function lostClaimStep(
  message: Pick<JobMessage, 'capability'>,
  stored: JobRecord | undefined,
  now: Date,
  receiveCount = 1,
): LostClaim {
  const leaseUntil = stored?.leaseUntil === undefined ? Number.NaN : Date.parse(stored.leaseUntil);
  if (stored?.code === STATUS.running && leaseUntil > now.getTime()) {
    return { kind: 'backup', visibleInSeconds: (leaseUntil - now.getTime()) / 1000 + 1 };
  }
  if (stored?.code === STATUS.queued || stored?.code === STATUS.asyncReturning) {
    return {
      kind: 'reject',
      reason: `capability mismatch: message says ${message.capability}, job says ${stored.capability}`,
    };
  }
  if (stored && TERMINAL.has(stored.code) && receiveCount > 1) return { kind: 'redo', stored };
  return { kind: 'ack' };
}

/**
 * Handles one received message to its end: validate, apply the tenant cap, claim, run, and
 * acknowledge, defer, release or park it. Never throws: a bad message cannot stop a worker.
 */
export function createDispatcher(deps: DispatcherDeps) {
  const { log, stats, queue } = deps;
  const telemetry = deps.telemetry ?? telemetryOff();
  const { metrics } = telemetry;
  const queueUrl = deps.queueUrl ?? '';

  async function reject(message: ReceivedMessage, reason: string) {
    stats.count('rejected');
    metrics.deadLettered(message.MessageAttributes?.tenant?.StringValue);
    log.warn({ messageId: message.MessageId, error: reason }, 'message rejected to the DLQ');
    await queue.deadLetter(message, reason);
  }

  /**
   * The tenant is at its cap: keep the message hidden for the deferral delay while the DLQ's
   * receive count allows, else re-send it with that delay and delete this copy (queue.ts `deferStep`).
   */
  async function defer(message: ReceivedMessage, job: JobMessage) {
    stats.count('deferred');
    metrics.deferred(job.tenant);
    await queue.defer(message, deps.groupByTenant ? job.tenant : undefined);
  }

  async function lostClaim(
    message: ReceivedMessage,
    job: JobMessage,
    capability: CapabilityDefinition,
    stored: JobRecord | undefined,
  ) {
    stats.count('duplicates');
    const step = lostClaimStep(job, stored, deps.now(), receiveCountOf(message));
    switch (step.kind) {
      case 'backup':
        return queue.setVisibility(message, step.visibleInSeconds);
      case 'reject':
        return reject(message, step.reason);
      case 'redo': {
        const jobLog = log.child({ tenant: job.tenant, key: job.key, capability: job.capability });
        return deps.redoAfterFinish({
          tenant: job.tenant,
          capability,
          stored: step.stored,
          message,
          log: jobLog,
        });
      }
      case 'ack':
        if (stored === undefined) {
          // Nothing to run and nothing to retry; but a producer or an operator sends what it should not.
          metrics.unknownJob(job.tenant);
          log.warn(
            { tenant: job.tenant, key: job.key, capability: job.capability },
            'message names a job that does not exist (unknown tenant or job); acknowledged',
          );
        } else {
          log.debug(
            { tenant: job.tenant, key: job.key, status: stored.status },
            'duplicate message acknowledged',
          );
        }
        await queue.ack(message);
    }
  }

  /**
   * A disposed-of message's I/O (parked, deferred, made visible again) runs on its own, so the
   * receive loop goes on at once: under a flood, scanning past a capped tenant's messages to reach
   * other tenants' is what keeps those served. `settled` waits for it (drain).
   */
  const disposing = new Set<Promise<void>>();
  function dispose(message: ReceivedMessage, work: () => Promise<unknown>): undefined {
    const done: Promise<void> = work()
      .then(() => {})
      .catch((error: unknown) => fail(message, error))
      .finally(() => disposing.delete(done));
    disposing.add(done);
    return undefined;
  }

  /** Resolves when the I/O of every message disposed of so far is done. */
  async function settled(): Promise<void> {
    while (disposing.size > 0) await Promise.allSettled([...disposing]);
  }

  /** Jobs this process is working on: a second copy of one in the same batch is a duplicate. */
  const working = new Set<string>();

  async function process(message: ReceivedMessage, job: JobMessage) {
    // The phase too: an async job returning (JQA) while its hand-off is still being acknowledged is not a duplicate.
    const id = `${job.tenant}\u0000${job.key}\u0000${job.phase}`;
    if (working.has(id)) {
      stats.count('duplicates');
      // Back once the copy in hand is surely done; then its claim finds the job finished.
      const capability = deps.registry.get(job.capability) ?? { timeoutMs: 30_000 };
      return queue.setVisibility(message, deps.leaseMs(capability) / 1000 + 1);
    }
    working.add(id);
    try {
      await claimAndRun(message, job);
    } finally {
      working.delete(id);
    }
  }

  /** Claims and runs one job inside its process span (the message's trace), counting what it did. */
  function claimAndRun(message: ReceivedMessage, job: JobMessage) {
    return processMessage(telemetry, queueUrl, message, job, async (span, traceFields) => {
      const capability = deps.registry.get(job.capability);
      if (!capability) return reject(message, `unknown capability ${job.capability}`);
      const store = deps.storeOf(job.tenant);
      const owner = `${deps.workerId}:${randomBytes(4).toString('hex')}`;
      const now = deps.now();
      const claim = await inSpan(telemetry, 'claim', {}, () =>
        store
          .claim(job.key, { now, owner, capability: job.capability, leaseMs: deps.leaseMs(capability) })
          .catch((error: unknown) => {
            // A stored job that does not parse cannot be run by any worker: park its message with the reason.
            if (error instanceof InvalidJobRecordError) return error;
            throw error;
          }),
      );
      if (claim instanceof InvalidJobRecordError) {
        endAttemptSpan(span, 'rejected', claim.code);
        return reject(message, `${claim.code}: ${claim.message}`);
      }
      if (!claim.claimed) {
        endAttemptSpan(span, 'duplicate');
        return lostClaim(message, job, capability, claim.stored);
      }
      stats.count('claimed');
      const dwellMs = now.getTime() - Date.parse(job.enqueuedAt);
      stats.dwell(dwellMs);
      metrics.jobStarted(job.tenant, job.capability, Number.isFinite(dwellMs) ? dwellMs / 1000 : undefined);
      const { lease } = claim;
      span.setAttribute('scanq.attempt', lease.attempt);
      const jobLog = log.child({
        tenant: job.tenant,
        key: job.key,
        capability: job.capability,
        attempt: lease.attempt,
        ...traceFields,
      });
      const started = performance.now();
      metrics.inFlight(1);
      let end: AttemptEnd;
      try {
        end = await deps.runAttempt({
          tenant: job.tenant,
          capability,
          lease,
          store,
          message,
          log: jobLog,
          // Tracked like a disposal: settled() waits for it, and a failure is logged, never thrown.
          aside: (work) => dispose(message, work),
        });
      } finally {
        metrics.inFlight(-1);
      }
      metrics.attemptEnded(job.tenant, job.capability, end, (performance.now() - started) / 1000);
      endAttemptSpan(span, end);
      stats.count(end);
    });
  }

  /**
   * Validates a message and either admits it (a tenant slot is taken) or disposes of it: parked in
   * the DLQ, deferred (tenant at its cap), or made visible again (draining), without waiting for
   * that I/O. Returns the job to run when admitted. Never throws: a bad message cannot stop a worker.
   */
  async function admit(message: ReceivedMessage): Promise<(() => Promise<void>) | undefined> {
    stats.count('received');
    try {
      const decoded = decodeJobMessage(message.Body);
      if (!decoded.ok) return dispose(message, () => reject(message, decoded.reason));
      const job = decoded.message;
      const tagged = message.MessageAttributes?.tenant?.StringValue;
      if (tagged !== job.tenant)
        return dispose(message, () => reject(message, 'tenant attribute does not match the body'));
      if (deps.draining()) return dispose(message, () => queue.setVisibility(message, 0));
      if (deps.pause && (await deps.pause.paused(job.tenant, job.capability)))
        return dispose(message, () => deps.pause?.park(message, job) ?? Promise.resolve());
      const hardOnly = deps.laneOf?.(message) === LANE.bulk;
      if (!(await deps.gate.tryEnter(job.tenant, { hardOnly })))
        return dispose(message, () => defer(message, job));
      return async () => {
        try {
          // The drain timed out between admission and start: hand it back untouched.
          if (deps.shutdown.aborted) return await queue.setVisibility(message, 0);
          await process(message, job);
        } catch (error) {
          fail(message, error);
        } finally {
          deps.gate.leave(job.tenant);
        }
      };
    } catch (error) {
      fail(message, error);
      return undefined;
    }
  }

  /** Infrastructure trouble (throttling, network): the message becomes visible again and is retried. */
  function fail(message: ReceivedMessage, error: unknown) {
    log.error({ messageId: message.MessageId, error: coerceError(error) }, 'message handling failed');
  }

  /** Admits and runs one message to its end (tests and single-message callers). */
  async function handle(message: ReceivedMessage): Promise<void> {
    const run = await admit(message);
    if (run) await run();
    await settled();
  }

  return { admit, handle, settled };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
