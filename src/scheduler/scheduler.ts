import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import type { AwsClients } from '../aws/clients.js';
import type { Config } from '../config/index.js';
import { JobValidationError } from '../jobs/index.js';
import { coerceError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Producer } from '../producer/index.js';
import { ConditionFailedError, systemContext, type TableDeps, TenantTable } from '../tenancy/index.js';
import { type DueRef, queryDueSchedules } from './due-index.js';
import { ScheduleValidationError } from './errors.js';
import {
  type ClaimPlan,
  claimPlan,
  quarantinePlan,
  type RunJob,
  scheduleExecutionItem,
  unclaimPlan,
} from './runs.js';
import { DUE_PREFIX, parseStoredSchedule, type StoredSchedule } from './schedule.js';

/** What one tick found and did. */
export interface TickReport {
  /** Schedules the index reported due. */
  readonly due: number;
  /** Runs this replica claimed and fired. */
  readonly fired: number;
  /** Runs another replica claimed first (or that changed meanwhile). */
  readonly skipped: number;
  /** Unreadable schedule items taken out of the index (`invalid` says why). */
  readonly invalid: number;
  /** Jobs the producer accepted / refused across the fired runs. */
  readonly accepted: number;
  readonly rejected: number;
  /** Runs whose enqueue failed and were given back for the next tick. */
  readonly retried: number;
}

export interface SchedulerDeps {
  readonly clients: AwsClients;
  /** Enqueues the jobs of a run (the same conditional insert as every other caller). */
  readonly producer: Pick<Producer, 'enqueue'>;
  readonly log: Logger;
  /** Clock. Default `new Date()`. */
  readonly now?: () => Date;
  /** Schedules fired at once per tick. Default 8. */
  readonly concurrency?: number;
  /** Called once per run this replica fired, with its tenant (metrics). Default none. */
  readonly onFired?: (tenant: string) => void;
}

export interface Scheduler {
  /** One pass over every shard of the due index. */
  tickOnce(): Promise<TickReport>;
  /** Ticks every `SCANQ_SCHEDULER_INTERVAL` until `signal` aborts; a failed tick is logged, not fatal. */
  run(signal: AbortSignal): Promise<void>;
}

type Outcome = 'fired' | 'skipped' | 'invalid' | 'retried';

/**
 * The scheduler: finds due schedules through the sharded `by-due` index, claims each run by a
 * conditional update of `nextRun` (so any number of replicas fire a run exactly once), enqueues its
 * targets through the producer as `system:scheduler` in the schedule's own tenant, and records an
 * execution item `#execution#schedule#{id}#{dueTime}`. Should the process die between claim and
 * enqueue, that one run is skipped (at most once); an enqueue that fails is given back and retried.
 */
