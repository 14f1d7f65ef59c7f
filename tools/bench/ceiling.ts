/**
 * The endpoint's own ceiling: raw requests per second of one cheap call per endpoint, with many
 * requests in flight from this process. A job needs several calls, spread over endpoints (on the
 * load profile: SQS on ElasticMQ, DynamoDB on DynamoDB Local, S3 and SNS on moto), so the most
 * jobs per second any client could get is the smallest `ceiling ÷ calls per job` over them.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { Service } from '../../src/config/index.js';
import type { Stack } from './endpoint.js';

/** One endpoint's measured ceiling. */
export interface Ceiling {
  readonly url: string;
  /** The services behind this URL among those a job uses (`SQS`, `DynamoDB`, `S3`, `SNS`). */
  readonly services: readonly string[];
  /** The call measured, `Service.Operation`. */
  readonly call: string;
  readonly requestsPerSecond: number;
  /** CPU this (client) process spent per request, ms: the SDK's own cost. */
  readonly clientCpuMsPerRequest: number;
}

/** Services a job touches, with the SDK service name used in call counts. */
const JOB_SERVICES: readonly { service: Service; name: string }[] = [
  { service: 'sqs', name: 'SQS' },
  { service: 'dynamodb', name: 'DynamoDB' },
  { service: 's3', name: 'S3' },
  { service: 'sns', name: 'SNS' },
];

function cheapCall(stack: Stack, name: string): { call: string; send: () => Promise<unknown> } {
  const { clients, config, report } = stack;
  switch (name) {
    case 'SQS':
      return {
        call: 'SQS.GetQueueAttributes',
        send: () =>
          clients.sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: report.queueUrl,
              AttributeNames: ['VisibilityTimeout'],
            }),
          ),
      };
    case 'DynamoDB':
      return {
        call: 'DynamoDB.GetItem',
        send: () =>
          clients.dynamodb.send(
            new GetItemCommand({
              TableName: config.resources.table,
              Key: { tenant: { S: 'bench-ceiling' }, key: { S: '#job#none' } },
            }),
          ),
      };
    case 'S3':
      return {
        call: 'S3.HeadBucket',
        send: () => clients.s3.send(new HeadBucketCommand({ Bucket: config.resources.resultsBucket })),
      };
    default:
      return {
        call: 'SNS.GetTopicAttributes',
        send: () => clients.sns.send(new GetTopicAttributesCommand({ TopicArn: report.topicArn })),
      };
  }
}

/** Requests per second of `send` with `inFlight` outstanding, over `ms` after a short warm-up. */
async function rate(
  send: () => Promise<unknown>,
  options: { inFlight: number; ms: number },
): Promise<{ perSecond: number; cpuMsPerRequest: number }> {
  const warmUntil = Date.now() + 500;
  await Promise.all(
    Array.from({ length: options.inFlight }, async () => {
      while (Date.now() < warmUntil) await send();
    }),
  );
  let n = 0;
  const cpu = process.cpuUsage();
  const start = Date.now();
  const end = start + options.ms;
  await Promise.all(
    Array.from({ length: options.inFlight }, async () => {
      while (Date.now() < end) {
        await send();
        n++;
      }
    }),
  );
  const seconds = (Date.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { perSecond: n / seconds, cpuMsPerRequest: (used.user + used.system) / 1000 / Math.max(1, n) };
}

/** Measures every distinct endpoint a job uses, one after another. */
export async function measureCeilings(
  stack: Stack,
  options: { inFlight?: number; ms?: number } = {},
): Promise<Ceiling[]> {
  const byUrl = new Map<string, string[]>();
  for (const { service, name } of JOB_SERVICES) {
    const url = stack.config.endpoints[service] ?? `aws:${service}`;
    byUrl.set(url, [...(byUrl.get(url) ?? []), name]);
  }
  const ceilings: Ceiling[] = [];
  for (const [url, services] of byUrl) {
    const { call, send } = cheapCall(stack, services[0] ?? 'SNS');
    const measured = await rate(send, { inFlight: options.inFlight ?? 64, ms: options.ms ?? 3_000 });
    ceilings.push({
      url,
      services,
      call,
      requestsPerSecond: measured.perSecond,
      clientCpuMsPerRequest: measured.cpuMsPerRequest,
    });
  }
  return ceilings;
}

/** Jobs per second the endpoints allow: the smallest `ceiling ÷ calls per job` over them. */
export function ceilingBound(
  ceilings: readonly Ceiling[],
  callsPerJob: Readonly<Record<string, number>>,
): { jobsPerSecond: number; limitedBy: string } {
  let best = { jobsPerSecond: Number.POSITIVE_INFINITY, limitedBy: 'none' };
  for (const c of ceilings) {
    const calls = Object.entries(callsPerJob)
      .filter(([call]) => c.services.includes(call.split('.')[0] ?? ''))
      .reduce((s, [, n]) => s + n, 0);
    if (calls === 0) continue;
    const jobs = c.requestsPerSecond / calls;
    if (jobs < best.jobsPerSecond)
      best = { jobsPerSecond: jobs, limitedBy: `${c.services.join('+')} (${c.url})` };
  }
  return best;
}
