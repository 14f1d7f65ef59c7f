/**
 * The naive baseline: the consumer a team writes by hand first. One `sqs-consumer` with its
 * defaults (batchSize 1, one message at a time, one DeleteMessage each), doing per message the
 * same writes as the engine — claim update, S3 result, finish update, execution item, SNS
 * publish — one after another, without batching, caching or concurrency. It writes the same
 * attributes as the engine, so item sizes (and so write units) compare like for like.
 */
import { createHash, randomBytes } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { Message } from '@aws-sdk/client-sqs';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Consumer } from 'sqs-consumer';
import { type AwsClients, createAwsClients } from '../../src/aws/index.js';
import { claimCondition, ownerCondition, STATUS, statusValue } from '../../src/jobs/index.js';
import { createMeter, type Meter } from '../instrument/call-stats.js';
import type { Stack } from './endpoint.js';

interface Body {
  readonly tenant: string;
  readonly key: string;
  readonly capability: string;
  readonly target: string;
}

/** What the baseline did, for the report. */
export interface BaselineRun {
  readonly meter: Meter;
  /** CPU of this process while the baseline ran, ms. */
  readonly cpuMs: number;
  readonly handled: number;
  readonly errors: number;
}

function handler(stack: Stack, clients: AwsClients, counts: { handled: number }) {
  const table = stack.config.resources.table;
  const owner = `baseline-${process.pid}-${randomBytes(3).toString('hex')}`;
  return async (message: Message): Promise<Message> => {
    const job = JSON.parse(message.Body ?? '{}') as Body;
    const key = { tenant: job.tenant, key: job.key };
    const now = new Date();
    const at = now.toISOString();
    const claim = claimCondition(now, job.capability);
    const claimed = await clients.doc
      .send(
        new UpdateCommand({
          TableName: table,
          Key: key,
          UpdateExpression:
            'SET #cs = :s, #o = :o, #l = :l, #st = :at, #u = :at, #h = list_append(if_not_exists(#h, :empty), :h) ADD #a :one',
          ConditionExpression: claim.expression,
          ExpressionAttributeNames: {
            ...claim.names,
            '#o': 'owner',
            '#l': 'leaseUntil',
            '#st': 'started',
            '#u': 'updated',
            '#h': 'history',
            '#a': 'attempt',
          },
          ExpressionAttributeValues: {
            ...claim.values,
            ':s': statusValue(STATUS.running, now),
            ':o': owner,
            ':l': new Date(now.getTime() + 37_500).toISOString(),
            ':at': at,
            ':h': [{ status: STATUS.running, at, owner }],
            ':empty': [],
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      )
      .catch((error: unknown) => {
        if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return undefined;
        throw error;
      });
    // Someone else has it or it is done: acknowledge.
    if (!claimed?.Attributes) return message;
    const attempt = Number(claimed.Attributes.attempt);
    const hash = createHash('sha256').update(job.key).digest('hex').slice(0, 20);
    const resultKey = `${job.tenant}/results/${at.slice(0, 10)}/noop/${hash}/${attempt}-baseline.json`;
    const finishedAt = new Date().toISOString();
    const document = {
      v: 1,
      tenant: job.tenant,
      key: job.key,
      capability: job.capability,
      target: job.target,
      attempt,
      status: 'JP',
      startedAt: at,
      finishedAt,
      result: { target: job.target, slept: 0 },
      assets: [],
      risks: [],
    };
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: stack.config.resources.resultsBucket,
        Key: resultKey,
        Body: JSON.stringify(document),
        ContentType: 'application/json',
        Metadata: { tenant: job.tenant },
      }),
    );
    const fence = ownerCondition({ owner, attempt });
    await clients.doc.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        UpdateExpression:
          'SET #s = :s, #f = :f, #u = :f, #rk = :rk, #h = list_append(#h, :h) REMOVE #ok, #sa, #l, #e',
        ConditionExpression: fence.expression,
        ExpressionAttributeNames: {
          ...fence.names,
          '#s': 'status',
          '#f': 'finished',
          '#u': 'updated',
          '#rk': 'resultKey',
          '#h': 'history',
          '#ok': 'openKey',
          '#sa': 'sweepAt',
          '#l': 'leaseUntil',
          '#e': 'error',
        },
        ExpressionAttributeValues: {
          ...fence.values,
          ':s': statusValue(STATUS.passed, new Date(finishedAt)),
          ':f': finishedAt,
          ':rk': resultKey,
          ':h': [{ status: STATUS.passed, at: finishedAt, owner }],
        },
      }),
    );
    await clients.doc.send(
      new PutCommand({
        TableName: table,
        Item: {
          tenant: job.tenant,
          key: `#execution#${job.key}#${String(claimed.Attributes.created)}#${String(attempt).padStart(4, '0')}`,
          kind: 'execution',
          job: job.key,
          attempt,
          owner,
          worker: owner,
          startedAt: at,
          finishedAt,
          resultKey,
          outcome: STATUS.passed,
          expiresAt: claimed.Attributes.expiresAt,
        },
      }),
    );
    await clients.sns.send(
      new PublishCommand({
        TopicArn: stack.report.topicArn,
        Message: JSON.stringify({
          type: 'job.finished',
          tenant: job.tenant,
          key: job.key,
          capability: job.capability,
          status: 'JP',
          attempt,
          resultKey,
        }),
        MessageAttributes: {
          tenant: { DataType: 'String', StringValue: job.tenant },
          status: { DataType: 'String', StringValue: 'JP' },
          capability: { DataType: 'String', StringValue: job.capability },
        },
      }),
    );
    counts.handled++;
    return message;
  };
}

/**
 * Runs the baseline consumer until `done()` resolves, then stops it. Its clients are its own and
 * metered, so its calls are counted apart from the producer's.
 */
export async function runBaseline(stack: Stack, done: () => Promise<unknown>): Promise<BaselineRun> {
  const meter = createMeter();
  const clients = createAwsClients(stack.config, { middleware: meter.middleware });
  const counts = { handled: 0 };
  let errors = 0;
  const consumer = Consumer.create({
    queueUrl: stack.report.queueUrl,
    sqs: clients.sqs,
    useQueueUrlAsEndpoint: false,
    handleMessage: handler(stack, clients, counts),
  });
  consumer.on('processing_error', () => {
    errors++;
  });
  consumer.on('error', () => {
    errors++;
  });
  const cpu = process.cpuUsage();
  consumer.start();
  try {
    await done();
  } finally {
    const stopped = new Promise<void>((resolve) => consumer.once('stopped', () => resolve()));
    consumer.stop({ abort: true });
    await stopped;
    clients.destroy();
  }
  const used = process.cpuUsage(cpu);
  return { meter, cpuMs: (used.user + used.system) / 1000, handled: counts.handled, errors };
}
