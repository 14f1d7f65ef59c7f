import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { Config } from '../config/index.js';
import type { AwsClients } from './clients.js';

/** Identifiers only known once the resources exist: configured, or looked up by name. */
export interface ResolvedResources {
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly topicArn: string;
  /** The bulk lane's queue. */
  readonly bulkQueueUrl: string;
}

async function lookupQueueUrl(clients: AwsClients, name: string): Promise<string> {
  const out = await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
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
