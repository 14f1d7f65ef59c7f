import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { type AwsClients, clientSettings } from '../../aws/clients.js';
import type { Config } from '../../config/index.js';
import { buildManifest } from '../manifest.js';
import { ensureBuckets } from './buckets.js';
import { ensureKmsKey } from './kms.js';
import { ensureQueues } from './queues.js';
import { type BootstrapStep, StepLog } from './report.js';
import { ensureTenantRole, tenantRoleName } from './role.js';
import { ensureTable } from './table.js';
import { ensureTopic } from './topic.js';

export type { BootstrapAction, BootstrapStep } from './report.js';

/** What bootstrap did, and the identifiers the processes need. */
export interface BootstrapReport {
  readonly steps: readonly BootstrapStep[];
  /** True when nothing was created or updated. */
  readonly unchanged: boolean;
  readonly accountId: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly bulkQueueUrl: string;
  readonly topicArn: string;
  readonly kmsKeyArn: string;
  /** The tenant-session role workers assume per tenant (SCANQ_TENANT_ROLE_ARN). */
  readonly tenantRoleArn: string;
}

/**
 * Creates every resource of the manifest idempotently: a second run changes nothing and says so.
 * For local endpoints and first deployments; real AWS is managed by terraform.
 */
export async function bootstrap(config: Config, clients: AwsClients): Promise<BootstrapReport> {
  const names = config.resources;
  const manifest = buildManifest(names);
  const log = new StepLog();
  const identity = await clients.sts.send(new GetCallerIdentityCommand({}));
  const accountId = identity.Account ?? '000000000000';
  const partition = identity.Arn?.split(':')[1] ?? 'aws';

  const kmsKeyArn = await ensureKmsKey(clients.kms, manifest.kmsKey, log);
  const urls = await ensureQueues(clients.sqs, manifest.queues, log);
  await ensureTable(clients.dynamodb, manifest.table, log);
  await ensureBuckets(clients.s3, manifest.buckets, config.region, kmsKeyArn, log);
  const topicArn = await ensureTopic(
    clients.sns,
    manifest.topic,
    `arn:${partition}:sns:${config.region}:${accountId}:${names.topic}`,
    kmsKeyArn,
    log,
  );
  const tenantRoleArn = await ensureTenantRole(
    clientSettings(config, 'iam'),
    tenantRoleName(config.prefix),
    partition,
    accountId,
    log,
  );
  const queueUrl = urls.get(names.queue);
  const dlqUrl = urls.get(names.dlq);
  const bulkQueueUrl = urls.get(names.bulkQueue);
  if (!queueUrl || !dlqUrl || !bulkQueueUrl) throw new Error('queues missing after bootstrap');
  return {
    steps: log.steps,
    unchanged: log.steps.every((s) => s.action === 'unchanged' || s.action === 'unsupported'),
    accountId,
    queueUrl,
    dlqUrl,
    bulkQueueUrl,
    topicArn,
    kmsKeyArn,
    tenantRoleArn,
  };
}
