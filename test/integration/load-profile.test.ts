import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/aws/index.js';
import { type Config, loadConfig } from '../../src/config/index.js';
import {
  type BootstrapReport,
  bootstrap,
  isAlive,
  type LocalAws,
  startLocalAws,
  stopLocalAws,
  TABLE,
} from '../../src/local-aws/index.js';
import { answersHttp } from '../../src/local-aws/process.js';
import { drainQueue, queueDepth } from '../helpers/queue.js';

/** Whether this machine can run the Java emulators; without Java the profile must fall back to moto. */
const hasJava = spawnSync('which', ['java']).status === 0;

/** Same moto choice as the run's global setup (SCANQ_MOTO), so CI without system moto still works. */
function motoMode(): 'auto' | 'venv' | 'system' {
  const mode = process.env.SCANQ_MOTO;
  return mode === 'venv' || mode === 'system' ? mode : 'auto';
}

/** The first start may download ElasticMQ with Maven and DynamoDB Local with npm. */
const FIRST_START_MS = 15 * 60_000;

describe('Function: startLocalAws (profile load)', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'scanq-load-'));
  let aws: LocalAws | undefined;
  let config: Config;
  let clients: AwsClients | undefined;
  let report: BootstrapReport;

  beforeAll(async () => {
    aws = await startLocalAws({
      profile: 'load',
      mode: motoMode(),
      detached: false,
      stateDir,
      say: (line) => process.stderr.write(`[load-profile] ${line}\n`),
    });
    config = loadConfig({ ...aws.env, SCANQ_PREFIX: 'loadsmoke', LOG_LEVEL: 'silent' });
    clients = createAwsClients(config);
    report = await bootstrap(config, clients);
  }, FIRST_START_MS);

  afterAll(async () => {
    clients?.destroy();
    if (!aws) return;
    const pids = aws.processes.map((p) => p.pid);
    await stopLocalAws(aws);
    rmSync(stateDir, { recursive: true, force: true });
    expect(pids.filter(isAlive), 'emulator processes left running').toEqual([]);
  }, 60_000);

  it('runs SQS on ElasticMQ and DynamoDB on DynamoDB Local, or says why it fell back to moto', async () => {
    // Prepare
    const started = aws;
    if (!started) throw new Error('load profile did not start');
    const byName = new Map(started.processes.map((p) => [p.name, p]));

    // Act
    const healthy = await Promise.all(started.processes.map((p) => answersHttp(p.url)));

    // Assess
    expect(healthy.every(Boolean)).toBe(true);
    expect(started.processes.every((p) => isAlive(p.pid))).toBe(true);
    if (hasJava) {
      expect(started.notes).toEqual([]);
      expect([...byName.keys()].sort()).toEqual(['dynamodb-local', 'elasticmq', 'moto']);
      expect(started.env.AWS_ENDPOINT_URL_SQS).toBe(byName.get('elasticmq')?.url);
      expect(started.env.AWS_ENDPOINT_URL_DYNAMODB).toBe(byName.get('dynamodb-local')?.url);
    } else {
      expect([...byName.keys()]).toEqual(['moto']);
      expect(started.notes).toEqual([
        expect.stringMatching(/^ElasticMQ unavailable \(.*Java.*\); using moto for it$/),
        expect.stringMatching(/^DynamoDB Local unavailable \(.*Java.*\); using moto for it$/),
      ]);
      expect(started.env.AWS_ENDPOINT_URL_SQS).toBeUndefined();
    }
  });

  it('bootstraps every resource on the load endpoints, and a second run changes nothing', async () => {
    // Prepare
    const sqsEndpoint = aws?.env.AWS_ENDPOINT_URL_SQS ?? aws?.env.AWS_ENDPOINT_URL;
    if (!clients || !sqsEndpoint) throw new Error('load profile did not start');

    // Act
    const again = await bootstrap(config, clients);
    const attrs = (
      await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: report.queueUrl, AttributeNames: ['All'] }),
      )
    ).Attributes;

    // Assess: queue URLs name the endpoint the SDK was given (node-address), redrive is in place
    expect(report.queueUrl.startsWith(`${sqsEndpoint}/`)).toBe(true);
    expect(report.dlqUrl.startsWith(`${sqsEndpoint}/`)).toBe(true);
    expect(attrs?.VisibilityTimeout).toBe('60');
    expect(Number(JSON.parse(attrs?.RedrivePolicy ?? '{}').maxReceiveCount)).toBe(5);
    expect(again.unchanged).toBe(true);
    expect(again.steps.filter((s) => s.action === 'created' || s.action === 'updated')).toEqual([]);
  });

  it('sends, receives and deletes a batch of SQS messages', async () => {
    // Prepare
    if (!clients) throw new Error('load profile did not start');
    const bodies = Array.from({ length: 10 }, (_, i) => `smoke-${i}`);

    // Act
    const sent = await clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: report.queueUrl,
        Entries: bodies.map((body, i) => ({
          Id: String(i),
          MessageBody: body,
          MessageAttributes: { tenant: { DataType: 'String', StringValue: 't-smoke' } },
        })),
      }),
    );
    const received = await drainQueue(clients.sqs, report.queueUrl);

    // Assess
    expect(sent.Failed ?? []).toEqual([]);
    expect(received.map((m) => m.Body).sort()).toEqual([...bodies].sort());
    expect(received.every((m) => m.MessageAttributes?.tenant?.StringValue === 't-smoke')).toBe(true);
    expect(await queueDepth(clients.sqs, report.queueUrl)).toBe(0);
  });

  it('applies a conditional PutItem once, then rejects it with ConditionalCheckFailedException', async () => {
    // Prepare
    if (!clients) throw new Error('load profile did not start');
    const item = { tenant: 't-smoke', key: 'job#1', status: 'Q#2026-01-01T00:00:00Z', attempt: 1 };
    const put = (attempt: number) =>
      new PutCommand({
        TableName: config.resources.table,
        Item: { ...item, attempt },
        ConditionExpression: 'attribute_not_exists(#k)',
        ExpressionAttributeNames: { '#k': 'key' },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });

    // Act
    await clients.doc.send(put(1));
    const failure = await clients.doc.send(put(2)).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess: the failure carries the stored item (raw attribute values)
    expect(failure).toBeInstanceOf(ConditionalCheckFailedException);
    const stored = failure instanceof ConditionalCheckFailedException ? failure.Item : undefined;
    expect(stored && unmarshall(stored)).toEqual(item);
  });

  it('queries a sparse keys-only GSI by partition and sort range', async () => {
    // Prepare: two items due before the bound, one after, one outside the index (no openKey).
    if (!clients) throw new Error('load profile did not start');
    const tenant = 't-gsi';
    const due = ['2026-01-01T00:00:01Z', '2026-01-01T00:00:02Z', '2026-01-01T00:00:09Z', undefined];
    for (const [i, sweepAt] of due.entries()) {
      await clients.doc.send(
        new PutCommand({
          TableName: config.resources.table,
          Item: {
            tenant,
            key: `#job#${i}`,
            payload: 'x',
            ...(sweepAt ? { openKey: 'open#gsi', sweepAt } : {}),
          },
        }),
      );
    }

    // Act
    const out = await clients.doc.send(
      new QueryCommand({
        TableName: config.resources.table,
        IndexName: TABLE.indexes.byOpen.name,
        KeyConditionExpression: 'openKey = :p AND sweepAt < :before',
        ExpressionAttributeValues: { ':p': 'open#gsi', ':before': '2026-01-01T00:00:05Z' },
      }),
    );

    // Assess: keys only (no payload), in sweepAt order.
    expect(out.Items).toEqual([
      { tenant, key: '#job#0', openKey: 'open#gsi', sweepAt: '2026-01-01T00:00:01Z' },
      { tenant, key: '#job#1', openKey: 'open#gsi', sweepAt: '2026-01-01T00:00:02Z' },
    ]);
  });
});
