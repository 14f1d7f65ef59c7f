import { SpanStatusCode, trace } from '@opentelemetry/api';
import {
  CANCELLED,
  type CapabilityDefinition,
  effectiveLimits,
  type JobRecord,
  resultEnvelopeSchema,
  STATUS,
  TransientError,
} from '../jobs/index.js';
import { coerceError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { type EventPublisher, PublishError } from '../notify/index.js';
import { inSpan, type SpanSource } from '../telemetry/index.js';
import type { TenantContext, TenantFiles, TenantTable } from '../tenancy/index.js';
import { type CascadeHook, cascadeAfterPass } from './cascade.js';
import {
  type AttemptOutcome,
  type AttemptPolicy,
  REDO_AFTER_SECONDS,
  type Step,
  stepAfterRun,
  stepBeforeRun,
} from './decide.js';
import { startHeartbeat } from './heartbeat.js';
import { collector, type InvokeDeps, invoke } from './invoke.js';
import { type Findings, resultDocument, resultName, writeFindings, writeResult } from './outcome.js';
import type { JobQueue, JobStore, Lease, ReceivedMessage } from './ports.js';

/** What every attempt of this process uses. */
export interface AttemptDeps {
  readonly queue: Pick<JobQueue, 'ack' | 'setVisibility'>;
  readonly events: Pick<EventPublisher, 'publish'>;
  /** Publishes risk lifecycle events (risk.opened, …) after a pass; without it none are published. */
  readonly riskEvents?: Pick<EventPublisher, 'publishRisk'>;
  /** What running a capability needs (credentials, profile, AWS endpoints). */
  readonly invoke: InvokeDeps;
  /** Spawns the children of a passed job; without it nothing is spawned. */
  readonly cascade?: CascadeHook;
  /** This process (the execution record's `worker`). */
  readonly workerId: string;
  /** Lease (and visibility) of one attempt of a capability. */
  readonly leaseMs: (capability: Pick<CapabilityDefinition, 'timeoutMs'>) => number;
  /** The queue's default visibility; a longer lease extends the message's visibility on claim. */
  readonly queueVisibilityMs: number;
  /** Backoff of a transient failure: base and cap, ms (`SCANQ_RETRY_BASE`, `SCANQ_RETRY_MAX`). */
  readonly retry: { readonly baseMs: number; readonly maxMs: number };
  readonly now: () => Date;
  /** Fires when the drain timeout passed: running attempts are released. */
  readonly shutdown: AbortSignal;
  /** Child spans of the job's process span (run, result write, finish, notify). Default: none. */
  readonly spans?: SpanSource;
}

/** The abort reason of a job job control stopped (the heartbeat saw `cancelRequested`). */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor() {
    super('cancelled by job control');
  }
}

/** One claimed attempt. */
export interface AttemptInput {
  readonly capability: CapabilityDefinition;
  readonly lease: Lease;
  readonly store: JobStore;
  /** The tenant's context, table and files (handed to the capability; findings and results go there). */
  readonly ctx: TenantContext;
  readonly table: TenantTable;
  readonly files: TenantFiles;
  /**
   * The capability's own table and files when they differ from the engine's: over its tenant's
   * session clients (tenant-session.ts). Default: `table` and `files`.
   */
  readonly view?: { readonly table: TenantTable; readonly files: TenantFiles };
  readonly message: ReceivedMessage;
  readonly log: Logger;
  /** Runs what follows a won finish outside the job's slot (dispatcher.ts `ClaimedAttempt`). */
  readonly aside: (work: () => Promise<void>) => void;
}

/** How the attempt left the job, for the caller's bookkeeping. */
export type AttemptEnd = 'passed' | 'failed' | 'retried' | 'handedOff' | 'released' | 'fenced';

