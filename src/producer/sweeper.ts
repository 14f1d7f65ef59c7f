import type { AwsClients } from '../aws/clients.js';
import type { Config } from '../config/index.js';
import {
  claimResend,
  expireAsyncJob,
  MESSAGE_VERSION,
  openKey,
  postponeSweep,
  readJob,
  STATUS,
  type SweepSeen,
  statusCode,
  type Transition,
} from '../jobs/index.js';
import type { Logger } from '../lib/logger.js';
import { publishJobEvent } from '../notify/index.js';
import {
  ConditionFailedError,
  getProfile,
  type OpenRef,
  queryOpenIndex,
  systemContext,
  TenantTable,
} from '../tenancy/index.js';
import { createLaneChooser, LANE, type Lane } from './lanes.js';
import { type Outgoing, type SendOutcome, sendJobMessages } from './sender.js';
import { newTraceparent } from './trace.js';

/** What one sweep found and did. */
export interface SweepReport {
  /** Queued jobs whose message was presumed lost, and running jobs whose lease expired long ago, re-sent. */
  readonly resent: number;
  /** Async jobs (`JRA`) past their deadline, failed. */
  readonly expired: number;
  /** Jobs found alive (a lease or an async deadline not over yet), to be looked at again later. */
  readonly postponed: number;
  /** Jobs another sweeper replica (or a worker) touched first. */
  readonly skipped: number;
  readonly sendFailures: number;
}

export interface SweeperDeps {
  readonly clients: AwsClients;
  readonly queueUrl: string;
  /**
   * The bulk lane's queue: a tenant's re-sends beyond its burst budget go there, like its new
   * jobs (a re-send is a job coming back). Default: every re-send to `queueUrl`.
   */
  readonly bulkQueueUrl?: string;
  /** Topic for the terminal transitions the sweeper makes (overdue async jobs). */
  readonly topicArn: string;
  readonly log: Logger;
  readonly now?: () => Date;
}

/** What the sweeper does with one open job it was due to look at. Pure: see `sweepStep`. */
export type SweepStep =
  | { readonly kind: 'resend'; readonly next: Date }
  | { readonly kind: 'postpone'; readonly next: Date }
  | { readonly kind: 'expire'; readonly error: string }
  | { readonly kind: 'skip' };

/**
 * Decides from a job as read (status, lease, async deadline) what the sweeper does with it at
 * `at`. The sweeper finds a job once its `sweepAt` lies `lostAfterMs` in the past. A queued job
 * still waiting then (that long after its insert or last re-send) has lost its message: re-send
 * it. A running job whose lease ended at least `lostAfterMs` ago has lost its message too (its
 * redelivery would have claimed it); a younger lease is looked at again `lostAfterMs` after its
 * end. An async job past its deadline fails (so a late callback has `lostAfterMs` of grace).
 */
export function sweepStep(
  job: { readonly status: string; readonly leaseUntil?: string; readonly asyncDeadline?: string },
  at: Date,
  lostAfterMs: number,
): SweepStep {
  switch (statusCode(job.status)) {
    case STATUS.queued:
    case STATUS.asyncReturning:
      return { kind: 'resend', next: at };
    case STATUS.running: {
      const leaseUntil = job.leaseUntil ? new Date(job.leaseUntil) : at;
      return leaseUntil.getTime() + lostAfterMs <= at.getTime()
        ? { kind: 'resend', next: at }
        : { kind: 'postpone', next: leaseUntil };
    }
    case STATUS.asyncRunning: {
      if (!job.asyncDeadline) return { kind: 'expire', error: 'async job without a deadline' };
      const deadline = new Date(job.asyncDeadline);
      return deadline < at
        ? { kind: 'expire', error: `async deadline ${job.asyncDeadline} passed without a result` }
        : { kind: 'postpone', next: deadline };
    }
    default:
      return { kind: 'skip' };
  }
}

/**
 * Finds open jobs the sweeper is due to look at through the sharded `by-open` index — a `Query`,
 * never a `Scan`, keys only — reads each from the table and re-sends the ones whose message was
 * lost (insert succeeded, send failed or the producer crashed between the two; a dead worker's
 * message parked or deleted), fails overdue async jobs, and postpones the live ones. Safe with
 * several replicas: every write is conditional on the status and `sweepAt` it read, so only one
 * replica acts, and the job is not looked at again until its new `sweepAt`.
 */
