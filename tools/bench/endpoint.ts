/**
 * The endpoint a measurement runs against: the configured one (AWS_ENDPOINT_URL and friends), or
 * a local endpoint started for the run and stopped after it; and an isolated stack on it under a
 * fresh resource prefix, so a run never touches anyone else's queues or table.
 */
import { randomBytes } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { DeleteTopicCommand } from '@aws-sdk/client-sns';
import { DeleteQueueCommand } from '@aws-sdk/client-sqs';
import { type AwsClients, createAwsClients } from '../../src/aws/index.js';
import { type Config, loadConfig, SERVICES, type Service } from '../../src/config/index.js';
import {
  type BootstrapReport,
  bootstrap,
  type Profile,
  startLocalAws,
  stopLocalAws,
} from '../../src/local-aws/index.js';
import { createMeter, type Meter } from '../instrument/call-stats.js';

/** Environment variable naming a service's endpoint (`secretsManager` → `AWS_ENDPOINT_URL_SECRETS_MANAGER`). */
export function endpointVariable(service: Service): string {
  return `AWS_ENDPOINT_URL_${service.replace(/([A-Z])/g, '_$1').toUpperCase()}`;
}

/** A set of endpoints to measure against. */
export interface Endpoint {
  /** `external` when the configured endpoint was used. */
  readonly profile: Profile | 'external';
  /** Region, credentials and one endpoint variable per service: what child processes need. */
  readonly env: Readonly<Record<string, string>>;
  /** What could not be started as asked (a load-profile piece that fell back to moto). */
  readonly notes: readonly string[];
  /** Processes of the emulators this run started (none for an external endpoint). */
  readonly pids: readonly number[];
  /** Stops what this run started (nothing for an external endpoint). */
  close(): Promise<void>;
}

/** Endpoint variables of a config, one per service, so children never look anywhere else. */
export function endpointEnv(config: Config): Record<string, string> {
  const env: Record<string, string> = { AWS_REGION: config.region };
  for (const service of SERVICES) {
    const url = config.endpoints[service];
    if (url) env[endpointVariable(service)] = url;
  }
  const fallback = config.endpoints.s3 ?? config.endpoints.sns;
  if (fallback) env.AWS_ENDPOINT_URL = fallback;
  env.AWS_ACCESS_KEY_ID = config.localCredentials?.accessKeyId ?? 'test';
  env.AWS_SECRET_ACCESS_KEY = config.localCredentials?.secretAccessKey ?? 'test';
  return env;
}

/**
 * Uses the configured local endpoint when `configured.local`, else starts `profile` (JVMs and moto
 * die with this process if it is killed).
 */
export async function openEndpoint(
  configured: Config,
  options: { profile: Profile; say: (line: string) => void },
): Promise<Endpoint> {
  if (configured.local) {
    return { profile: 'external', env: endpointEnv(configured), notes: [], pids: [], close: async () => {} };
  }
  const local = await startLocalAws({
    profile: options.profile,
    mode: configured.moto,
    detached: false,
    say: options.say,
  });
  return {
    profile: options.profile,
    env: { ...local.env },
    notes: local.notes,
    pids: local.processes.map((p) => p.pid),
    close: () => stopLocalAws(local),
  };
}

/** Resources bootstrapped under one prefix, with metered clients for the in-process side. */
export interface Stack {
  readonly config: Config;
  readonly clients: AwsClients;
  /** Counts the calls this process makes (producer, baseline, checks). */
  readonly meter: Meter;
  readonly report: BootstrapReport;
  /** Environment for `scanq` child processes pointed at this stack. */
  readonly env: Readonly<Record<string, string>>;
}

/** A fresh prefix such as `bench-3fa9c1d2`. */
export function runPrefix(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

/** Bootstraps an isolated stack under `prefix` on `endpoint`. */
export async function openStack(
  endpoint: Endpoint,
  prefix: string,
  extra: Readonly<Record<string, string>> = {},
): Promise<Stack> {
  const base = loadConfig({ ...endpoint.env, SCANQ_PREFIX: prefix, LOG_LEVEL: 'silent', ...extra });
  const setup = createAwsClients(base);
  const report = await bootstrap(base, setup).finally(() => setup.destroy());
  const env = {
    ...endpoint.env,
    ...extra,
    SCANQ_PREFIX: prefix,
    SCANQ_QUEUE_URL: report.queueUrl,
    SCANQ_DLQ_URL: report.dlqUrl,
    SCANQ_BULK_QUEUE_URL: report.bulkQueueUrl,
    SCANQ_TOPIC_ARN: report.topicArn,
  };
  const config = loadConfig({ ...env, LOG_LEVEL: 'silent' });
  const meter = createMeter();
  const clients = createAwsClients(config, { middleware: meter.middleware });
  return { config, clients, meter, report, env };
}

async function emptyBucket(clients: AwsClients, bucket: string): Promise<void> {
  for (;;) {
    const page = await clients.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1000 }));
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({
      Key: v.Key,
      VersionId: v.VersionId,
    }));
    if (objects.length === 0) return;
    await clients.s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }),
    );
  }
}

/** Deletes a stack's queues, table, topic and buckets (on an endpoint someone else runs). */
export async function destroyStack(stack: Pick<Stack, 'clients' | 'config' | 'report'>): Promise<void> {
  const { clients, config, report } = stack;
  const r = config.resources;
  await Promise.allSettled([
    clients.sqs.send(new DeleteQueueCommand({ QueueUrl: report.queueUrl })),
    clients.sqs.send(new DeleteQueueCommand({ QueueUrl: report.dlqUrl })),
    clients.dynamodb.send(new DeleteTableCommand({ TableName: r.table })),
    clients.sns.send(new DeleteTopicCommand({ TopicArn: report.topicArn })),
    ...[r.resultsBucket, r.uploadsBucket, r.quarantineBucket].map(async (bucket) => {
      await emptyBucket(clients, bucket);
      await clients.s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    }),
  ]);
}
