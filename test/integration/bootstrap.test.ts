import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { DescribeKeyCommand, GetKeyRotationStatusCommand } from '@aws-sdk/client-kms';
import {
  GetBucketEncryptionCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
} from '@aws-sdk/client-s3';
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, buildManifest, TABLE } from '../../src/local-aws/index.js';
import { CallCounter, countingMiddleware } from '../../tools/instrument/call-counter.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';

describe('Function: bootstrap', () => {
  let stack: TestStack;
  const counter = new CallCounter();

  beforeAll(async () => {
    stack = await createTestStack('boot', { clients: { middleware: [countingMiddleware(counter)] } });
  });
  afterAll(async () => {
    await destroyTestStack(stack);
  });

  it('creates the jobs queue with long polling, visibility and a redrive policy to the DLQ', async () => {
    const { clients, report } = stack;
    const attrs = (
      await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: report.queueUrl, AttributeNames: ['All'] }),
      )
    ).Attributes;
    const dlqArn = (
      await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: report.dlqUrl, AttributeNames: ['QueueArn'] }),
      )
    ).Attributes?.QueueArn;
    expect(attrs?.VisibilityTimeout).toBe('60');
    expect(attrs?.ReceiveMessageWaitTimeSeconds).toBe('20');
    const redrive = JSON.parse(attrs?.RedrivePolicy ?? '{}') as Record<string, unknown>;
    expect(redrive.deadLetterTargetArn).toBe(dlqArn);
    expect(Number(redrive.maxReceiveCount)).toBe(5);
  });

  it('creates the table with its key schema, every GSI and the TTL attribute', async () => {
    const { clients, config } = stack;
    const table = (
      await clients.dynamodb.send(new DescribeTableCommand({ TableName: config.resources.table }))
    ).Table;
    expect(table?.KeySchema).toEqual([
      { AttributeName: 'tenant', KeyType: 'HASH' },
      { AttributeName: 'key', KeyType: 'RANGE' },
    ]);
    const indexes = Object.fromEntries(
      (table?.GlobalSecondaryIndexes ?? []).map((g) => [
        g.IndexName,
        { keys: g.KeySchema?.map((k) => k.AttributeName), projection: g.Projection?.ProjectionType },
      ]),
    );
    for (const index of Object.values(TABLE.indexes)) {
      expect(indexes[index.name]).toEqual({
        keys: [index.partitionKey, index.sortKey],
        projection: index.projection,
      });
    }
    const ttl = await clients.dynamodb.send(
      new DescribeTimeToLiveCommand({ TableName: config.resources.table }),
    );
    expect(ttl.TimeToLiveDescription).toMatchObject({
      AttributeName: 'expiresAt',
      TimeToLiveStatus: 'ENABLED',
    });
  });

  it('creates every bucket versioned, SSE-KMS encrypted with the CMK and closed to the public', async () => {
    const { clients, config, report } = stack;
    for (const spec of buildManifest(config.resources).buckets) {
      const versioning = await clients.s3.send(new GetBucketVersioningCommand({ Bucket: spec.name }));
      expect(versioning.Status).toBe('Enabled');
      const encryption = await clients.s3.send(new GetBucketEncryptionCommand({ Bucket: spec.name }));
      expect(
        encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault,
      ).toEqual({
        SSEAlgorithm: 'aws:kms',
        KMSMasterKeyID: report.kmsKeyArn,
      });
      const block = await clients.s3.send(new GetPublicAccessBlockCommand({ Bucket: spec.name }));
      expect(block.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      });
    }
  });

  it('creates the KMS key behind its alias, with rotation, and the topic encrypted with it', async () => {
    const { clients, config, report } = stack;
    const key = await clients.kms.send(new DescribeKeyCommand({ KeyId: config.resources.kmsKey }));
    expect(key.KeyMetadata?.Arn).toBe(report.kmsKeyArn);
    const rotation = await clients.kms.send(new GetKeyRotationStatusCommand({ KeyId: report.kmsKeyArn }));
    expect(rotation.KeyRotationEnabled).toBe(true);
    const topic = await clients.sns.send(new GetTopicAttributesCommand({ TopicArn: report.topicArn }));
    expect(topic.Attributes?.KmsMasterKeyId).toBe(report.kmsKeyArn);
  });

  it('changes nothing on a second run and says so, with only read calls', async () => {
    counter.reset();
    const again = await bootstrap(stack.config, stack.clients);
    expect(again.unchanged).toBe(true);
    expect(again.steps.filter((s) => s.action === 'created' || s.action === 'updated')).toEqual([]);
    expect(again.queueUrl).toBe(stack.report.queueUrl);
    const writes = Object.keys(counter.snapshot()).filter((op) =>
      /\.(Create|Put|Update|Set|Enable)/.test(op),
    );
    expect(writes).toEqual([]);
  });

  it('counts API calls per service and operation, including document-client calls', async () => {
    counter.reset();
    const { GetCommand } = await import('@aws-sdk/lib-dynamodb');
    await stack.clients.doc.send(
      new GetCommand({ TableName: stack.config.resources.table, Key: { tenant: 'a', key: 'b' } }),
    );
    expect(counter.snapshot()).toEqual({ 'DynamoDB.GetItem': 1 });
  });
});
