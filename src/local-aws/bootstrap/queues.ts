import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { QueueSpec } from '../manifest.js';
import { isAwsError, type StepLog } from './report.js';

async function queueUrl(sqs: SQSClient, name: string): Promise<string | undefined> {
  try {
    return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (error) {
    if (isAwsError(error, 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue')) return undefined;
    throw error;
  }
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = out.Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${url} has no ARN`);
  return arn;
}

/** Attributes that differ between `wanted` and `actual` (RedrivePolicy compared as JSON). */
export function queueDrift(wanted: Record<string, string>, actual: Record<string, string>): string[] {
  return Object.entries(wanted)
    .filter(([name, value]) => {
      const current = actual[name];
      if (name !== 'RedrivePolicy' || current === undefined) return current !== value;
      const a = JSON.parse(current) as Record<string, unknown>;
      const b = JSON.parse(value) as Record<string, unknown>;
      return (
        a.deadLetterTargetArn !== b.deadLetterTargetArn ||
        String(a.maxReceiveCount) !== String(b.maxReceiveCount)
      );
    })
    .map(([name]) => name);
}

/**
 * Attributes real SQS reports for every queue, since each has a default. An endpoint that leaves
 * one out of `All` does not keep it (ElasticMQ ignores `MessageRetentionPeriod`); setting it again
 * would report an update on every run, so bootstrap reports it as unsupported instead.
 */
const ALWAYS_REPORTED = new Set([
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
]);

/** Wanted attributes the endpoint does not keep: always reported by SQS, yet missing from `actual`. */
export function unkeptAttributes(wanted: Record<string, string>, actual: Record<string, string>): string[] {
  return Object.keys(wanted).filter((name) => ALWAYS_REPORTED.has(name) && actual[name] === undefined);
}

async function allAttributes(sqs: SQSClient, url: string): Promise<Record<string, string>> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
  return out.Attributes ?? {};
}

function noteUnkept(name: string, unkept: readonly string[], log: StepLog): void {
  if (unkept.length === 0) return;
  log.add({
    resource: 'queue',
    name,
    action: 'unsupported',
    detail: `endpoint does not keep ${unkept.join(', ')}`,
  });
}

/** Creates or converges the queues in order (dead-letter queues first); returns URLs by name. */
export async function ensureQueues(sqs: SQSClient, specs: readonly QueueSpec[], log: StepLog) {
  const urls = new Map<string, string>();
  for (const spec of specs) {
    const attributes: Record<string, string> = { ...spec.attributes };
    if (spec.deadLetter) {
      const dlqUrl = urls.get(spec.deadLetter.queue);
      if (!dlqUrl)
        throw new Error(`dead-letter queue ${spec.deadLetter.queue} must come before ${spec.name}`);
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: await queueArn(sqs, dlqUrl),
        maxReceiveCount: spec.deadLetter.maxReceiveCount,
      });
    }
    const existing = await queueUrl(sqs, spec.name);
    if (!existing) {
      const created = await sqs.send(
        new CreateQueueCommand({ QueueName: spec.name, Attributes: attributes }),
      );
      if (!created.QueueUrl) throw new Error(`CreateQueue ${spec.name} returned no URL`);
      urls.set(spec.name, created.QueueUrl);
      log.add({ resource: 'queue', name: spec.name, action: 'created' });
      noteUnkept(spec.name, unkeptAttributes(attributes, await allAttributes(sqs, created.QueueUrl)), log);
      continue;
    }
    urls.set(spec.name, existing);
    const actual = await allAttributes(sqs, existing);
    const unkept = unkeptAttributes(attributes, actual);
    const drift = queueDrift(attributes, actual).filter((name) => !unkept.includes(name));
    if (drift.length === 0) {
      log.add({ resource: 'queue', name: spec.name, action: 'unchanged' });
      noteUnkept(spec.name, unkept, log);
      continue;
    }
    const changed = Object.fromEntries(drift.map((name) => [name, attributes[name] ?? '']));
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: existing, Attributes: changed }));
    log.add({ resource: 'queue', name: spec.name, action: 'updated', detail: drift.join(', ') });
    noteUnkept(spec.name, unkept, log);
  }
  return urls;
}
