import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { AwsClients } from '../aws/clients.js';
import type { ResolvedResources } from '../aws/resources.js';
import type { Config } from '../config/index.js';
import {
  type CapabilityDefinition,
  type CapabilityRegistry,
  type JobCredentials,
  PermanentError,
  registerCapabilities,
} from '../jobs/index.js';
import { track } from '../lib/lifecycle.js';
import type { Logger } from '../lib/logger.js';
import { TtlCache } from '../lib/ttl-cache.js';
import { QUEUE_DEFAULTS } from '../local-aws/manifest.js';
import { createEventPublisher } from '../notify/index.js';
import { LANE, type Producer } from '../producer/index.js';
import { type Telemetry, telemetryOff } from '../telemetry/index.js';
import {
  getProfile,
  systemContext,
  type TenantContext,
  TenantFiles,
  type TenantProfile,
  TenantTable,
} from '../tenancy/index.js';
import { type AttemptDeps, redoAfterFinish, runAttempt } from './attempt.js';
import { createDispatcher } from './dispatcher.js';
import { TenantGate } from './fairness.js';
import { tableJobStore } from './lease.js';
import { createPauseHook } from './pause.js';
import { createPoller } from './poller.js';
import type { ReceivedMessage } from './ports.js';
import { DEFAULT_WAIT_SECONDS, lanedJobQueue, sqsJobQueue } from './queue.js';
import type { TenantSessions } from './tenant-session.js';

/**
 * How long an event or an acknowledgement waits for company before its batch leaves. Neither holds
 * a job slot, so a fuller batch costs only latency of the event and of the delete.
 */
const BATCH_LINGER_MS = 100;

/**
 * An idle worker's long poll of the jobs queue lasts at most this long (seconds) before it looks at
 * the bulk queue again: the most a bulk job arriving at an idle worker waits, for one short bulk
 * receive per wait (docs/WORKER.md "Lanes").
 */
const IDLE_BULK_LOOK_SECONDS = 5;

import { WorkerStats } from './stats.js';

/**
 * Lease (and visibility) of one attempt: the capability's timeout plus room for the writes after
 * it (a quarter of the timeout, at least 2 s).
 */
export function leaseMsOf(capability: Pick<CapabilityDefinition, 'timeoutMs'>): number {
  return capability.timeoutMs + Math.max(2_000, Math.floor(capability.timeoutMs / 4));
}

/** A capability's table and files over its tenant's session clients (same tenant context). */
function capabilityView(
  sessions: TenantSessions,
  table: TenantTable,
  tableName: string,
  buckets: Readonly<Record<'results' | 'uploads' | 'quarantine', string>>,
): { readonly table: TenantTable; readonly files: TenantFiles } {
  const scoped = sessions.clientsFor(table.tenant);
  return {
    table: new TenantTable({ doc: scoped.doc, tableName }, table.context),
    files: new TenantFiles({ s3: scoped.s3, buckets }, table.context),
  };
}

export interface WorkerDeps {
  readonly clients: AwsClients;
  readonly resources: ResolvedResources;
  readonly registry: CapabilityRegistry;
  /**
   * Capabilities of your own (`defineCapability`), checked and added to `registry` like a
   * `--plugin` module's. Default none.
   */
  readonly capabilities?: readonly CapabilityDefinition[];
  readonly log: Logger;
  /** Jobs at once; default `config.worker.concurrency`. */
  readonly concurrency?: number;
  /** The tenant's credentials for an account (`createWorkerRuntimeDeps`). Default none: such jobs fail. */
  readonly credentialsFor?: (ctx: TenantContext, accountId: string) => Promise<JobCredentials>;
  /**
   * Parks a message that can never be processed in the DLQ, with the reason; `queueUrl` is the
   * queue it was received from (default: the jobs queue).
   */
  readonly moveToDlq: (message: ReceivedMessage, reason: string, queueUrl?: string) => Promise<void>;
  /** Clock of claims, leases and records. Default `new Date()`. */
  readonly now?: () => Date;
  /** Long-poll wait in seconds (tests shorten it). Default 20. */
  readonly waitTimeSeconds?: number;
  /** The queue's visibility timeout as configured on the queue; default the manifest's. */
  readonly queueVisibilityMs?: number;
  /** Inserts the jobs a passed job spawns (cascade). Default none: nothing is spawned. */
  readonly producer?: Pick<Producer, 'insert'>;
  /**
   * Tenant sessions (`createWorkerRuntimeDeps`, when SCANQ_TENANT_ROLE_ARN is set): a capability's
   * table and files use its tenant's session clients; the engine's own writes (claim, lease,
   * result, finish, findings) stay on `clients`. Default none: capabilities use `clients` too.
   */
  readonly tenantSessions?: TenantSessions;
  /** Spans and metrics of the jobs (`scanq worker` passes its own). Default: telemetry off. */
  readonly telemetry?: Pick<Telemetry, 'tracer' | 'tracing' | 'metrics'>;
}

