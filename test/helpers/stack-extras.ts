import { GetObjectCommand } from '@aws-sdk/client-s3';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { ownContext, type TenantContext, TenantTable } from '../../src/tenancy/index.js';
import type { TestStack } from './aws.js';
import { drainQueue } from './queue.js';
import type { WorkerProcess } from './worker-process.js';

/** An SQS queue subscribed to the stack's topic; returns a function reading the notifications so far. */
export async function subscribeToTopic(stack: TestStack) {
  const { clients } = stack;
  const url =
    (await clients.sqs.send(new CreateQueueCommand({ QueueName: `${stack.config.prefix}-events-sub` })))
      .QueueUrl ?? '';
  const arn = (
    await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))
  ).Attributes?.QueueArn;
  await clients.sns.send(
    new SubscribeCommand({ TopicArn: stack.report.topicArn, Protocol: 'sqs', Endpoint: arn }),
  );
  const seen: { body: Record<string, unknown>; attributes: Record<string, string> }[] = [];
  return async () => {
    for (const m of await drainQueue(clients.sqs, url)) {
      const envelope = JSON.parse(m.Body ?? '{}') as {
        Message: string;
        MessageAttributes?: Record<string, { Value: string }>;
      };
      seen.push({
        body: JSON.parse(envelope.Message) as Record<string, unknown>,
        attributes: Object.fromEntries(
          Object.entries(envelope.MessageAttributes ?? {}).map(([k, v]) => [k, v.Value]),
        ),
      });
    }
    return seen;
  };
}

/**
 * What a test that waited in vain for a job saw: both lanes' message counts, the job item, and
 * each worker's last log lines. Appended to the timeout's message, so a flaky run explains itself.
 */
export async function explainWait(
  stack: TestStack,
  ctx: TenantContext,
  key: string,
  workers: readonly Pick<WorkerProcess, 'child' | 'lines'>[],
): Promise<string> {
  const lanes = await Promise.all(
    [stack.report.queueUrl, stack.report.bulkQueueUrl].map(async (url) => {
      const out = await stack.clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'VisibilityTimeout',
          ],
        }),
      );
      return `${url.split('/').pop()}: ${JSON.stringify(out.Attributes)}`;
    }),
  );
  const item = await tableOf(stack, ctx).get(key, { consistent: true });
  return [
    ...lanes,
    `job ${key}: ${JSON.stringify(item)}`,
    ...workers.map((w) => `worker ${String(w.child.pid)}'s last lines:\n${w.lines.slice(-15).join('\n')}`),
  ].join('\n');
}

/** Sets the jobs queue's visibility timeout (tests shorten it to see redelivery quickly). */
export async function setQueueVisibility(stack: TestStack, seconds: number): Promise<void> {
  await stack.clients.sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: stack.report.queueUrl,
      Attributes: { VisibilityTimeout: String(seconds) },
    }),
  );
}

export function serviceContext(tenant: string): TenantContext {
  return ownContext({ tenant, user: `svc@${tenant}`, roles: ['service'] });
}

export function tableOf(stack: TestStack, ctx: TenantContext): TenantTable {
  return new TenantTable({ doc: stack.clients.doc, tableName: stack.config.resources.table }, ctx);
}

/** Reads a JSON object from the results bucket. */
export async function readResult(stack: TestStack, key: string): Promise<Record<string, unknown>> {
  const out = await stack.clients.s3.send(
    new GetObjectCommand({ Bucket: stack.config.resources.resultsBucket, Key: key }),
  );
  return JSON.parse((await out.Body?.transformToString()) ?? '{}') as Record<string, unknown>;
}

/** Environment for a worker process pointed at the stack. */
export function stackEnv(stack: TestStack, extra: Record<string, string> = {}): Record<string, string> {
  const passed = Object.fromEntries(
    Object.entries(stack.config.endpoints).flatMap(([service, url]) =>
      url ? [[`AWS_ENDPOINT_URL_${service.replace(/([A-Z])/g, '_$1').toUpperCase()}`, url]] : [],
    ),
  );
  return {
    ...passed,
    AWS_REGION: stack.config.region,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    SCANQ_PREFIX: stack.config.prefix,
    SCANQ_QUEUE_URL: stack.report.queueUrl,
    SCANQ_DLQ_URL: stack.report.dlqUrl,
    SCANQ_BULK_QUEUE_URL: stack.report.bulkQueueUrl,
    SCANQ_TOPIC_ARN: stack.report.topicArn,
    // Worker processes run capabilities in tenant sessions, as `dev` does (`''` in `extra` turns them off).
    SCANQ_TENANT_ROLE_ARN: stack.config.worker.tenantSession.roleArn ?? '',
    SCANQ_RETRY_BASE: '200ms',
    SCANQ_RETRY_MAX: '1s',
    ...extra,
  };
}

/** An attempt's execution record: the history entry of the write that ended it (JP, JF or JRA). */
export interface ExecutionRecord {
  readonly status: string;
  readonly attempt: number;
  readonly worker: string;
  readonly startedAt: string;
  readonly at: string;
  readonly resultKey?: string;
  readonly error?: string;
}

/** The execution records in a job's history (entries that name the worker that ran the attempt). */
export function executionsOf(item: Readonly<Record<string, unknown>> | undefined): ExecutionRecord[] {
  const history = Array.isArray(item?.history) ? (item.history as Record<string, unknown>[]) : [];
  return history.filter((h): h is Record<string, unknown> & ExecutionRecord => typeof h.worker === 'string');
}
