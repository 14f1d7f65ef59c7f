import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MiddlewareStack } from '@smithy/types';
import type { Config, Service } from '../config/index.js';
import { type CallCounter, countingPlugin } from './call-counter.js';
import { type FaultPlan, faultPlugin } from './faults.js';

/** Every AWS client scanq uses, created once per process and injected where needed. */
export interface AwsClients {
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  /** Document client over `dynamodb` (plain JS values, `undefined` removed). */
  readonly doc: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly secrets: SecretsManagerClient;
  readonly sns: SNSClient;
  readonly sts: STSClient;
  readonly kms: KMSClient;
  /** Closes every client's sockets. */
  destroy(): void;
}

export interface ClientOptions {
  /** Counts every request per service and operation. */
  readonly counter?: CallCounter;
  /** Fails a share of requests (tests and chaos runs). */
  readonly faults?: FaultPlan;
  /** SDK retry attempts (default: the SDK's 3). */
  readonly maxAttempts?: number;
}

/** Client settings for one service: region, endpoint and, on local endpoints, dummy credentials. */
export function clientSettings(config: Config, service: Service, options: ClientOptions = {}) {
  const endpoint = config.endpoints[service];
  return {
    region: config.region,
    ...(endpoint ? { endpoint } : {}),
    ...(config.localCredentials ? { credentials: config.localCredentials } : {}),
    maxAttempts: options.maxAttempts ?? config.awsMaxAttempts,
  };
}

/** Creates every client from the config; `counter` and `faults` are attached to each. */
export function createAwsClients(config: Config, options: ClientOptions = {}): AwsClients {
  const settings = (service: Service) => clientSettings(config, service, options);
  const instrument = <I extends object, O extends object>(stack: MiddlewareStack<I, O>): void => {
    if (options.counter) stack.use(countingPlugin<I, O>(options.counter));
    if (options.faults) stack.use(faultPlugin<I, O>(options.faults));
  };
  const dynamodb = new DynamoDBClient(settings('dynamodb'));
  const clients = {
    sqs: new SQSClient(settings('sqs')),
    dynamodb,
    doc: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    s3: new S3Client({ ...settings('s3'), forcePathStyle: config.endpoints.s3 !== undefined }),
    secrets: new SecretsManagerClient(settings('secretsManager')),
    sns: new SNSClient(settings('sns')),
    sts: new STSClient(settings('sts')),
    kms: new KMSClient(settings('kms')),
  };
  // The document client shares the DynamoDB client's stack, so it is instrumented through it.
  instrument(clients.sqs.middlewareStack);
  instrument(dynamodb.middlewareStack);
  instrument(clients.s3.middlewareStack);
  instrument(clients.secrets.middlewareStack);
  instrument(clients.sns.middlewareStack);
  instrument(clients.sts.middlewareStack);
  instrument(clients.kms.middlewareStack);
  return {
    ...clients,
    destroy() {
      for (const client of [
        clients.sqs,
        dynamodb,
        clients.s3,
        clients.secrets,
        clients.sns,
        clients.sts,
        clients.kms,
      ]) {
        client.destroy();
      }
    },
  };
}
