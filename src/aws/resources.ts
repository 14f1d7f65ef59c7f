import { GetQueueUrlCommand, QueueDoesNotExist } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { Config, Service } from '../config/index.js';
import { ScanqError } from '../lib/errors.js';
import type { AwsClients } from './clients.js';

/** A resource scanq needs does not exist (bootstrap not run, or a wrong SCANQ_PREFIX). */
export class AwsResourceMissingError extends ScanqError {
  constructor(
    /** What is missing: `queue`, `table`, `bucket`… */
    readonly kind: string,
    /** Its name (or URL when configured by URL). */
    readonly resource: string,
    /** The service it was looked up in. */
    readonly service: Service,
    options?: { cause?: unknown },
  ) {
    super('aws.resourceMissing', `${kind} ${resource} not found`, options);
  }
}

/** Identifiers only known once the resources exist: configured, or looked up by name. */
export interface ResolvedResources {
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly topicArn: string;
  /** The bulk lane's queue. */
  readonly bulkQueueUrl: string;
}

async function lookupQueueUrl(clients: AwsClients, name: string): Promise<string> {
  const out = await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name })).catch((error: unknown) => {
    throw error instanceof QueueDoesNotExist
      ? new AwsResourceMissingError('queue', name, 'sqs', { cause: error })
      : error;
  });
  if (!out.QueueUrl) throw new Error(`queue ${name} has no URL`);
  return out.QueueUrl;
}

/**
 * Returns queue URLs and the topic ARN, from the config when set (no calls) or by name
 * (`GetQueueUrl`, `GetCallerIdentity`). Called once at process start.
 */
export async function resolveResources(config: Config, clients: AwsClients): Promise<ResolvedResources> {
  const r = config.resources;
  const [queueUrl, dlqUrl, bulkQueueUrl, topicArn] = await Promise.all([
    r.queueUrl ?? lookupQueueUrl(clients, r.queue),
    r.dlqUrl ?? lookupQueueUrl(clients, r.dlq),
    r.bulkQueueUrl ?? lookupQueueUrl(clients, r.bulkQueue),
    r.topicArn ??
      clients.sts.send(new GetCallerIdentityCommand({})).then((id) => {
        const partition = id.Arn?.split(':')[1] ?? 'aws';
        return `arn:${partition}:sns:${config.region}:${id.Account}:${r.topic}`;
      }),
  ]);
  return { queueUrl, dlqUrl, topicArn, bulkQueueUrl };
}
