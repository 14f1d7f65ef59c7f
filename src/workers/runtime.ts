import type { Message } from '@aws-sdk/client-sqs';
import type { AwsClients } from '../aws/clients.js';
import type { Config } from '../config/index.js';
import type { CapabilityDefinition, CapabilityRegistry, JobCredentials } from '../jobs/index.js';
import type { Logger } from '../lib/logger.js';
import type { EventPublisher } from '../notify/index.js';
import type { Producer } from '../producer/index.js';
import type { TenantContext, TenantProfile } from '../tenancy/index.js';
import type { Acker } from './acker.js';
import type { TenantGate } from './fairness.js';
import type { WorkerStats } from './stats.js';

/** What every part of a worker shares: clients, identifiers, limits, and the shutdown signals. */
export interface WorkerRuntime {
  readonly config: Config;
  readonly clients: AwsClients;
  readonly registry: CapabilityRegistry;
  readonly log: Logger;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  /** Job events to the topic, batched across the jobs of this process. */
  readonly events: EventPublisher;
  /** This process: `{host}-{pid}-{random}`; each claim adds its own token to make the owner. */
  readonly workerId: string;
  readonly acker: Acker;
  readonly gate: TenantGate;
  readonly stats: WorkerStats;
  /** The queue's default visibility; longer leases extend the message's visibility on claim. */
  readonly queueVisibilityMs: number;
  /** Lease (and visibility) length of one attempt of a capability. */
  leaseMs(capability: Pick<CapabilityDefinition, 'timeoutMs'>): number;
  /** The tenant's profile (limits, scopes, cascade), cached. */
  profileOf(tenant: string): Promise<TenantProfile | undefined>;
  /** The tenant's stored credentials for an account (cached, tenant-checked). */
  credentialsFor(ctx: TenantContext, accountId: string): Promise<JobCredentials>;
  /** Parks a message that can never be processed in the DLQ, with the reason. */
  moveToDlq(message: Message, reason: string): Promise<void>;
  readonly now: () => Date;
  /** Fires when the drain timeout passed: running attempts are released. */
  readonly shutdown: AbortSignal;
  /** True once the worker stopped taking new jobs. */
  draining(): boolean;
  /** Inserts the jobs a passed job spawns (cascade); without it nothing is spawned. */
  readonly producer?: Pick<Producer, 'insert'>;
}
