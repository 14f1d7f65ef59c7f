import { context, type Span, SpanKind, trace } from '@opentelemetry/api';
import pLimit from 'p-limit';
import type { AwsClients } from '../aws/clients.js';
import { createAwsClients } from '../aws/clients.js';
import { resolveResources } from '../aws/resources.js';
import type { Config } from '../config/index.js';
import {
  acceptingRule,
  builtinCapabilities,
  type CapabilityRegistry,
  type InsertRule,
  insertJob,
  JobValidationError,
  MAX_INPUT_BYTES,
  MESSAGE_VERSION,
  type NewJob,
  type RejectReason,
  readJob,
  rejectReason,
  STATUS,
  validateJobRequests,
} from '../jobs/index.js';
import { createLogger, type Logger } from '../lib/logger.js';
import {
  contextOf,
  messagingAttributes,
  queueNameOf,
  recordError,
  type Telemetry,
  telemetryOff,
  traceparentOf,
} from '../telemetry/index.js';
import {
  authorize,
  ConditionFailedError,
  getProfile,
  type TenantContext,
  TenantTable,
} from '../tenancy/index.js';
import { createLaneChooser, LANE, type Lane } from './lanes.js';
import { type Outgoing, type SendOutcome, sendJobMessages } from './sender.js';
import { traceparentOr } from './trace.js';

/** An accepted job: inserted, and (unless `enqueued` is false) its message is on the queue. */
export interface EnqueueAccepted {
  readonly accepted: true;
  readonly key: string;
  readonly capability: string;
  readonly target: string;
  readonly status: string;
  /** Which insert rule let it in (`new`, `previousFailed`, `rescanDue`, …). */
  readonly rule: InsertRule;
  /**
   * False when the message could not be sent after retries: the job is `JQ` without a message,
   * and the sweeper re-sends it once it is older than SCANQ_LOST_ENQUEUE_AFTER.
   */
  readonly enqueued: boolean;
}

/** A rejected insert: business logic, not an error. Nothing was written or sent. */
export interface EnqueueRejected {
  readonly accepted: false;
  readonly key: string;
  readonly capability: string;
  readonly target: string;
  readonly reason: RejectReason;
  readonly storedStatus: string | undefined;
}

export type EnqueueResult = EnqueueAccepted | EnqueueRejected;

export interface EnqueueOptions {
  /** W3C trace context of the caller; a new trace when absent or malformed. */
  readonly traceparent?: string;
}

/** The producer a Node service imports: validated, conditional, tenant-tagged enqueue. */
export interface Producer {
  /**
   * Validates every request (all or nothing), inserts each job conditionally (the six rules),
   * and sends a message for each accepted job. One result per request, in order.
   * @throws ForbiddenError when the context's roles may not enqueue (`readonly`).
   * @throws JobValidationError naming each bad field; nothing is written or sent.
   */
  enqueue(
    ctx: TenantContext,
    requests: readonly unknown[],
    options?: EnqueueOptions,
  ): Promise<EnqueueResult[]>;
  /** Inserts already-validated jobs (cascade, schedules, async returns) the same way. */
  insert(ctx: TenantContext, jobs: readonly NewJob[], options?: EnqueueOptions): Promise<EnqueueResult[]>;
  /**
   * An outside scanner came back: re-inserts the `JRA` job as `JQA` carrying `returned` (a small
   * pointer such as an S3 key, ≤ 32 KB), which rule 3 accepts, and queues its completion.
   * Rejected (not an error) when the job is not waiting for `asyncRef`.
   */
  returnAsync(
    ctx: TenantContext,
    key: string,
    asyncRef: string,
    returned: Readonly<Record<string, unknown>>,
    options?: EnqueueOptions,
  ): Promise<EnqueueResult>;
  readonly registry: CapabilityRegistry;
  /** Releases clients the producer created itself. */
  close(): void;
}

export interface ProducerDeps {
  /** AWS clients to use; created from the config (and closed by `close`) when absent. */
  readonly clients?: AwsClients;
  readonly registry?: CapabilityRegistry;
  readonly log?: Logger;
  /** Clock, injectable for the insert-rule thresholds. */
  readonly now?: () => Date;
  /** Parallel conditional inserts per call. Default 16. */
  readonly insertConcurrency?: number;
  /** Spans (enqueue, a create span per message) and the enqueue counter. Default: records nothing. */
  readonly telemetry?: Pick<Telemetry, 'tracer' | 'tracing' | 'metrics'>;
}

