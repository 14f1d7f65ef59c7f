import type { AwsClients } from '../aws/clients.js';
import type { Config } from '../config/index.js';
import {
  claimResend,
  expireAsyncJob,
  MESSAGE_VERSION,
  STATUS,
  type StatusCode,
  statusCode,
  sweepKey,
} from '../jobs/index.js';
import type { Logger } from '../lib/logger.js';
import { publishJobEvent } from '../notify/index.js';
import { ConditionFailedError, type Item, systemContext, TenantTable } from '../tenancy/index.js';
import { querySweepIndex, type SweepRef } from '../tenancy/system-index.js';
import { type Outgoing, sendJobMessages } from './sender.js';
import { newTraceparent } from './trace.js';

/** What one sweep found and did. */
export interface SweepReport {
  /** Queued jobs whose message was presumed lost, and running jobs whose lease expired long ago, re-sent. */
  readonly resent: number;
  /** Async jobs (`JRA`) past their deadline, failed. */
  readonly expired: number;
  /** Jobs another sweeper replica (or a worker) touched first. */
  readonly skipped: number;
  readonly sendFailures: number;
}

export interface SweeperDeps {
  readonly clients: AwsClients;
  readonly queueUrl: string;
  /** Topic for the terminal transitions the sweeper makes (overdue async jobs). */
  readonly topicArn: string;
  readonly log: Logger;
  readonly now?: () => Date;
}

/**
 * Codes whose jobs need a message to move on: `JQ`/`JQA` whose send was lost, and `JR` whose
 * worker died and whose message is gone too (parked in the DLQ, or deleted by mistake).
 */
const NEEDS_MESSAGE: readonly StatusCode[] = [STATUS.queued, STATUS.asyncReturning, STATUS.running];

/**
 * Finds jobs stuck waiting for a message that was never sent (insert succeeded, send failed or
 * the producer crashed between the two) through the sharded sweeper index — a `Query`, never a
 * `Scan` — and re-sends them. Safe with several replicas: each re-send is claimed first by a
 * conditional update of `updated`, so only one replica sends, and the job is not picked up again
 * until it is stale once more.
 */
export function createSweeper(config: Config, deps: SweeperDeps) {
  const now = deps.now ?? (() => new Date());
  const tableDeps = { doc: deps.clients.doc, tableName: config.resources.table };

  /** Claims a stale job for re-sending; undefined when someone else changed it meanwhile. */
  async function claim(ref: SweepRef, at: Date): Promise<Item | undefined> {
    const table = new TenantTable(tableDeps, systemContext(ref.tenant, 'sweeper'));
    try {
      const resend = claimResend(ref, at);
      return await table.update(ref.key, resend.update, { condition: resend.condition });
    } catch (error) {
      if (error instanceof ConditionFailedError) return undefined;
      throw error;
    }
  }

  async function staleRefs(code: StatusCode, before: string): Promise<SweepRef[]> {
    const refs: SweepRef[] = [];
    for (let shard = 0; shard < config.indexShards; shard++) {
      let cursor: Record<string, unknown> | undefined;
      do {
        const page = await querySweepIndex(tableDeps, {
          sweepKey: sweepKey(code, shard),
          updatedBefore: before,
          cursor,
        });
        refs.push(...page.refs);
        cursor = page.cursor;
      } while (cursor);
    }
    return refs;
  }

  /** A stale `JR` only needs a message when its lease has also run out. */
  const leaseOver = (ref: SweepRef, at: Date) =>
    statusCode(ref.status) !== STATUS.running ||
    (ref.leaseUntil !== undefined && ref.leaseUntil < at.toISOString());

  /** Fails `JRA` jobs whose outside scanner did not come back before the deadline. */
  async function expireAsync(at: Date): Promise<{ expired: number; skipped: number }> {
    let expired = 0;
    let skipped = 0;
    const overdue = (await staleRefs(STATUS.asyncRunning, at.toISOString())).filter(
      (ref) => ref.asyncDeadline !== undefined && ref.asyncDeadline < at.toISOString(),
    );
    for (const ref of overdue) {
      const table = new TenantTable(tableDeps, systemContext(ref.tenant, 'sweeper'));
      const error = `async deadline ${ref.asyncDeadline} passed without a result`;
      try {
        const expire = expireAsyncJob(ref, at, error);
        const job = await table.update(ref.key, expire.update, { condition: expire.condition });
        expired++;
        await publishJobEvent(deps.clients.sns, deps.topicArn, {
          tenant: ref.tenant,
          key: ref.key,
          capability: String(job.capability),
          status: STATUS.failed,
          attempt: Number(job.attempt ?? 0),
          error,
        });
      } catch (e) {
        if (!(e instanceof ConditionFailedError)) throw e;
        skipped++;
      }
    }
    return { expired, skipped };
  }

  /** One pass over the index; returns what it did. */
  async function sweepOnce(): Promise<SweepReport> {
    const at = now();
    const before = new Date(at.getTime() - config.sweeper.lostEnqueueAfterMs).toISOString();
    let skipped = 0;
    const outgoing: Outgoing[] = [];
    for (const code of NEEDS_MESSAGE) {
      for (const ref of (await staleRefs(code, before)).filter((r) => leaseOver(r, at))) {
        const job = await claim(ref, at);
        const phase = job?.phase === STATUS.asyncReturning ? STATUS.asyncReturning : STATUS.queued;
        if (!job || statusCode(job.status) !== code) {
          skipped++;
          continue;
        }
        outgoing.push({
          traceparent: newTraceparent(),
          message: {
            v: MESSAGE_VERSION,
            tenant: ref.tenant,
            key: ref.key,
            capability: String(job.capability),
            target: String(job.target),
            attempt: typeof job.attempt === 'number' ? job.attempt : 0,
            enqueuedAt: at.toISOString(),
            phase,
          },
        });
      }
    }
    const outcomes = await sendJobMessages(outgoing, {
      sqs: deps.clients.sqs,
      queueUrl: deps.queueUrl,
      messageGroupId: config.producer.messageGroupId,
    });
    const sendFailures = outcomes.filter((o) => !o.sent).length;
    const async = await expireAsync(at);
    const report = {
      resent: outcomes.length - sendFailures,
      expired: async.expired,
      skipped: skipped + async.skipped,
      sendFailures,
    };
    if (outgoing.length > 0 || report.skipped > 0 || report.expired > 0) {
      deps.log.info({ ...report, queue: deps.queueUrl }, 'sweep done');
    }
    return report;
  }

  return { sweepOnce };
}

export type Sweeper = ReturnType<typeof createSweeper>;
