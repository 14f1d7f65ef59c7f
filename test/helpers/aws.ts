import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { type AwsClients, type ClientOptions, createAwsClients } from '../../src/aws/index.js';
import { type Config, loadConfig } from '../../src/config/index.js';
import { type BootstrapReport, bootstrap } from '../../src/local-aws/index.js';
import { destroyStack } from '../../tools/bench/endpoint.js';

/** A resource prefix unique to one test file (or test), so tests never share resources. */
export function testPrefix(label = 't'): string {
  return `${
    label
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, 8) || 't'
  }-${randomBytes(4).toString('hex')}`;
}

/** The environment of the run's local endpoint plus `extra`. */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { ...inject('awsEnv'), LOG_LEVEL: 'silent', ...extra };
}

/** Config for the run's local endpoint with its own prefix. */
export function testConfig(prefix: string, extra: Record<string, string> = {}): Config {
  return loadConfig(testEnv({ SCANQ_PREFIX: prefix, ...extra }));
}

export interface TestStack {
  readonly config: Config;
  readonly clients: AwsClients;
  readonly report: BootstrapReport;
}

/** Bootstraps an isolated set of resources under a fresh prefix. */
export async function createTestStack(
  label: string,
  options: { env?: Record<string, string>; clients?: ClientOptions } = {},
): Promise<TestStack> {
  const base = testConfig(testPrefix(label), options.env);
  const clients = createAwsClients(base, options.clients);
  const report = await bootstrap(base, clients);
  const config = loadConfig(
    testEnv({
      SCANQ_PREFIX: base.prefix,
      SCANQ_QUEUE_URL: report.queueUrl,
      SCANQ_DLQ_URL: report.dlqUrl,
      SCANQ_BULK_QUEUE_URL: report.bulkQueueUrl,
      SCANQ_TOPIC_ARN: report.topicArn,
      // Capabilities run in tenant sessions in every test stack (`SCANQ_TENANT_ROLE_ARN: ''` turns them off).
      SCANQ_TENANT_ROLE_ARN: report.tenantRoleArn,
      ...options.env,
    }),
  );
  return { config, clients, report };
}

/** Deletes what `createTestStack` created (queues, table, buckets with every object version, topic). */
export async function destroyTestStack(stack: TestStack): Promise<void> {
  await destroyStack(stack);
  stack.clients.destroy();
}
