import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { NoSuchBucket } from '@aws-sdk/client-s3';
import { QueueDoesNotExist } from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import { AwsResourceMissingError, endpointOf, isLoopbackHost } from '../aws/index.js';
import type { Config, Service } from '../config/index.js';
import { errorName, ScanqError } from '../lib/errors.js';

/** Exit codes of every `scanq` command (documented in the README). */
export const EXIT = { ok: 0, failure: 1, usage: 2, notRunning: 3 } as const;

/** What the CLI prints for a failure it understands: one line naming the cause and the fix. */
export interface Failure {
  /** `cause: fix`, as printed. */
  readonly line: string;
  /** What went wrong, without the fix (`table scanq-data not found at http://…`). */
  readonly cause: string;
  readonly exitCode: number;
}

function failure(cause: string, fix: string | undefined, exitCode: number): Failure {
  return { line: fix ? `${cause}: ${fix}` : cause, cause, exitCode };
}

/** A command refused because of how it was called or configured: one line, exit 2. */
export class UsageError extends ScanqError {}

/** Socket errors that mean "nothing answers at that address" (Node's `error.code`). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
]);

/** AWS answers that mean the credentials were read but are not accepted. */
const REJECTED_CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidAccessKeyId',
  'ExpiredToken',
  'ExpiredTokenException',
  'SignatureDoesNotMatch',
]);

/** A string property of an error object, if it has one (Node's socket errors carry `code`, `address`…). */
function field(error: unknown, name: string): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const value = (error as Record<string, unknown>)[name];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** The configured endpoint a failed socket address belongs to, else the address itself. */
function addressOf(error: unknown, config: Config | undefined): { url: string; loopback: boolean } {
  const host = field(error, 'address') ?? field(error, 'hostname') ?? '';
  const port = field(error, 'port');
  const configured = config
    ? Object.values(config.endpoints).find((endpoint) => {
        if (!endpoint) return false;
        const url = new URL(endpoint);
        return url.hostname.replace(/^\[|\]$/g, '') === host && (port === undefined || url.port === port);
      })
    : undefined;
  // A name that did not resolve is an AWS default endpoint (configured ones match above).
  return {
    url: configured ?? (port ? `${host}:${port}` : `https://${host}`),
    loopback: isLoopbackHost(host),
  };
}

function missing(kind: string, name: string, service: Service, config: Config | undefined): Failure {
  const where = config ? ` at ${endpointOf(config, service)}` : '';
  return failure(
    `${kind} ${name} not found${where}`,
    `run scanq bootstrap (or check SCANQ_PREFIX${config ? `, now ${config.prefix}` : ''})`,
    EXIT.usage,
  );
}

/**
 * The one translator of failures into what an operator can act on: a missing table or queue
 * (bootstrap not run, wrong SCANQ_PREFIX), an endpoint nobody listens on, no credentials, credentials
 * AWS rejects. Exit 2 for configuration, 3 for "not running". Decides by error type and code, never
 * by message text. Undefined for anything else: a bug, which keeps its stack.
 *
 * @param config - the command's configuration, to name the resource and endpoint; undefined when
 *   the configuration itself could not be read
 */
export function explainFailure(error: unknown, config: Config | undefined): Failure | undefined {
  if (error instanceof AwsResourceMissingError)
    return missing(error.kind, error.resource, error.service, config);
  if (error instanceof ResourceNotFoundException)
    return missing('table', config?.resources.table ?? 'scanq-data', 'dynamodb', config);
  if (error instanceof QueueDoesNotExist)
    return missing(
      'queue',
      config?.resources.queueUrl ?? config?.resources.queue ?? 'scanq-jobs',
      'sqs',
      config,
    );
  if (error instanceof NoSuchBucket)
    return missing(
      'bucket',
      field(error, 'BucketName') ?? config?.resources.resultsBucket ?? '',
      's3',
      config,
    );
  if (error instanceof UsageError) return failure(error.message, undefined, EXIT.usage);
  if (error instanceof ScanqError) return failure(error.message, undefined, EXIT.failure);
  const code = field(error, 'code');
  if (code && UNREACHABLE.has(code)) {
    const { url, loopback } = addressOf(error, config);
    return loopback
      ? failure(`no local endpoint is running at ${url}`, 'run scanq local-aws start', EXIT.notRunning)
      : failure(
          `cannot reach the AWS endpoint ${url} (${code})`,
          'check AWS_ENDPOINT_URL and the network',
          EXIT.notRunning,
        );
  }
  const name = errorName(error);
  if (name === 'Unknown') {
    // The SDK's name for an answer that is no AWS error at all: something else listens there.
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const endpoints = config ? [...new Set(Object.values(config.endpoints).filter(Boolean))].join(', ') : '';
    return failure(
      `the endpoint ${endpoints || 'configured'} answered HTTP ${status ?? '?'}, not as AWS does`,
      'check AWS_ENDPOINT_URL',
      EXIT.usage,
    );
  }
  if (name === 'CredentialsProviderError')
    return failure(
      'no AWS endpoint is configured and no AWS credentials were found',
      'run scanq local-aws start for the local endpoint, or give credentials for real AWS ' +
        '(AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)',
      EXIT.usage,
    );
  if (name && REJECTED_CREDENTIALS.has(name))
    return failure(
      `AWS refused the credentials (${name}) in ${config?.region ?? 'the region'}`,
      'renew them or check AWS_PROFILE',
      EXIT.usage,
    );
  return undefined;
}

/** `scanq jobs ls` for the command `ls` under `jobs`. */
function pathOf(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Makes every usage error of `command` and its subcommands one line on stderr — the problem and
 * where the usage is — instead of commander's message followed by the whole help (exit 2 stays
 * `runCli`'s). Call once the tree is built: commander copies settings only at `.command()`.
 */
export function oneLineUsageErrors(command: Command): void {
  const path = pathOf(command);
  command.showHelpAfterError(false).configureOutput({
    outputError: (text, write) =>
      write(
        `${path}: ${text
          .replace(/^error: /, '')
          .replace(/\s*\n\s*/g, ' ')
          .trim()} (${path} --help shows the usage)\n`,
      ),
  });
  for (const sub of command.commands) oneLineUsageErrors(sub);
}
