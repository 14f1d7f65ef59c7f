import { GetQueueAttributesCommand, type Message } from '@aws-sdk/client-sqs';
import type { AwsClients } from '../aws/clients.js';
import type { ResolvedResources } from '../aws/resources.js';
import type { Config } from '../config/index.js';
import { type JobCredentials, PermanentError } from '../jobs/index.js';
import type { Logger } from '../lib/logger.js';
import type { ScanqMetrics } from '../telemetry/index.js';
import { TenancyError, type TenantContext } from '../tenancy/index.js';
import { readShardCount } from '../tenancy/table.js';
import { auditToTable, CredentialsCache, resolveAwsCredentials } from './credentials.js';
import { moveToDlq } from './dlq.js';
import { type TenantSessions, tenantSessionsOf } from './tenant-session.js';

export {
  type CascadeRecord,
  type CascadeSettings,
  planChildren,
  type SkippedChild,
  spawnChildren,
} from './cascade.js';
export { DLQ_ATTRIBUTE, type DlqEntry, listDlq, moveToDlq, redriveDlq } from './dlq.js';
export { WorkerStats } from './stats.js';
export { TenantSessions, tenantSessionRequest } from './tenant-session.js';
export { createWorker, type Worker, type WorkerDeps } from './worker.js';

/**
 * The I/O a worker process needs beyond its clients: tenant sessions when `SCANQ_TENANT_ROLE_ARN`
 * is set (a capability's AWS clients, tenant-scoped by IAM), tenant credentials (Secrets Manager
 * through the tenant session when there is one, cached, tenant-checked and audited; a refused or
 * missing secret fails the job, it is not retried) and parking unprocessable messages in the DLQ.
 */
export function createWorkerRuntimeDeps(
  config: Config,
  clients: AwsClients,
  resources: ResolvedResources,
  log: Logger,
  metrics?: Pick<ScanqMetrics, 'credentials'>,
) {
  const tableDeps = { doc: clients.doc, tableName: config.resources.table };
  const tenantSessions: TenantSessions | undefined = tenantSessionsOf(
    config,
    clients,
    // Uncached: the cached read of a capability's table may itself be waiting for this session.
    (tenant) => readShardCount(tableDeps, tenant),
    log,
  );
  const cache = new CredentialsCache({
    ...(tenantSessions
      ? { secretsClientOf: (tenant: string) => tenantSessions.clientsFor(tenant).secrets }
      : {}),
    secrets: {
      secrets: clients.secrets,
      prefix: config.resources.secretsPrefix,
      kmsKeyId: config.resources.kmsKey,
    },
    audit: auditToTable(tableDeps),
    log,
    ttlMs: config.worker.credentialsTtlMs,
    ...(metrics ? { onLookup: (result: 'hit' | 'miss') => metrics.credentials(result) } : {}),
  });
  return {
    ...(tenantSessions ? { tenantSessions } : {}),
    async credentialsFor(ctx: TenantContext, accountId: string): Promise<JobCredentials> {
      try {
        return await resolveAwsCredentials(await cache.get(ctx, accountId), clients.sts, {
          tenant: ctx.tenant,
        });
      } catch (error) {
        if (error instanceof TenancyError)
          throw new PermanentError(error.message, { cause: error, code: error.code });
        throw error;
      }
    },
    /** Parks a message received from `queueUrl` (default the jobs queue) in the DLQ. */
    moveToDlq: (message: Message, reason: string, queueUrl: string = resources.queueUrl) =>
      moveToDlq(clients.sqs, { queueUrl, dlqUrl: resources.dlqUrl }, message, reason),
  };
}

/** The visibility timeout the queue is configured with (ops may change it), in ms. */
export async function queueVisibilityMs(clients: AwsClients, queueUrl: string): Promise<number> {
  const out = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['VisibilityTimeout'] }),
  );
  return Number(out.Attributes?.VisibilityTimeout ?? 30) * 1000;
}
