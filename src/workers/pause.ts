/**
 * Job control's pauses on the worker side: whether a job's tenant or capability is paused (read
 * through the one TTL cache), and what happens to a paused job's message — hidden for a while
 * (one visibility change, no receives burnt), or re-sent when its receive count nears the DLQ's.
 */
import { isPaused, type JobMessage, type PauseState, readPauses } from '../jobs/index.js';
import { coerceError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { TtlCache } from '../lib/ttl-cache.js';
import type { TenantTable } from '../tenancy/index.js';
import { pausedStep, pauseHideSeconds } from './decide.js';
import { type JobQueue, type ReceivedMessage, receiveCountOf } from './ports.js';
import type { WorkerStats } from './stats.js';

/** What the dispatcher asks before admitting a job. */
export interface PauseHook {
  /** True when the job may not start now. A failed read counts as not paused (logged). */
  paused(tenant: string, capability: string): Promise<boolean>;
  /** Keeps a paused job's message out of sight without claiming it. */
  park(message: ReceivedMessage, job: JobMessage): Promise<void>;
}

export interface PauseHookDeps {
  readonly tableOf: (tenant: string) => TenantTable;
  readonly queue: Pick<JobQueue, 'setVisibility' | 'defer'>;
  /** How long a tenant's pauses are cached (`SCANQ_PROFILE_TTL`); also how long a parked message hides. */
  readonly ttlMs: number;
  /** The jobs queue's redrive `maxReceiveCount`. */
  readonly maxReceiveCount: number;
  /** Deferred messages are re-sent with `MessageGroupId = tenant`. */
  readonly groupByTenant: boolean;
  readonly stats: Pick<WorkerStats, 'count'>;
  readonly log: Logger;
}

/** The pause hook of a worker. */
export function createPauseHook(deps: PauseHookDeps): PauseHook {
  const cache = new TtlCache<PauseState>(deps.ttlMs);
  const hideSeconds = pauseHideSeconds(deps.ttlMs);
  return {
    async paused(tenant, capability) {
      try {
        return isPaused(await cache.get(tenant, () => readPauses(deps.tableOf(tenant))), capability);
      } catch (error) {
        deps.log.warn({ tenant, error: coerceError(error) }, 'could not read pauses; treating as not paused');
        return false;
      }
    },
    async park(message, job) {
      deps.stats.count('paused');
      deps.log.debug({ tenant: job.tenant, key: job.key, capability: job.capability }, 'paused job parked');
      const step = pausedStep(receiveCountOf(message), deps.maxReceiveCount, hideSeconds);
      if (step.kind === 'hide') return deps.queue.setVisibility(message, step.seconds);
      await deps.queue.defer(message, deps.groupByTenant ? job.tenant : undefined);
    },
  };
}