/** The two lanes' queue URLs: configured (no calls) or looked up by name. */
async function laneUrls(config: Config, clients: AwsClients) {
  const { queueUrl, bulkQueueUrl } = config.resources;
  if (queueUrl && bulkQueueUrl) return { queueUrl, bulkQueueUrl };
  return resolveResources(config, clients);
}

/** Creates a producer; resolves the queue URLs from the config or by name. */
export async function createProducer(config: Config, deps: ProducerDeps = {}): Promise<Producer> {
  const clients = deps.clients ?? createAwsClients(config);
  const owned = deps.clients === undefined;
  const registry = deps.registry ?? builtinCapabilities();
  const log = deps.log ?? createLogger({ level: config.logLevel, name: 'producer' });
  const now = deps.now ?? (() => new Date());
  const limit = pLimit(deps.insertConcurrency ?? 16);
  const { queueUrl, bulkQueueUrl } = await laneUrls(config, clients);
  const tableDeps = { doc: clients.doc, tableName: config.resources.table };
  const telemetry = deps.telemetry ?? telemetryOff();
  const { tracer } = telemetry;
  const urlOf: Record<Lane, string> = { [LANE.jobs]: queueUrl, [LANE.bulk]: bulkQueueUrl };
  const lanes = createLaneChooser({
    budget: config.lanes,
    profileOf: getProfile,
    profileTtlMs: config.worker.profileTtlMs,
    log,
  });

  /** Sends each message to its lane's queue (one batch sender per lane); outcomes in order. */
  async function sendByLane(outgoing: readonly Outgoing[], laneOf: readonly Lane[]): Promise<SendOutcome[]> {
    const outcomes: SendOutcome[] = outgoing.map(() => ({ sent: false, error: 'not sent' }));
    await Promise.all(
      Object.values(LANE).map(async (lane) => {
        const indexes = outgoing.flatMap((_, i) => (laneOf[i] === lane ? [i] : []));
        if (indexes.length === 0) return;
        const sent = await sendJobMessages(
          indexes.map((i) => outgoing[i] as Outgoing),
          { sqs: clients.sqs, queueUrl: urlOf[lane], messageGroupId: config.producer.messageGroupId },
        );
        sent.forEach((outcome, n) => {
          outcomes[indexes[n] as number] = outcome;
        });
      }),
    );
    return outcomes;
  }

  async function insertOne(table: TenantTable, job: NewJob, at: Date): Promise<EnqueueResult> {
    const { item, condition } = insertJob(table.tenant, job, {
      now: at,
      ttlMs: config.producer.jobTtlMs,
      shards: config.indexShards,
      source: table.context.user,
      thresholds: config.producer,
    });
    const ids = { key: job.key, capability: job.capability, target: job.target };
    try {
      const replaced = await table.put(item, { condition, returnOld: true });
      const rule = acceptingRule(replaced, job.status, at, config.producer) ?? 'new';
      return { accepted: true, ...ids, status: item.status, rule, enqueued: false };
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      const storedStatus = typeof error.stored?.status === 'string' ? error.stored.status : undefined;
      log.debug({ tenant: table.tenant, key: job.key, storedStatus }, 'job not inserted: rules reject it');
      return { accepted: false, ...ids, reason: rejectReason(storedStatus, job.status), storedStatus };
    }
  }

  /**
   * The enqueue span: a child of the active span (an API request), else of the caller's
   * `traceparent`, else a new trace.
   */
  function enqueueParent(options: EnqueueOptions) {
    const active = context.active();
    return trace.getSpan(active) ? active : contextOf(options.traceparent, active);
  }

  async function insert(ctx: TenantContext, jobs: readonly NewJob[], options: EnqueueOptions = {}) {
    authorize(ctx, 'job:enqueue');
    return tracer.startActiveSpan(
      'enqueue',
      {
        kind: SpanKind.INTERNAL,
        attributes: { 'scanq.tenant': ctx.tenant, 'scanq.jobs.requested': jobs.length },
      },
      enqueueParent(options),
      async (span) => {
        try {
          return await insertTraced(span, ctx, jobs, options);
        } catch (error) {
          recordError(span, error);
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  async function insertTraced(
    span: Span,
    ctx: TenantContext,
    jobs: readonly NewJob[],
    options: EnqueueOptions,
  ) {
    const table = new TenantTable(tableDeps, ctx);
    const at = now();
    const results = await Promise.all(jobs.map((job) => limit(() => insertOne(table, job, at))));
    for (const r of results)
      telemetry.metrics.jobEnqueued(
        ctx.tenant,
        r.capability,
        r.accepted ? 'accepted' : 'refused',
        r.accepted ? undefined : r.reason,
      );
    // Without tracing every message of the call carries the caller's traceparent (or a new one);
    // with it, each message carries its own create span, the parent of the job's process span.
    const fallback = telemetry.tracing ? undefined : traceparentOr(options.traceparent);
    const accepted = results.flatMap((r, i) => (r.accepted ? [i] : []));
    span.setAttribute('scanq.jobs.accepted', accepted.length);
    // Cascade, schedules and async returns come through here too: they count against the budget.
    const laneOf = await lanes.choose(table, accepted.length);
    const creates = accepted.map((i, n) => {
      const job = jobs[i] as NewJob;
      const url = urlOf[laneOf[n] ?? LANE.bulk];
      return tracer.startSpan(`create ${queueNameOf(url)}`, {
        kind: SpanKind.PRODUCER,
        attributes: {
          ...messagingAttributes(url, { name: 'create', type: 'create' }),
          'scanq.tenant': ctx.tenant,
          'scanq.job.key': job.key,
          'scanq.capability': job.capability,
          'scanq.lane': laneOf[n] ?? LANE.bulk,
        },
      });
    });
    const outgoing: Outgoing[] = accepted.map((i, n) => {
      const job = jobs[i] as NewJob;
      return {
        traceparent: fallback ?? traceparentOf((creates[n] as Span).spanContext()),
        ...(job.options?.delaySeconds ? { delaySeconds: job.options.delaySeconds } : {}),
        message: {
          v: MESSAGE_VERSION,
          tenant: ctx.tenant,
          key: job.key,
          capability: job.capability,
          target: job.target,
          attempt: 0,
          enqueuedAt: at.toISOString(),
          phase: job.status,
        },
      };
    });
    const outcomes = await sendByLane(outgoing, laneOf);
    outcomes.forEach((outcome, n) => {
      const i = accepted[n] as number;
      const result = results[i] as EnqueueAccepted;
      results[i] = { ...result, enqueued: outcome.sent };
      const create = creates[n] as Span;
      if (outcome.sent && outcome.messageId) create.setAttribute('messaging.message.id', outcome.messageId);
      if (!outcome.sent) recordError(create, 'send failed');
      create.end();
      if (!outcome.sent) {
        // Not lost: the job is JQ in the table and the sweeper re-sends it.
        log.warn(
          { tenant: ctx.tenant, key: result.key, queue: urlOf[laneOf[n] ?? LANE.bulk], error: outcome.error },
          'send failed after insert',
        );
      }
    });
    const sent = outcomes.filter((o) => o.sent).length;
    const bulk = laneOf.filter((lane) => lane === LANE.bulk).length;
    log.info(
      { tenant: ctx.tenant, user: ctx.user, requested: jobs.length, accepted: accepted.length, sent, bulk },
      'jobs enqueued',
    );
    return results;
  }

  async function returnAsync(
    ctx: TenantContext,
    key: string,
    asyncRef: string,
    returned: Readonly<Record<string, unknown>>,
    options: EnqueueOptions = {},
  ): Promise<EnqueueResult> {
    authorize(ctx, 'job:enqueue');
    if (Buffer.byteLength(JSON.stringify(returned)) > MAX_INPUT_BYTES) {
      throw new JobValidationError([
        { field: 'returned', message: `must serialize to at most ${MAX_INPUT_BYTES} bytes` },
      ]);
    }
    const stored = await readJob(new TenantTable(tableDeps, ctx), key, { consistent: true });
    const ids = { key, capability: stored?.capability ?? '', target: stored?.target ?? '' };
    if (!stored || stored.code !== STATUS.asyncRunning || stored.asyncRef !== asyncRef) {
      return { accepted: false, ...ids, reason: 'notReturnable', storedStatus: stored?.status };
    }
    const job: NewJob = {
      key,
      capability: stored.capability,
      target: stored.target,
      input: stored.input,
      allowRepeat: stored.allowRepeat,
      status: STATUS.asyncReturning,
      asyncResult: returned,
      history: stored.history,
      ...(stored.parent !== undefined && stored.root !== undefined
        ? { lineage: { parent: stored.parent, root: stored.root, depth: stored.depth } }
        : {}),
    };
    const [result] = await insert(ctx, [job], options);
    if (!result) throw new Error('insert returned no result');
    return result;
  }

  return {
    registry,
    insert,
    returnAsync,
    async enqueue(ctx, requests, options) {
      // Refuse before validating, so a caller without the role learns nothing about the schema.
      authorize(ctx, 'job:enqueue');
      const jobs = validateJobRequests(requests, registry);
      return insert(ctx, jobs, options);
    },
    close() {
      if (owned) clients.destroy();
    },
  };
}
