import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import { type CapabilityDefinition, STATUS } from '../jobs/index.js';
import { coerceError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { PublishError } from '../notify/index.js';
import type { TenantContext, TenantFiles, TenantTable } from '../tenancy/index.js';
import { cascadeAfterPass } from './cascade.js';
import { type AttemptOutcome, type AttemptPolicy, type Step, stepAfterRun, stepBeforeRun } from './decide.js';
import { startHeartbeat } from './heartbeat.js';
import { collector, invoke } from './invoke.js';
import { finish, handoff, type Lease, release, renew } from './lease.js';
import { type Findings, resultDocument, resultName, writeFindings, writeResult } from './outcome.js';
import type { WorkerRuntime } from './runtime.js';

/** Everything one claimed attempt needs. */
export interface AttemptInput {
  readonly runtime: WorkerRuntime;
  readonly capability: CapabilityDefinition;
  readonly ctx: TenantContext;
  readonly table: TenantTable;
  readonly files: TenantFiles;
  readonly lease: Lease;
  readonly receiptHandle: string;
  readonly log: Logger;
}

/** How the attempt left the job, for the caller's bookkeeping. */
export type AttemptEnd = 'passed' | 'failed' | 'retried' | 'handedOff' | 'released' | 'fenced';

async function setVisibility(a: AttemptInput, seconds: number): Promise<void> {
  const { runtime } = a;
  await runtime.clients.sqs
    .send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: runtime.queueUrl,
        ReceiptHandle: a.receiptHandle,
        VisibilityTimeout: Math.max(0, Math.min(43_200, Math.ceil(seconds))),
      }),
    )
    .catch((error: unknown) =>
      a.log.warn({ error: coerceError(error) }, 'could not change message visibility'),
    );
}

/** Settles like `work`, or rejects with the signal's reason as soon as it aborts. */
export async function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
    work.catch(() => {});
  }
}

/**
 * Writes the terminal state: the result object, then the fenced `JR → JP|JF` (whose history entry
 * is the attempt's execution record); only when that finish wins, the findings and the
 * notification, then the acknowledgement. A fenced attempt (a zombie whose lease another attempt
 * took over) deletes its result object and leaves no finding and no event: what it saw is not what
 * the job recorded. A crash between the finish and the findings loses no data: the result object
 * the job names holds them.
 */
async function conclude(
  a: AttemptInput,
  fields: {
    code: 'JP' | 'JF';
    startedAt: string;
    result?: Readonly<Record<string, unknown>>;
    error?: string;
    findings: Findings;
  },
): Promise<AttemptEnd> {
  const { runtime, lease, capability, ctx } = a;
  const now = runtime.now();
  const finishedAt = now.toISOString();
  const document = resultDocument(lease, {
    tenant: ctx.tenant,
    capability: capability.name,
    target: String(lease.item.target),
    status: fields.code,
    startedAt: fields.startedAt,
    finishedAt,
    ...(fields.result ? { result: fields.result } : {}),
    ...(fields.error ? { error: fields.error } : {}),
    findings: fields.findings,
  });
  const resultKey = await writeResult(a.files, resultName(lease, capability.name), document);
  const won = await finish(a.table, lease, {
    code: fields.code,
    now,
    shards: runtime.config.indexShards,
    execution: { worker: runtime.workerId, startedAt: fields.startedAt },
    resultKey,
    ...(fields.error ? { error: fields.error } : {}),
  });
  if (!won) {
    a.log.warn('fenced: a newer attempt owns this job; discarding this attempt');
    await a.files.delete(resultKey).catch(() => {});
    return 'fenced';
  }
  // The job is finished: a failure from here on must not be decided as the attempt's (its release
  // would be fenced now), so each write is retried on its own and, if it still fails, logged.
  await Promise.all([
    ...(fields.code === STATUS.passed
      ? [afterFinish(a, 'findings', () => writeFindings(a.table, fields.findings, lease.key, now))]
      : []),
    afterFinish(a, 'notification', () =>
      runtime.events.publish({
        tenant: ctx.tenant,
        key: lease.key,
        capability: capability.name,
        status: fields.code,
        attempt: lease.attempt,
        resultKey,
        ...(fields.error ? { error: fields.error } : {}),
      }),
    ),
  ]);
  if (fields.code === STATUS.passed) await cascadeAfterPass(a, fields.findings.assets);
  await runtime.acker.ack(a.receiptHandle);
  return fields.code === STATUS.passed ? 'passed' : 'failed';
}

