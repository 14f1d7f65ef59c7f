import { GetQueueAttributesCommand, type Message } from '@aws-sdk/client-sqs';
import type { AwsClients } from '../aws/clients.js';
import type { ResolvedResources } from '../aws/resources.js';
import type { Config } from '../config/index.js';
import { type JobCredentials, PermanentError } from '../jobs/index.js';
import type { Logger } from '../lib/logger.js';
import type { ScanqMetrics } from '../telemetry/index.js';
import { TenancyError, type TenantContext } from '../tenancy/index.js';
import { auditToTable, CredentialsCache, resolveAwsCredentials } from './credentials.js';
import { moveToDlq } from './dlq.js';

export {
  type CascadeRecord,
  type CascadeSettings,
  planChildren,
  type SkippedChild,
  spawnChildren,
} from './cascade.js';
export { DLQ_ATTRIBUTE, type DlqEntry, listDlq, moveToDlq, redriveDlq } from './dlq.js';
export { WorkerStats } from './stats.js';
export { createWorker, type Worker, type WorkerDeps } from './worker.js';

/**
 * The I/O a worker process needs beyond its clients: tenant credentials (Secrets Manager, cached,
 * tenant-checked and audited; a refused or missing secret fails the job, it is not retried) and
 * parking unprocessable messages in the DLQ.
 */
export function createWorkerRuntimeDeps(
  config: Config,
  clients: AwsClients,
  resources: ResolvedResources,
  log: Logger,
  metrics?: Pick<ScanqMetrics, 'credentials'>,
) {
  const tableDeps = { doc: clients.doc, tableName: config.resources.table };
  const cache = new CredentialsCache({
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