/** An attempt's facts for the steps that end it. */
interface Run {
  readonly startedAt: string;
  readonly findings: Findings;
  readonly result?: Readonly<Record<string, unknown>>;
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

const NO_SPANS: SpanSource = { tracer: trace.getTracer('scanq'), tracing: false };
const spansOf = (deps: AttemptDeps): SpanSource => deps.spans ?? NO_SPANS;

/**
 * A failure or a retry names its error code on the job's process span (the active one: steps run
 * in it): `error.type`, never the message. Nothing when tracing is off.
 */
function markFailure(code: string): void {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  span.setAttribute('error.type', code);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/** A visibility change that may fail without failing the attempt (the lease is what counts). */
async function setVisibility(
  deps: AttemptDeps,
  a: Pick<AttemptInput, 'message' | 'log'>,
  seconds: number,
): Promise<void> {
  await deps.queue
    .setVisibility(a.message, seconds)
    .catch((error: unknown) =>
      a.log.warn({ error: coerceError(error) }, 'could not change message visibility'),
    );
}

/** Runs one claimed attempt to its end: heartbeat, capability, then the step decide.ts chooses. */
export async function runAttempt(deps: AttemptDeps, a: AttemptInput): Promise<AttemptEnd> {
  const { lease, capability } = a;
  const startedAt = deps.now().toISOString();
  // The job's own timeout and budget (enqueue options, within the capability's bounds) win.
  const limits = effectiveLimits(capability, lease.record);
  const policy: AttemptPolicy = {
    attempt: lease.attempt,
    maxAttempts: limits.maxAttempts,
    retryBaseMs: deps.retry.baseMs,
    retryMaxMs: deps.retry.maxMs,
  };
  const before = stepBeforeRun(policy, lease.record);
  if (before) return carryOut(deps, a, before, { startedAt, findings: { assets: [], risks: [] } });
  const leaseMs = deps.leaseMs(limits);
  if (leaseMs !== deps.leaseMs(capability) || leaseMs > deps.queueVisibilityMs)
    await setVisibility(deps, a, leaseMs / 1000);
  const lost = new AbortController();
  const cancelled = new AbortController();
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const signal = AbortSignal.any([lost.signal, cancelled.signal, timeout, deps.shutdown]);
  const stopHeartbeat = startHeartbeat({
    // The claim's lease was the capability's: the first beat comes before either one ends.
    intervalMs: Math.max(1_000, Math.floor(Math.min(leaseMs, deps.leaseMs(capability)) / 3)),
    log: a.log,
    onLost: () => lost.abort(new Error('lease lost')),
    onCancelled: () => cancelled.abort(new CancelledError()),
    beat: async () => {
      const until = new Date(deps.now().getTime() + leaseMs);
      await setVisibility(deps, a, leaseMs / 1000);
      return a.store.renew(lease, until);
    },
  });
  const { emit, findings } = collector(capability);
  try {
    // A capability that ignores its signal still loses the race: the attempt ends on time.
    const ran = await inSpan(spansOf(deps), `run ${capability.name}`, {}, () =>
      raceAbort(invoke(deps.invoke, a, signal, emit), signal),
    );
    const step = stepAfterRun(ran.kind === 'handoff' ? ran : { kind: 'done' }, policy, deps.now());
    // A failed write while carrying out a pass or hand-off is a failure of the attempt (below).
    return await carryOut(deps, a, step, {
      startedAt,
      findings,
      ...(ran.kind === 'done' ? { result: ran.result } : {}),
    });
  } catch (error) {
    const outcome: AttemptOutcome = {
      kind: 'threw',
      // The timer's own reason says nothing of what timed out.
      error:
        timeout.aborted && !cancelled.signal.aborted && !lost.signal.aborted
          ? new TransientError(`capability ${capability.name} timed out after ${limits.timeoutMs} ms`, {
              code: 'job.timeout',
              cause: error,
            })
          : error,
      leaseLost: lost.signal.aborted,
      cancelled: cancelled.signal.aborted,
      shuttingDown: deps.shutdown.aborted,
    };
    return await carryOut(deps, a, stepAfterRun(outcome, policy, deps.now()), { startedAt, findings });
  } finally {
    stopHeartbeat();
  }
}

/** Does what `step` says; each write is fenced, and a fenced one ends the attempt as `fenced`. */
export async function carryOut(
  deps: AttemptDeps,
  a: AttemptInput,
  step: Step,
  run: Run,
): Promise<AttemptEnd> {
  const { lease } = a;
  switch (step.kind) {
    case 'pass':
      return conclude(deps, a, { code: STATUS.passed, ...run });
    case 'fail':
      markFailure(step.code);
      a.log.info({ code: step.code, error: step.reason }, 'job failed');
      return conclude(deps, a, {
        code: STATUS.failed,
        startedAt: run.startedAt,
        error: step.reason,
        findings: run.findings,
      });
    case 'handoff': {
      const won = await a.store.handOff(lease, {
        now: deps.now(),
        asyncRef: step.asyncRef,
        deadline: step.deadline,
        execution: { worker: deps.workerId, startedAt: run.startedAt },
      });
      if (!won) return 'fenced';
      await deps.queue.ack(a.message);
      return 'handedOff';
    }
    case 'retry': {
      markFailure(step.code);
      const now = deps.now();
      const until = new Date(now.getTime() + step.afterMs);
      if (!(await a.store.release(lease, { now, until, error: step.reason }))) return 'fenced';
      await setVisibility(deps, a, step.afterMs / 1000);
      a.log.info(
        { code: step.code, error: step.reason, retryInMs: step.afterMs },
        'transient failure; retrying later',
      );
      return 'retried';
    }
    case 'release': {
      const now = deps.now();
      await a.store.release(lease, { now, until: now, error: step.reason });
      await setVisibility(deps, a, 0);
      return 'released';
    }
    case 'cancel':
      markFailure(CANCELLED);
      a.log.info({ code: CANCELLED, error: step.reason }, 'job cancelled');
      return conclude(deps, a, {
        code: STATUS.failed,
        startedAt: run.startedAt,
        error: step.reason,
        errorCode: CANCELLED,
        findings: { assets: [], risks: [] },
        noResult: true,
      });
    case 'abandon':
      a.log.warn('lease lost while running; abandoning this attempt');
      return 'fenced';
  }
}

/**
 * Writes the terminal state: the result object, then the fenced `JR → JP|JF` (whose history entry
 * is the attempt's execution record); only when that finish wins, the findings and the
 * notification, then the acknowledgement. A fenced attempt (a zombie whose lease another attempt
 * took over) deletes its result object and leaves no finding and no event: what it saw is not what
 * the job recorded. A crash between the finish and the acknowledgement loses nothing: the message
 * comes back, and `redoAfterFinish` applies the findings from the result object the job names.
 */
async function conclude(
  deps: AttemptDeps,
  a: AttemptInput,
  fields: Run & {
    readonly code: typeof STATUS.passed | typeof STATUS.failed;
    readonly error?: string;
    readonly errorCode?: string;
    /** A cancelled job keeps no result object. */
    readonly noResult?: boolean;
  },
): Promise<AttemptEnd> {
  const { lease, capability, ctx } = a;
  const now = deps.now();
  const document = resultDocument(lease, {
    tenant: ctx.tenant,
    capability: capability.name,
    target: lease.record.target,
    status: fields.code,
    startedAt: fields.startedAt,
    finishedAt: now.toISOString(),
    ...(fields.result ? { result: fields.result } : {}),
    ...(fields.error ? { error: fields.error } : {}),
    findings: fields.findings,
  });
  const spans = spansOf(deps);
  const resultKey = fields.noResult
    ? undefined
    : await inSpan(spans, 'result write', {}, () =>
        writeResult(a.files, resultName(lease, capability.name), document),
      );
  const won = await inSpan(spans, 'finish', {}, () =>
    a.store.finish(lease, {
      code: fields.code,
      now,
      execution: { worker: deps.workerId, startedAt: fields.startedAt },
      ...(resultKey === undefined ? {} : { resultKey }),
      ...(fields.error ? { error: fields.error } : {}),
      ...(fields.errorCode ? { errorCode: fields.errorCode } : {}),
    }),
  );
  if (!won) {
    a.log.warn('fenced: a newer attempt owns this job; discarding this attempt');
    if (resultKey !== undefined) await a.files.delete(resultKey).catch(() => {});
    return 'fenced';
  }
  // The job is finished: a failure from here on must not be decided as the attempt's (its release
  // would be fenced now), so each write is retried on its own and, if it still fails, logged.
  a.aside(() =>
    afterWin(deps, a, {
      code: fields.code,
      lease,
      at: now.toISOString(),
      ...(resultKey === undefined ? {} : { resultKey }),
      ...(fields.error ? { error: fields.error } : {}),
      findings: fields.findings,
    }),
  );
  return fields.code === STATUS.passed ? 'passed' : 'failed';
}

/** A won finish: what follows it needs these. */
interface Won {
  readonly code: typeof STATUS.passed | typeof STATUS.failed;
  /** The attempt that won (its key, number and the job as claimed: the cascade's parent). */
  readonly lease: Lease;
  /** The finish's time: the findings' `at`. */
  readonly at: string;
  readonly resultKey?: string;
  readonly error?: string;
  readonly findings: Findings;
}

/** What following a finish uses of an attempt (or of a message that came back). */
type AfterWinInput = Pick<AttemptInput, 'capability' | 'ctx' | 'table' | 'message' | 'log'>;

/**
 * What follows a won finish: the event and the findings (a pass, of a capability that has them),
 * the cascade (a pass), then the acknowledgement. When a write still fails after its retries the
 * message is not acknowledged but hidden for `REDO_AFTER_SECONDS`: it comes back, and its next
 * receiver does all of it again (`redoAfterFinish`).
 */
async function afterWin(deps: AttemptDeps, a: AfterWinInput, won: Won): Promise<void> {
  const { capability, ctx } = a;
  const writes = await Promise.all([
    inSpan(spansOf(deps), 'notify', {}, () =>
      afterFinish(a, 'notification', () =>
        deps.events.publish({
          tenant: ctx.tenant,
          key: won.lease.key,
          capability: capability.name,
          status: won.code,
          attempt: won.lease.attempt,
          ...(won.resultKey === undefined ? {} : { resultKey: won.resultKey }),
          ...(won.error === undefined ? {} : { error: won.error }),
        }),
      ),
    ),
    // A capability without findings has none to record, and no earlier run's to close.
    ...(won.code === STATUS.passed && capability.findings !== false
      ? [
          afterFinish(a, 'findings', () =>
            writeFindings(
              a.table,
              won.findings,
              { job: won.lease.key, capability: capability.name, at: won.at, resultKey: won.resultKey },
              deps.riskEvents,
            ),
          ),
        ]
      : []),
  ]);
  if (won.code === STATUS.passed && deps.cascade)
    await cascadeAfterPass(
      deps.cascade,
      { table: a.table, lease: won.lease, log: a.log },
      won.findings.assets,
    );
  if (writes.includes('failed')) return setVisibility(deps, a, REDO_AFTER_SECONDS);
  await deps.queue.ack(a.message);
}

const NO_FINDINGS: Findings = { assets: [], risks: [] };

/**
 * A finished job's message came back after it was received before (dispatcher.ts
 * `lostClaimStep`, `redo`): the worker that won the finish stopped, or gave up on a write, before
 * its acknowledgement. Does what follows the finish again, from the job as stored and the result
 * document it names. The findings keep the newest run's view whatever the order (src/findings), the
 * cascade's inserts refuse jobs that exist: only the event can so come twice.
 */
export async function redoAfterFinish(
  deps: AttemptDeps,
  a: AfterWinInput & Pick<AttemptInput, 'files'>,
  stored: JobRecord,
): Promise<void> {
  const { code } = stored;
  if (code !== STATUS.passed && code !== STATUS.failed) return;
  const needsFindings =
    code === STATUS.passed && (a.capability.findings !== false || deps.cascade !== undefined);
  const findings =
    needsFindings && stored.resultKey !== undefined ? await readFindings(a, stored.resultKey) : NO_FINDINGS;
  a.log.info({ status: code, attempt: stored.attempt }, 'finished job: doing what follows its finish again');
  await afterWin(deps, a, {
    code,
    lease: {
      key: stored.key,
      owner: stored.owner ?? '',
      attempt: stored.attempt,
      phase: stored.phase,
      record: stored,
    },
    at: stored.finished ?? stored.updated,
    ...(stored.resultKey === undefined ? {} : { resultKey: stored.resultKey }),
    ...(stored.error === undefined ? {} : { error: stored.error }),
    findings,
  });
}

/** The findings of a result document; none (and a warning) when it is gone or not a v1 document. */
async function readFindings(a: Pick<AttemptInput, 'files' | 'log'>, key: string): Promise<Findings> {
  const file = await a.files.get(key);
  let parsed: ReturnType<typeof resultEnvelopeSchema.safeParse> | undefined;
  try {
    parsed = file
      ? resultEnvelopeSchema.safeParse(JSON.parse(new TextDecoder().decode(file.body)))
      : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed?.success) return { assets: parsed.data.assets, risks: parsed.data.risks };
  a.log.warn(
    { resultKey: key },
    'the result document of a finished job is missing or unreadable: no findings to apply',
  );
  return NO_FINDINGS;
}

/**
 * A write after the terminal transition: up to 5 tries with doubling backoff, then an error log
 * line. `failed`: it may still succeed later; `refused`: SNS refused the event itself (SenderFault),
 * which it would do again.
 */
async function afterFinish(
  a: Pick<AttemptInput, 'log'>,
  what: string,
  write: () => Promise<void>,
): Promise<'written' | 'failed' | 'refused'> {
  for (let attempt = 1; ; attempt++) {
    try {
      await write();
      return 'written';
    } catch (error) {
      const refused = error instanceof PublishError && !error.retryable;
      if (attempt >= 5 || refused) {
        a.log.error({ error: coerceError(error) }, `job finished but its ${what} could not be written`);
        return refused ? 'refused' : 'failed';
      }
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** (attempt - 1)));
    }
  }
}