export function createSweeper(config: Config, deps: SweeperDeps) {
  const now = deps.now ?? (() => new Date());
  const tableDeps = { doc: deps.clients.doc, tableName: config.resources.table };
  const lostAfterMs = config.sweeper.lostEnqueueAfterMs;
  const lanes = createLaneChooser({
    budget: config.lanes,
    profileOf: getProfile,
    profileTtlMs: config.worker.profileTtlMs,
    log: deps.log,
    now: () => now().getTime(),
  });

  /** Re-sends, each tenant's within its budget to the jobs queue and the rest to the bulk queue. */
  async function resend(outgoing: readonly Outgoing[]): Promise<SendOutcome[]> {
    const laneOf: Lane[] = outgoing.map(() => LANE.jobs);
    if (deps.bulkQueueUrl) {
      const byTenant = new Map<string, number[]>();
      outgoing.forEach((o, i) => {
        byTenant.set(o.message.tenant, [...(byTenant.get(o.message.tenant) ?? []), i]);
      });
      for (const [tenant, indexes] of byTenant) {
        const table = new TenantTable(tableDeps, systemContext(tenant, 'sweeper'));
        const chosen = await lanes.choose(table, indexes.length);
        indexes.forEach((i, n) => {
          laneOf[i] = chosen[n] ?? LANE.bulk;
        });
      }
    }
    const outcomes: SendOutcome[] = outgoing.map(() => ({ sent: false, error: 'not sent' }));
    for (const lane of Object.values(LANE)) {
      const indexes = [...outgoing.keys()].filter((i) => laneOf[i] === lane);
      if (indexes.length === 0) continue;
      const sent = await sendJobMessages(
        indexes.map((i) => outgoing[i] as Outgoing),
        {
          sqs: deps.clients.sqs,
          queueUrl: lane === LANE.bulk && deps.bulkQueueUrl ? deps.bulkQueueUrl : deps.queueUrl,
          messageGroupId: config.producer.messageGroupId,
        },
      );
      sent.forEach((outcome, n) => {
        outcomes[indexes[n] as number] = outcome;
      });
    }
    return outcomes;
  }

  /** Sends a sweeper write; false when someone else changed the job since it was read. */
  async function apply(table: TenantTable, key: string, transition: Transition): Promise<boolean> {
    try {
      await table.update(key, transition.update, { condition: transition.condition });
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  async function dueRefs(at: Date): Promise<OpenRef[]> {
    const before = new Date(at.getTime() - lostAfterMs).toISOString();
    const refs: OpenRef[] = [];
    for (let shard = 0; shard < config.indexShards; shard++) {
      let cursor: Record<string, unknown> | undefined;
      do {
        const page = await queryOpenIndex(tableDeps, {
          openKey: openKey(shard),
          dueBefore: before,
          cursor,
        });
        refs.push(...page.refs);
        cursor = page.cursor;
      } while (cursor);
    }
    return refs;
  }

  /** Looks at one job; returns what happened and, for a re-send, the message to send. */
  async function visit(
    ref: OpenRef,
    at: Date,
  ): Promise<{ outcome: 'resent' | 'expired' | 'postponed' | 'skipped'; message?: Outgoing }> {
    const table = new TenantTable(tableDeps, systemContext(ref.tenant, 'sweeper'));
    const job = await readJob(table, ref.key, { consistent: true });
    if (!job || job.sweepAt !== ref.sweepAt) return { outcome: 'skipped' };
    const seen: SweepSeen = { status: job.status, sweepAt: ref.sweepAt };
    const step = sweepStep(job, at, lostAfterMs);
    switch (step.kind) {
      case 'skip':
        return { outcome: 'skipped' };
      case 'postpone':
        return {
          outcome: (await apply(table, ref.key, postponeSweep(seen, step.next))) ? 'postponed' : 'skipped',
        };
      case 'expire': {
        if (!(await apply(table, ref.key, expireAsyncJob(seen, at, step.error))))
          return { outcome: 'skipped' };
        await publishJobEvent(deps.clients.sns, deps.topicArn, {
          tenant: ref.tenant,
          key: ref.key,
          capability: job.capability,
          status: STATUS.failed,
          attempt: job.attempt,
          error: step.error,
        });
        return { outcome: 'expired' };
      }
      case 'resend': {
        if (!(await apply(table, ref.key, claimResend(seen, at, step.next)))) return { outcome: 'skipped' };
        return {
          outcome: 'resent',
          message: {
            traceparent: newTraceparent(),
            message: {
              v: MESSAGE_VERSION,
              tenant: ref.tenant,
              key: ref.key,
              capability: job.capability,
              target: job.target,
              attempt: job.attempt,
              enqueuedAt: at.toISOString(),
              phase: job.phase,
            },
          },
        };
      }
    }
  }

  /** One pass over the index; returns what it did. */
  async function sweepOnce(): Promise<SweepReport> {
    const at = now();
    const counts = { resent: 0, expired: 0, postponed: 0, skipped: 0 };
    const outgoing: Outgoing[] = [];
    for (const ref of await dueRefs(at)) {
      const { outcome, message } = await visit(ref, at);
      if (message) outgoing.push(message);
      else counts[outcome]++;
    }
    const outcomes = await resend(outgoing);
    const sendFailures = outcomes.filter((o) => !o.sent).length;
    const report = { ...counts, resent: outcomes.length - sendFailures, sendFailures };
    if (outgoing.length > 0 || report.skipped > 0 || report.expired > 0 || report.postponed > 0) {
      deps.log.info({ ...report, queue: deps.queueUrl }, 'sweep done');
    }
    return report;
  }

  return { sweepOnce };
}

export type Sweeper = ReturnType<typeof createSweeper>;