export function createScheduler(config: Config, deps: SchedulerDeps): Scheduler {
  const now = deps.now ?? (() => new Date());
  const tableDeps: TableDeps = { doc: deps.clients.doc, tableName: config.resources.table };
  const limit = pLimit(deps.concurrency ?? 8);
  const { log } = deps;

  async function conditional(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  async function enqueueRun(table: TenantTable, schedule: StoredSchedule): Promise<RunJob[]> {
    const requests = schedule.targets.map((target) => ({
      capability: schedule.capability,
      target,
      input: schedule.input,
    }));
    const results = await deps.producer.enqueue(table.context, requests);
    return results.map((r) =>
      r.accepted
        ? { key: r.key, target: r.target, accepted: true, ...(r.enqueued ? {} : { unsent: true }) }
        : { key: r.key, target: r.target, accepted: false, reason: r.reason },
    );
  }

  async function fire(table: TenantTable, schedule: StoredSchedule, plan: ClaimPlan, at: Date) {
    let jobs: RunJob[] = [];
    let error: string | undefined;
    try {
      jobs = await enqueueRun(table, schedule);
    } catch (e) {
      if (!(e instanceof JobValidationError)) throw e;
      // The schedule no longer validates (a capability was removed or changed): record, move on.
      error = e.message;
    }
    const execution = scheduleExecutionItem(schedule, {
      dueTime: plan.dueTime,
      firedAt: at.toISOString(),
      jobs,
      ...(error ? { error } : {}),
    });
    const recorded = await conditional(() =>
      table.put(execution, {
        condition: { expression: 'attribute_not_exists(#ek)', names: { '#ek': 'key' } },
      }),
    );
    if (!recorded)
      log.error({ tenant: table.tenant, schedule: schedule.id, dueTime: plan.dueTime }, 'run recorded twice');
    log.info(
      {
        tenant: table.tenant,
        schedule: schedule.id,
        capability: schedule.capability,
        dueTime: plan.dueTime,
        nextRun: plan.next,
        accepted: execution.accepted,
        rejected: execution.rejected,
        ...(error ? { error } : {}),
      },
      'schedule fired',
    );
    return execution;
  }

  async function handle(
    ref: DueRef,
    at: Date,
  ): Promise<{ outcome: Outcome; accepted?: number; rejected?: number }> {
    const table = new TenantTable(tableDeps, systemContext(ref.tenant, 'scheduler'));
    let schedule: StoredSchedule;
    try {
      schedule = parseStoredSchedule(ref.item);
    } catch (error) {
      if (
        !(error instanceof ScheduleValidationError) ||
        typeof ref.item.key !== 'string' ||
        typeof ref.item.nextRun !== 'string'
      )
        throw error;
      const plan = quarantinePlan(ref.item.nextRun, error.message, at);
      const taken = await conditional(() =>
        table.update(String(ref.item.key), plan.update, { condition: plan.condition }),
      );
      log.warn(
        { tenant: ref.tenant, key: ref.item.key, error: error.message },
        'unreadable schedule disabled',
      );
      return { outcome: taken ? 'invalid' : 'skipped' };
    }
    const plan = claimPlan(schedule, at);
    if (!(await conditional(() => table.update(schedule.key, plan.update, { condition: plan.condition })))) {
      return { outcome: 'skipped' };
    }
    try {
      const execution = await fire(table, schedule, plan, at);
      deps.onFired?.(ref.tenant);
      return { outcome: 'fired', accepted: Number(execution.accepted), rejected: Number(execution.rejected) };
    } catch (error) {
      const back = unclaimPlan(plan, now());
      const given = await conditional(() =>
        table.update(schedule.key, back.update, { condition: back.condition }),
      ).catch(() => false);
      log.warn(
        {
          tenant: ref.tenant,
          schedule: schedule.id,
          dueTime: plan.dueTime,
          givenBack: given,
          error: coerceError(error),
        },
        'schedule run failed; retrying next tick',
      );
      return { outcome: 'retried' };
    }
  }

  async function dueRefs(at: Date): Promise<DueRef[]> {
    const refs: DueRef[] = [];
    for (let shard = 0; shard < config.indexShards; shard++) {
      let cursor: Record<string, unknown> | undefined;
      do {
        const page = await queryDueSchedules(tableDeps, {
          dueKey: `${DUE_PREFIX}${shard}`,
          dueBy: at.toISOString(),
          cursor,
        });
        refs.push(...page.refs);
        cursor = page.cursor;
      } while (cursor);
    }
    return refs;
  }

  async function tickOnce(): Promise<TickReport> {
    const at = now();
    const refs = await dueRefs(at);
    const outcomes = await Promise.all(refs.map((ref) => limit(() => handle(ref, at))));
    const count = (o: Outcome) => outcomes.filter((x) => x.outcome === o).length;
    const report: TickReport = {
      due: refs.length,
      fired: count('fired'),
      skipped: count('skipped'),
      invalid: count('invalid'),
      retried: count('retried'),
      accepted: outcomes.reduce((n, o) => n + (o.accepted ?? 0), 0),
      rejected: outcomes.reduce((n, o) => n + (o.rejected ?? 0), 0),
    };
    if (report.due > 0) log.info(report, 'scheduler tick');
    else log.debug(report, 'scheduler tick');
    return report;
  }

  return {
    tickOnce,
    async run(signal) {
      log.info({ intervalMs: config.scheduler.intervalMs, shards: config.indexShards }, 'scheduler started');
      while (!signal.aborted) {
        await tickOnce().catch((error: unknown) =>
          log.error({ error: coerceError(error) }, 'scheduler tick failed'),
        );
        await sleep(config.scheduler.intervalMs, undefined, { signal }).catch(() => {});
      }
      log.info('scheduler stopped');
    },
  };
}
