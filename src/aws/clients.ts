import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsCredentialIdentityProvider, MiddlewareStack } from '@smithy/types';
import type { Config, Service } from '../config/index.js';

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
  /**
   * The clients a capability uses (document client, S3, Secrets Manager), with the same region,
   * endpoints and middleware but other credentials: a tenant session (workers/tenant-session.ts).
   */
  withCredentials(credentials: AwsCredentialIdentityProvider): ScopedClients;
  /** Closes every client's sockets. */
  destroy(): void;
}

/** The clients of one set of credentials other than the process's own (`AwsClients.withCredentials`). */
export interface ScopedClients {
  readonly doc: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly secrets: SecretsManagerClient;
  /** Closes the clients' sockets. */
  destroy(): void;
}

/**
 * Middleware added to every client from outside the product: the benchmark's call counting and
 * the chaos run's fault injection live in `tools/` and plug in here. Production passes none.
 */
export interface ClientMiddleware {
  /** Adds the middleware to one client's stack; `service` names the client. */
  applyTo<I extends object, O extends object>(stack: MiddlewareStack<I, O>, service: Service): void;
}

export interface ClientOptions {
  /** Added to every client's middleware stack, in order. Default none. */
  readonly middleware?: readonly ClientMiddleware[];
  /** SDK retry attempts. Default `config.awsMaxAttempts`. */
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

/**
 * Middleware scanq removes from every client. `loggerMiddleware`: scanq gives the SDK no logger, but
 * the SDK's stand-in (`NoOpLogger`) still has an `info` method, so the middleware builds a copy of
 * every request's input and every response's output with sensitive members masked, only to hand
 * it to a function that drops it — about 1–2 % of a worker's CPU and as much garbage per request
 * (docs/PERFORMANCE.md, "Footprint"). With it gone, passing an SDK `logger` would log nothing.
 */
export const REMOVED_MIDDLEWARE = ['loggerMiddleware'] as const;

/** Creates every client from the config, each with `options.middleware`. */
export function createAwsClients(config: Config, options: ClientOptions = {}): AwsClients {
  const settings = (service: Service) => clientSettings(config, service, options);
  const instrument = <I extends object, O extends object>(stack: MiddlewareStack<I, O>, service: Service) => {
    for (const name of REMOVED_MIDDLEWARE) stack.remove(name);
    for (const middleware of options.middleware ?? []) middleware.applyTo(stack, service);
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
  instrument(clients.sqs.middlewareStack, 'sqs');
  instrument(dynamodb.middlewareStack, 'dynamodb');
  instrument(clients.s3.middlewareStack, 's3');
  instrument(clients.secrets.middlewareStack, 'secretsManager');
  instrument(clients.sns.middlewareStack, 'sns');
  instrument(clients.sts.middlewareStack, 'sts');
  instrument(clients.kms.middlewareStack, 'kms');
  const withCredentials = (credentials: AwsCredentialIdentityProvider): ScopedClients => {
    const scoped = (service: Service) => ({ ...settings(service), credentials });
    const db = new DynamoDBClient(scoped('dynamodb'));
    const s3 = new S3Client({ ...scoped('s3'), forcePathStyle: config.endpoints.s3 !== undefined });
    const secrets = new SecretsManagerClient(scoped('secretsManager'));
    instrument(db.middlewareStack, 'dynamodb');
    instrument(s3.middlewareStack, 's3');
    instrument(secrets.middlewareStack, 'secretsManager');
    return {
      doc: DynamoDBDocumentClient.from(db, { marshallOptions: { removeUndefinedValues: true } }),
      s3,
      secrets,
      destroy() {
        for (const client of [db, s3, secrets]) client.destroy();
      },
    };
  };
  return {
    ...clients,
    withCredentials,
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
