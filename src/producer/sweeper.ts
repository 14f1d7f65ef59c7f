import type { AwsClients } from '../aws/clients.js';
import type { Config } from '../config/index.js';
import { MESSAGE_VERSION, STATUS, type StatusCode, statusCode, sweepKey } from '../jobs/index.js';
import type { Logger } from '../lib/logger.js';
import { ConditionFailedError, type Item, systemContext, TenantTable } from '../tenancy/index.js';
import { querySweepIndex, type SweepRef } from '../tenancy/system-index.js';
import { type Outgoing, sendJobMessages } from './sender.js';
import { newTraceparent } from './trace.js';

/** What one sweep found and did. */
export interface SweepReport {
  /** Queued jobs whose message was presumed lost, re-sent. */
  readonly resent: number;
  /** Jobs another sweeper replica (or a worker) touched first. */
  readonly skipped: number;
  readonly sendFailures: number;
}

export interface SweeperDeps {
  readonly clients: AwsClients;
  readonly queueUrl: string;
  readonly log: Logger;
  readonly now?: () => Date;
}

/** Codes whose jobs wait for a message: a lost send leaves them stuck. */
const WAITING: readonly StatusCode[] = [STATUS.queued, STATUS.asyncReturning];

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
      return await table.update(
        ref.key,
        { set: { updated: at.toISOString() } },
        {
          condition: {
            expression: '#cs = :cs AND #cu = :cu',
            names: { '#cs': 'status', '#cu': 'updated' },
            values: { ':cs': ref.status, ':cu': ref.updated },
          },
        },
      );
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

  /** One pass over the index; returns what it did. */
  async function sweepOnce(): Promise<SweepReport> {
    const at = now();
    const before = new Date(at.getTime() - config.sweeper.lostEnqueueAfterMs).toISOString();
    let skipped = 0;
    const outgoing: Outgoing[] = [];
    for (const code of WAITING) {
      for (const ref of await staleRefs(code, before)) {
        const job = await claim(ref, at);
        const phase = statusCode(job?.status);
        if (!job || (phase !== STATUS.queued && phase !== STATUS.asyncReturning)) {
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
    const report = { resent: outcomes.length - sendFailures, skipped, sendFailures };
    if (outgoing.length > 0 || skipped > 0)
      deps.log.info({ ...report, queue: deps.queueUrl }, 'sweep: lost enqueues re-sent');
    return report;
  }

  return { sweepOnce };
}

export type Sweeper = ReturnType<typeof createSweeper>;