/** A write after the terminal transition: up to 5 tries with doubling backoff, then an error log line. */
async function afterFinish(a: AttemptInput, what: string, write: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      // SNS refusing the event itself (SenderFault) will refuse it again.
      if (attempt >= 5 || (error instanceof PublishError && !error.retryable)) {
        a.log.error({ error: coerceError(error) }, `job finished but its ${what} could not be written`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** (attempt - 1)));
    }
  }
}

/** Runs one claimed attempt to its end: heartbeat, capability, then the step decide.ts chooses. */
export async function runAttempt(a: AttemptInput): Promise<AttemptEnd> {
  const { runtime, lease, capability } = a;
  const startedAt = runtime.now().toISOString();
  const policy: AttemptPolicy = {
    attempt: lease.attempt,
    maxAttempts: capability.maxAttempts,
    retryBaseMs: runtime.config.worker.retryBaseMs,
    retryMaxMs: runtime.config.worker.retryMaxMs,
  };
  const exhausted = stepBeforeRun(policy);
  if (exhausted) return carryOut(a, exhausted, { startedAt, findings: { assets: [], risks: [] } });
  const leaseMs = runtime.leaseMs(capability);
  if (leaseMs > runtime.queueVisibilityMs) await setVisibility(a, leaseMs / 1000);
  const lost = new AbortController();
  const signal = AbortSignal.any([lost.signal, AbortSignal.timeout(capability.timeoutMs), runtime.shutdown]);
  const stopHeartbeat = startHeartbeat({
    intervalMs: Math.max(1_000, Math.floor(leaseMs / 3)),
    log: a.log,
    onLost: () => lost.abort(new Error('lease lost')),
    beat: async () => {
      const until = new Date(runtime.now().getTime() + leaseMs);
      await setVisibility(a, leaseMs / 1000);
      return renew(a.table, lease, until);
    },
  });
  const { emit, findings } = collector();
  try {
    // A capability that ignores its signal still loses the race: the attempt ends on time.
    const ran = await raceAbort(invoke(a, signal, emit), signal);
    const step = stepAfterRun(ran.kind === 'handoff' ? ran : { kind: 'done' }, policy, runtime.now());
    // A failed write while carrying out a pass or hand-off is a failure of the attempt (below).
    return await carryOut(a, step, {
      startedAt,
      findings,
      ...(ran.kind === 'done' ? { result: ran.result } : {}),
    });
  } catch (error) {
    const outcome: AttemptOutcome = {
      kind: 'threw',
      error,
      leaseLost: lost.signal.aborted,
      shuttingDown: runtime.shutdown.aborted,
    };
    return await carryOut(a, stepAfterRun(outcome, policy, runtime.now()), { startedAt, findings });
  } finally {
    stopHeartbeat();
  }
}

/** Does what `step` says; each write is fenced, and a fenced one ends the attempt as `fenced`. */
async function carryOut(
  a: AttemptInput,
  step: Step,
  run: { startedAt: string; findings: Findings; result?: Readonly<Record<string, unknown>> },
): Promise<AttemptEnd> {
  const { runtime, lease } = a;
  switch (step.kind) {
    case 'pass':
      return conclude(a, { code: STATUS.passed, ...run });
    case 'fail':
      a.log.info({ code: step.code, error: step.reason }, 'job failed');
      return conclude(a, {
        code: STATUS.failed,
        startedAt: run.startedAt,
        error: step.reason,
        findings: run.findings,
      });
    case 'handoff': {
      const won = await handoff(a.table, lease, {
        now: runtime.now(),
        shards: runtime.config.indexShards,
        asyncRef: step.asyncRef,
        deadline: step.deadline,
        execution: { worker: runtime.workerId, startedAt: run.startedAt },
      });
      if (!won) return 'fenced';
      await runtime.acker.ack(a.receiptHandle);
      return 'handedOff';
    }
    case 'retry': {
      const now = runtime.now();
      const released = await release(a.table, lease, {
        now,
        until: new Date(now.getTime() + step.afterMs),
        error: step.reason,
      });
      if (!released) return 'fenced';
      await setVisibility(a, step.afterMs / 1000);
      a.log.info(
        { code: step.code, error: step.reason, retryInMs: step.afterMs },
        'transient failure; retrying later',
      );
      return 'retried';
    }
    case 'release': {
      const now = runtime.now();
      await release(a.table, lease, { now, until: now, error: step.reason });
      await setVisibility(a, 0);
      return 'released';
    }
    case 'abandon':
      a.log.warn('lease lost while running; abandoning this attempt');
      return 'fenced';
  }
}
