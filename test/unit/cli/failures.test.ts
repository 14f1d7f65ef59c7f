import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { QueueDoesNotExist } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { AwsResourceMissingError, isRealAwsEndpoint, realAwsServices } from '../../../src/aws/index.js';
import { explainFailure, UsageError } from '../../../src/cli/failures.js';
import { loadConfig } from '../../../src/config/index.js';

const local = loadConfig({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', SCANQ_PREFIX: 'acme' });
const meta = { $metadata: {} };
const socketError = (code: string, fields: Record<string, unknown>) =>
  Object.assign(new Error(`connect ${code}`), { code, ...fields });

describe('Function: explainFailure', () => {
  it.each([
    [
      'a missing table',
      new ResourceNotFoundException({ message: 'Requested resource not found', ...meta }),
      'table acme-data not found at http://127.0.0.1:4566: run scanq bootstrap (or check SCANQ_PREFIX, now acme)',
      2,
    ],
    [
      'a queue looked up by name',
      new AwsResourceMissingError('queue', 'acme-jobs', 'sqs'),
      'queue acme-jobs not found at http://127.0.0.1:4566: run scanq bootstrap (or check SCANQ_PREFIX, now acme)',
      2,
    ],
    [
      'a queue missing at send',
      new QueueDoesNotExist({ message: 'The specified queue does not exist.', ...meta }),
      'queue acme-jobs not found at http://127.0.0.1:4566: run scanq bootstrap (or check SCANQ_PREFIX, now acme)',
      2,
    ],
    [
      'a local endpoint nobody listens on',
      socketError('ECONNREFUSED', { address: '127.0.0.1', port: 4566 }),
      'no local endpoint is running at http://127.0.0.1:4566: run scanq local-aws start',
      3,
    ],
    [
      'an AWS host that does not resolve',
      socketError('EAI_AGAIN', { hostname: 'sts.us-east-1.amazonaws.com' }),
      'cannot reach the AWS endpoint https://sts.us-east-1.amazonaws.com (EAI_AGAIN): check AWS_ENDPOINT_URL and the network',
      3,
    ],
    [
      'no credentials',
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
      /^no AWS endpoint is configured and no AWS credentials were found: run scanq local-aws start/,
      2,
    ],
    [
      'credentials AWS refuses',
      Object.assign(new Error('The security token included in the request is expired'), {
        name: 'ExpiredToken',
      }),
      'AWS refused the credentials (ExpiredToken) in us-east-1: renew them or check AWS_PROFILE',
      2,
    ],
    ['a usage error', new UsageError('cli.x', 'pass --yes'), 'pass --yes', 2],
  ])('%s: one line naming cause and fix', (_name, error, line, exitCode) => {
    // Act
    const failure = explainFailure(error, local);

    // Assess
    expect(failure?.exitCode).toBe(exitCode);
    if (typeof line === 'string') expect(failure?.line).toBe(line);
    else expect(failure?.line).toMatch(line);
  });

  it('leaves a bug alone (its stack is kept)', () => {
    expect(explainFailure(new TypeError('x is undefined'), local)).toBeUndefined();
  });
});

describe('Function: realAwsServices', () => {
  it.each([
    ['no endpoint', {}, ['sqs', 'dynamodb', 's3', 'secretsManager', 'sns', 'sts', 'kms', 'iam']],
    ['moto on loopback', { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' }, []],
    ['LocalStack in compose', { AWS_ENDPOINT_URL: 'http://localstack:4566' }, []],
    [
      'emulators but STS left to AWS',
      { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', AWS_ENDPOINT_URL_STS: 'https://sts.amazonaws.com' },
      ['sts'],
    ],
    [
      'an endpoint of AWS itself',
      { AWS_ENDPOINT_URL: 'https://dynamodb.eu-west-1.amazonaws.com' },
      ['sqs', 'dynamodb', 's3', 'secretsManager', 'sns', 'sts', 'kms', 'iam'],
    ],
  ])('%s', (_name, env, expected) => {
    expect(realAwsServices(loadConfig(env))).toEqual(expected);
  });

  it.each([
    ['https://sqs.us-east-1.amazonaws.com', true],
    ['https://s3.cn-north-1.amazonaws.com.cn', true],
    ['https://dynamodb.us-east-1.api.aws', true],
    ['https://vpce-1.sqs.us-east-1.vpce.amazonaws.com', true],
    ['http://127.0.0.1:4566', false],
    ['http://amazonaws.com.evil.example:80', false],
  ])('isRealAwsEndpoint(%s) is %s', (url, expected) => {
    expect(isRealAwsEndpoint(url)).toBe(expected);
  });
});
