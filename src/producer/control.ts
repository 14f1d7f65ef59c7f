/**
 * Job control: cancel, retry, delete, pause and resume, for the API, the CLI and services that
 * embed scanq. Every operation authorizes the caller's context first (the one role table), acts
 * only in its tenant (the tenant-scoped table and files), and writes job status only through
 * src/jobs/transitions.ts.
 */
import {
  CANCELLED,
  cancelJob,
  deleteFinishedCondition,
  JobError,
  type JobRecord,
  type NewJob,
  type PauseScope,
  type PauseState,
  parseJobKey,
  parseJobRecord,
  pauseItem,
  pauseKey,
  readJob,
  readPauses,
  STATUS,
  stopJob,
  TERMINAL,
} from '../jobs/index.js';
import { coerceError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import {
  authorize,
  ConditionFailedError,
  type TableDeps,
  type TenantContext,
  type TenantFiles,
  TenantTable,
} from '../tenancy/index.js';
import type { EnqueueResult, Producer } from './producer.js';

/** A job-control request that the job's state refuses. `code` says which; nothing was written. */
export class JobControlError extends JobError {
  /** The job as stored when the request was refused (undefined when there is none). */
  readonly stored: JobRecord | undefined;

  constructor(
    code: 'job.notFound' | 'job.notCancellable' | 'job.notFailed' | 'job.notFinished',
    message: string,
    stored?: JobRecord,
  ) {
    super(code, message);
    this.stored = stored;
  }
}

/** What a cancel did: `cancelled` (it will never run), or `stopping` (its worker stops it at its next heartbeat). */
export interface CancelResult {
  readonly key: string;
  readonly outcome: 'cancelled' | 'stopping';
  /** The job's status after the write (`JF#…` when cancelled, still `JR#…` when stopping). */
  readonly status: string;
}

/** What a delete removed. */
export interface DeleteResult {
  readonly key: string;
  /** Result objects (S3) deleted with the job. */
  readonly deletedObjects: number;
}

/** Job control over one deployment. Every method authorizes `ctx` and acts in `ctx.tenant` only. */
export interface JobControl {
  /**
   * Cancels a job: a queued one (`JQ`, `JQA`, `JRA`) fails at once with code `cancelled` and never
   * runs; a running one (`JR`) is asked to stop, and its worker ends it `JF` `cancelled` at its next
   * heartbeat. Needs `job:control`.
   * @throws JobControlError `job.notFound`, or `job.notCancellable` when it has finished.
   */
  cancel(ctx: TenantContext, key: string): Promise<CancelResult>;
  /**
   * Runs a failed job (`JF`) again now, with its input and options, through the insert rules.
   * Needs `job:control`.
   * @throws JobControlError `job.notFound`, or `job.notFailed` when it is not `JF`.
   */
  retry(ctx: TenantContext, key: string): Promise<EnqueueResult>;
  /**
   * Deletes a finished job (`JP`, `JF`) and its result objects. Needs `job:delete`.
   * @throws JobControlError `job.notFound`, or `job.notFinished` while it is queued or running.
   */
  remove(ctx: TenantContext, key: string): Promise<DeleteResult>;
  /** Pauses the tenant, or one capability of it: its jobs wait queued. Needs `tenant:pause`. */
  pause(ctx: TenantContext, scope?: PauseScope): Promise<PauseState>;
  /** Lifts a pause. Needs `tenant:pause`. */
  resume(ctx: TenantContext, scope?: PauseScope): Promise<PauseState>;
  /** What is paused in the tenant. Needs `tenant:read`. */
  pauses(ctx: TenantContext): Promise<PauseState>;
}

export interface JobControlDeps {
  readonly tableDeps: TableDeps;
  /** The tenant's files (result objects). */
  readonly filesOf: (ctx: TenantContext) => TenantFiles;
  /** Re-inserts a retried job (the producer's conditional insert and send). */
  readonly producer: Pick<Producer, 'insert'>;
  readonly log: Logger;
  /** Clock of the writes. Default `new Date()`. */
  readonly now?: () => Date;
}

/** Refuses a key that is not a job key, so job control never touches other item kinds. */
function assertJobKey(key: string): void {
  if (!parseJobKey(key))
    throw new JobControlError('job.notFound', `no job ${JSON.stringify(key.slice(0, 100))}`);
}

/** The stored job of a refused write, parsed (undefined when there is none). */
function storedOf(error: ConditionFailedError): JobRecord | undefined {
  return error.stored === undefined ? undefined : parseJobRecord(error.stored);
}

/** Every result object the job names (its last one and each finished attempt's). */
export function resultKeysOf(job: JobRecord): string[] {
  const keys = [job.resultKey, ...job.history.map((h) => h.resultKey)];
  return [...new Set(keys.filter((k): k is string => typeof k === 'string' && k.length > 0))];
}

/** The job a retry inserts: the failed one's target, input, options, lineage and history. Pure. */
export function retryJob(stored: JobRecord): NewJob {
  const options = {
    ...(stored.timeoutMs === undefined ? {} : { timeoutMs: stored.timeoutMs }),
    ...(stored.maxAttempts === undefined ? {} : { maxAttempts: stored.maxAttempts }),
  };
  return {
    key: stored.key,
    capability: stored.capability,
    target: stored.target,
    input: stored.input,
    allowRepeat: stored.allowRepeat,
    status: STATUS.queued,
    history: stored.history,
    ...(Object.keys(options).length > 0 ? { options } : {}),
    ...(stored.parent !== undefined && stored.root !== undefined
      ? { lineage: { parent: stored.parent, root: stored.root, depth: stored.depth } }
      : {}),
  };
}

/** Job control over the table, files and producer given. */
export function createJobControl(deps: JobControlDeps): JobControl {
  const now = deps.now ?? (() => new Date());
  const tableOf = (ctx: TenantContext) => new TenantTable(deps.tableDeps, ctx);

  async function stop(table: TenantTable, ctx: TenantContext, key: string): Promise<CancelResult> {
    const transition = stopJob({ at: now(), by: ctx.user });
    try {
      const item = await table.update(key, transition.update, { condition: transition.condition });
      return { key, outcome: 'stopping', status: String(item.status) };
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      // It finished (or was handed off) between the two writes: cancel what it is now.
      return cancelIn(table, ctx, key, false);
    }
  }

  async function cancelIn(
    table: TenantTable,
    ctx: TenantContext,
    key: string,
    mayStop: boolean,
  ): Promise<CancelResult> {
    const transition = cancelJob({ at: now(), by: ctx.user });
    try {
      const item = await table.update(key, transition.update, { condition: transition.condition });
      deps.log.info({ tenant: ctx.tenant, user: ctx.user, key }, 'job cancelled');
      return { key, outcome: 'cancelled', status: String(item.status) };
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      const stored = storedOf(error);
      if (!stored) throw new JobControlError('job.notFound', 'no such job in this tenant');
      if (stored.code === STATUS.running && mayStop) {
        const result = await stop(table, ctx, key);
        deps.log.info({ tenant: ctx.tenant, user: ctx.user, key }, 'running job asked to stop');
        return result;
      }
      throw new JobControlError(
        'job.notCancellable',
        `the job has finished (${stored.code}${stored.errorCode === CANCELLED ? ', cancelled' : ''})`,
        stored,
      );
    }
  }

  async function stored(table: TenantTable, key: string): Promise<JobRecord> {
    assertJobKey(key);
    const job = await readJob(table, key, { consistent: true });
    if (!job) throw new JobControlError('job.notFound', 'no such job in this tenant');
    return job;
  }

  async function setPause(ctx: TenantContext, scope: PauseScope, paused: boolean): Promise<PauseState> {
    authorize(ctx, 'tenant:pause');
    const table = tableOf(ctx);
    if (paused) await table.put(pauseItem(scope, ctx.user, now()));
    else await table.delete(pauseKey(scope));
    deps.log.info(
      { tenant: ctx.tenant, user: ctx.user, key: pauseKey(scope) },
      paused ? 'paused' : 'resumed',
    );
    return readPauses(table);
  }

  return {
    async cancel(ctx, key) {
      authorize(ctx, 'job:control');
      assertJobKey(key);
      return cancelIn(tableOf(ctx), ctx, key, true);
    },

    async retry(ctx, key) {
      authorize(ctx, 'job:control');
      const job = await stored(tableOf(ctx), key);
      if (job.code !== STATUS.failed)
        throw new JobControlError(
          'job.notFailed',
          `only a failed job (JF) can be retried; it is ${job.code}`,
          job,
        );
      const [result] = await deps.producer.insert(ctx, [retryJob(job)]);
      if (!result) throw new Error('insert returned no result');
      deps.log.info({ tenant: ctx.tenant, user: ctx.user, key }, 'job retried');
      return result;
    },

    async remove(ctx, key) {
      authorize(ctx, 'job:delete');
      const table = tableOf(ctx);
      const job = await stored(table, key);
      if (!TERMINAL.has(job.code))
        throw new JobControlError(
          'job.notFinished',
          `only a finished job can be deleted; it is ${job.code}`,
          job,
        );
      try {
        await table.delete(key, { condition: deleteFinishedCondition(job.status) });
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
        throw new JobControlError('job.notFinished', 'the job changed since it was read; read it again', job);
      }
      // The job is gone: its objects are unreferenced, so a failed delete leaves litter, never a dangling job.
      const files = deps.filesOf(ctx);
      const keys = resultKeysOf(job);
      const deleted = await Promise.all(
        keys.map((k) =>
          files.delete(k).then(
            () => 1,
            (error: unknown) => {
              deps.log.warn(
                { tenant: ctx.tenant, key, error: coerceError(error) },
                'result object not deleted',
              );
              return 0;
            },
          ),
        ),
      );
      deps.log.info({ tenant: ctx.tenant, user: ctx.user, key }, 'job deleted');
      return { key, deletedObjects: deleted.reduce<number>((a, b) => a + b, 0) };
    },

    pause: (ctx, scope = {}) => setPause(ctx, scope, true),
    resume: (ctx, scope = {}) => setPause(ctx, scope, false),
    async pauses(ctx) {
      authorize(ctx, 'tenant:read');
      return readPauses(tableOf(ctx));
    },
  };
}