/** A worker process's engine: pollers feeding the dispatcher, with drain on stop. */
export interface Worker {
  readonly id: string;
  readonly stats: WorkerStats;
  start(): void;
  /**
   * Stops taking jobs, lets running ones finish for up to `drainTimeoutMs`, then releases the
   * rest (lease cleared, message visible again). Resolves when nothing is in flight.
   */
  stop(options?: { drainTimeoutMs?: number }): Promise<{ drained: boolean }>;
  inFlight(): number;
}

export function createWorker(config: Config, deps: WorkerDeps): Worker {
  if (deps.capabilities)
    registerCapabilities(deps.registry, deps.capabilities, 'createWorker({ capabilities })');
  const id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const concurrency = deps.concurrency ?? config.worker.concurrency;
  const log = deps.log.child({ worker: id });
  const stats = new WorkerStats();
  const shutdown = new AbortController();
  const now = deps.now ?? (() => new Date());
  const telemetry = deps.telemetry ?? telemetryOff();
  let draining = false;
  const tableDeps = { doc: deps.clients.doc, tableName: config.resources.table };
  const buckets = {
    results: config.resources.resultsBucket,
    uploads: config.resources.uploadsBucket,
    quarantine: config.resources.quarantineBucket,
  };
  const tableOf = (tenant: string) => new TenantTable(tableDeps, systemContext(tenant, 'worker'));
  const profiles = new TtlCache<TenantProfile | undefined>(config.worker.profileTtlMs);
  const profileOf = (tenant: string) => profiles.get(tenant, () => getProfile(tableOf(tenant)));
  // With two lanes the receive order keeps a flood behind other tenants' work, so no soft cap holds
  // a tenant's messages back (that only churned: deferred, received, deferred). What stays are hard
  // caps: a profile's plan limit, else SCANQ_TENANT_MAX_IN_FLIGHT when set (0: none).
  const defaultCap = config.worker.tenantMaxInFlight || undefined;

  const laneQueue = (queueUrl: string) =>
    sqsJobQueue({
      sqs: deps.clients.sqs,
      queueUrl,
      log,
      deferDelaySeconds: Math.min(900, Math.ceil(config.worker.deferDelayMs / 1000)),
      deadLetter: (message, reason) => deps.moveToDlq(message, reason, queueUrl),
      // Acknowledgements leave the job slots (`aside`), so they can wait longer for a fuller batch.
      lingerMs: { ack: BATCH_LINGER_MS },
      // A held-back message is kept (visibility) while the DLQ's receive count allows.
      maxReceiveCount: QUEUE_DEFAULTS.maxReceiveCount,
      ...(deps.waitTimeSeconds !== undefined ? { waitTimeSeconds: deps.waitTimeSeconds } : {}),
    });
  const queue = lanedJobQueue({
    [LANE.jobs]: laneQueue(deps.resources.queueUrl),
    [LANE.bulk]: laneQueue(deps.resources.bulkQueueUrl),
  });
  const events = createEventPublisher(deps.clients.sns, deps.resources.topicArn, {
    lingerMs: BATCH_LINGER_MS,
  });
  const attemptDeps: AttemptDeps = {
    queue,
    events,
    riskEvents: events,
    spans: telemetry,
    invoke: {
      spans: telemetry,
      credentialsFor:
        deps.credentialsFor ??
        (async () => {
          throw new PermanentError('this worker has no credentials store configured');
        }),
      profileOf,
      events,
      aws: { region: config.region, endpoints: config.endpoints },
      allowLoopback: config.allowLoopback,
    },
    ...(deps.producer
      ? {
          cascade: {
            producer: deps.producer,
            registry: deps.registry,
            profileOf,
            allowLoopback: config.allowLoopback,
            now,
          },
        }
      : {}),
    workerId: id,
    leaseMs: leaseMsOf,
    queueVisibilityMs: deps.queueVisibilityMs ?? QUEUE_DEFAULTS.visibilityTimeoutSeconds * 1000,
    retry: { baseMs: config.worker.retryBaseMs, maxMs: config.worker.retryMaxMs },
    now,
    shutdown: shutdown.signal,
  };
  /** A tenant's context, table and files: where an attempt and what follows its finish write. */
  const tenantOf = (tenant: string) => {
    const table = tableOf(tenant);
    return {
      ctx: table.context,
      table,
      files: new TenantFiles({ s3: deps.clients.s3, buckets }, table.context),
    };
  };
  const dispatcher = createDispatcher({
    queue,
    laneOf: queue.laneOf,
    telemetry,
    queueUrl: deps.resources.queueUrl,
    storeOf: (tenant) => tableJobStore(tableOf(tenant)),
    runAttempt: (claimed) => {
      const own = tenantOf(claimed.tenant);
      return runAttempt(attemptDeps, {
        ...claimed,
        ...own,
        ...(deps.tenantSessions
          ? { view: capabilityView(deps.tenantSessions, own.table, tableDeps.tableName, buckets) }
          : {}),
      });
    },
    redoAfterFinish: (finished) =>
      redoAfterFinish(attemptDeps, { ...finished, ...tenantOf(finished.tenant) }, finished.stored),
    registry: deps.registry,
    gate: new TenantGate({
      concurrency,
      // A soft cap of the whole worker never holds anything back (the poller bounds the total).
      defaultCap: concurrency,
      capOf: async (tenant) => (await profileOf(tenant))?.limits.maxInFlight ?? defaultCap,
    }),
    stats,
    log: log.child({ queue: deps.resources.queueUrl }),
    workerId: id,
    leaseMs: leaseMsOf,
    now,
    draining: () => draining,
    shutdown: shutdown.signal,
    groupByTenant: config.producer.messageGroupId,
    pause: createPauseHook({
      tableOf,
      queue,
      ttlMs: config.worker.profileTtlMs,
      maxReceiveCount: QUEUE_DEFAULTS.maxReceiveCount,
      groupByTenant: config.producer.messageGroupId,
      stats,
      log,
    }),
  });
  const poller = createPoller({
    queue,
    concurrency,
    admit: dispatcher.admit,
    log,
    bulkEvery: config.lanes.bulkEvery,
    longPollSeconds: Math.min(deps.waitTimeSeconds ?? DEFAULT_WAIT_SECONDS, IDLE_BULK_LOOK_SECONDS),
  });
  let untrack: (() => void) | undefined;

  async function stop(options: { drainTimeoutMs?: number } = {}) {
    if (!untrack) return { drained: true };
    draining = true;
    poller.stop();
    const drained = await poller.idle(options.drainTimeoutMs ?? config.worker.drainTimeoutMs);
    if (!drained) {
      log.warn({ inFlight: poller.inFlight() }, 'drain timeout: releasing the jobs still running');
      shutdown.abort(new Error('worker shutting down'));
      await poller.idle(10_000);
    }
    await dispatcher.settled();
    await events.flush();
    await queue.flush();
    deps.tenantSessions?.destroy();
    untrack();
    untrack = undefined;
    log.info({ drained, ...stats.counts }, 'worker stopped');
    return { drained };
  }

  return {
    id,
    stats,
    start() {
      if (untrack) return;
      untrack = track(`worker ${id}`, async () => {
        await stop({ drainTimeoutMs: 0 });
      });
      poller.start();
      log.info(
        {
          queue: deps.resources.queueUrl,
          bulkQueue: deps.resources.bulkQueueUrl,
          concurrency,
          receivers: poller.receivers,
          reservedForJobsQueue: poller.reserve,
          tenantCap: defaultCap ?? 'profile limits only',
        },
        'worker started',
      );
    },
    stop,
    inFlight: () => poller.inFlight(),
  };
}
