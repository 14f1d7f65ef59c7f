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

/**
 * Socket limits of every request. The SDK sets none by default, so a connection that stalls (a
 * peer that stops answering, a lost packet on a kept-alive socket) would hold its call forever — a
 * job's finish, or a lease's heartbeat, waiting on it for good. A connect gets 5 s; a socket
 * silent for 30 s (more than SQS's longest long poll, 20 s) ends the request with a `TimeoutError`,
 * which the SDK retries like any transient error (an ambiguous write: the engine's conditions
 * already decide those).
 */
export const AWS_SOCKET_LIMITS = { connectionTimeout: 5_000, socketTimeout: 30_000 } as const;

/** Client settings for one service: region, endpoint and, on local endpoints, dummy credentials. */
export function clientSettings(config: Config, service: Service, options: ClientOptions = {}) {
  const endpoint = config.endpoints[service];
  return {
    region: config.region,
    ...(endpoint ? { endpoint } : {}),
    ...(config.localCredentials ? { credentials: config.localCredentials } : {}),
    maxAttempts: options.maxAttempts ?? config.awsMaxAttempts,
    requestHandler: { ...AWS_SOCKET_LIMITS },
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

/**
 * What an S3 client adds to `clientSettings`. Path-style addressing on a local endpoint. Checksums
 * only where an operation requires one (`DeleteObjects`): every upload scanq makes is a whole body
 * in one request, whose SHA-256 the SigV4 signature already carries (`x-amz-content-sha256`) and
 * S3 checks, so the SDK's default CRC32 on top cost ~0.15 ms of CPU per result object for nothing
 * (docs/PERFORMANCE.md, "Footprint").
 */
export function s3Settings(config: Config) {
  return {
    forcePathStyle: config.endpoints.s3 !== undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  } as const;
}

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
    s3: new S3Client({ ...settings('s3'), ...s3Settings(config) }),
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
    const s3 = new S3Client({ ...scoped('s3'), ...s3Settings(config) });
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

/** The host names of AWS's own endpoints (every partition, FIPS, dual-stack and VPC endpoints). */
const AWS_HOST = /(^|\.)(amazonaws\.com|amazonaws\.com\.cn|api\.aws|c2s\.ic\.gov|sc2s\.sgov\.gov)$/i;

/** The first label of each service's AWS host name. */
const AWS_HOST_PREFIX: Readonly<Record<Service, string>> = {
  sqs: 'sqs',
  dynamodb: 'dynamodb',
  s3: 's3',
  secretsManager: 'secretsmanager',
  sns: 'sns',
  sts: 'sts',
  kms: 'kms',
  iam: 'iam',
  ec2: 'ec2',
};

/**
 * Where a client of `service` sends its requests: the configured endpoint, or AWS's own regional
 * endpoint when none is configured (what the SDK resolves for the standard partition).
 */
export function endpointOf(config: Pick<Config, 'endpoints' | 'region'>, service: Service): string {
  const configured = config.endpoints[service];
  if (configured) return configured;
  if (service === 'iam') return 'https://iam.amazonaws.com';
  return `https://${AWS_HOST_PREFIX[service]}.${config.region}.amazonaws.com`;
}

/** True when `url` is an endpoint of AWS itself (not moto, ElasticMQ, DynamoDB Local or LocalStack). */
export function isRealAwsEndpoint(url: string): boolean {
  try {
    return AWS_HOST.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** True when `url` names this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackEndpoint(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** True for 127.0.0.0/8, ::1 and localhost (with or without the brackets of an IPv6 URL host). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

/** The services of `createAwsClients`, and IAM (bootstrap creates the tenant-session role). */
const CLIENT_SERVICES: readonly Service[] = [
  'sqs',
  'dynamodb',
  's3',
  'secretsManager',
  'sns',
  'sts',
  'kms',
  'iam',
];

/**
 * The services whose clients would reach real AWS with this config: no endpoint configured for
 * them, or an endpoint of AWS itself. Empty when every client talks to an emulator.
 */
export function realAwsServices(config: Pick<Config, 'endpoints' | 'region'>): Service[] {
  return CLIENT_SERVICES.filter((service) => isRealAwsEndpoint(endpointOf(config, service)));
}
