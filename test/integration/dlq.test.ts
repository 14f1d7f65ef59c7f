import {
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/aws/index.js';
import { encodeJobMessage, jobKey, jobMessageAttributes } from '../../src/jobs/index.js';
import {
  DLQ_ATTRIBUTE,
  DlqDeleteError,
  type DlqEntry,
  DlqSendError,
  listDlq,
  moveToDlq,
  redriveDlq,
} from '../../src/workers/dlq.js';
import { faultMiddleware } from '../../tools/instrument/faults.js';
import { createTestStack, destroyTestStack, type TestStack, testEnv } from '../helpers/aws.js';
import { runCli } from '../helpers/cli.js';
import { drainQueue, queueDepth } from '../helpers/queue.js';

interface Sent {
  readonly body: string;
  readonly attributes: Record<string, MessageAttributeValue>;
}

describe('Module: workers/dlq', () => {
  let stack: TestStack;
  let sqs: AwsClients['sqs'];
  let queues: { queueUrl: string; dlqUrl: string };
  let cliEnv: Record<string, string>;
  let serial = 0;

  // A fresh stack per test: some tests leave messages in flight, which a receive cannot reach,
  // and real SQS allows one PurgeQueue per queue per minute.
  beforeEach(async () => {
    stack = await createTestStack('dlq');
    sqs = stack.clients.sqs;
    queues = { queueUrl: stack.report.queueUrl, dlqUrl: stack.report.dlqUrl };
    cliEnv = testEnv({
      SCANQ_PREFIX: stack.config.prefix,
      SCANQ_QUEUE_URL: stack.report.queueUrl,
      SCANQ_DLQ_URL: stack.report.dlqUrl,
      SCANQ_TOPIC_ARN: stack.report.topicArn,
    });
  });
  afterEach(async () => {
    await destroyTestStack(stack);
  });

  /** Sends a valid job message (plus a custom attribute) to the jobs queue. */
  async function sendJob(tenant: string): Promise<Sent> {
    serial++;
    const message = {
      v: 1 as const,
      tenant,
      key: jobKey(`host-${serial}`, 'noop'),
      capability: 'noop',
      target: `host-${serial}`,
      attempt: 0,
      enqueuedAt: new Date().toISOString(),
      phase: 'JQ' as const,
    };
    const sent: Sent = {
      body: encodeJobMessage(message),
      attributes: {
        ...jobMessageAttributes(message, `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`),
        origin: { DataType: 'String', StringValue: `test-${serial}` },
      },
    };
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queues.queueUrl,
        MessageBody: sent.body,
        MessageAttributes: sent.attributes,
      }),
    );
    return sent;
  }

  async function receive(queueUrl: string, visibilityTimeout: number): Promise<Message[]> {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: visibilityTimeout,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    return out.Messages ?? [];
  }

  async function receiveOne(queueUrl: string): Promise<Message> {
    const [message, ...rest] = await receive(queueUrl, 30);
    expect(rest).toEqual([]);
    if (!message) throw new Error(`nothing to receive on ${queueUrl}`);
    return message;
  }

  /** A job a worker rejected: received, then parked with `moveToDlq`. */
  async function rejectJob(tenant: string, reason: string): Promise<Sent> {
    const sent = await sendJob(tenant);
    await moveToDlq(sqs, queues, await receiveOne(queues.queueUrl), reason);
    return sent;
  }

  /** A job received maxReceiveCount (5) times without a delete; the next receive lets SQS move it. */
  async function exhaustJob(tenant: string): Promise<Sent> {
    const sent = await sendJob(tenant);
    for (let i = 1; i <= 5; i++) {
      const messages = await receive(queues.queueUrl, 0);
      expect(messages.map((m) => m.Attributes?.ApproximateReceiveCount)).toEqual([String(i)]);
    }
    expect(await receive(queues.queueUrl, 0)).toEqual([]);
    return sent;
  }

  async function visible(url: string): Promise<number> {
    const out = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return Number(out.Attributes?.ApproximateNumberOfMessages ?? -1);
  }

  function faultyClients(operation: string): AwsClients {
    return createAwsClients(stack.config, {
      maxAttempts: 1,
      middleware: [faultMiddleware({ rate: 1, match: (_service, op) => op === operation })],
    });
  }

  const bodies = (messages: readonly Message[]) => messages.map((m) => m.Body).sort();
  const sentBodies = (sent: readonly Sent[]) => sent.map((s) => s.body).sort();

  describe('Function: moveToDlq', () => {
    it('parks the message in the DLQ with its body, its attributes and the reason, and removes it from the queue', async () => {
      // Prepare
      const sent = await sendJob('t-move');
      const message = await receiveOne(queues.queueUrl);

      // Act
      await moveToDlq(sqs, queues, message, 'tenant: must be a tenant id');

      // Assess
      expect(await queueDepth(sqs, queues.queueUrl)).toBe(0);
      const [parked, ...more] = await drainQueue(sqs, queues.dlqUrl);
      expect(more).toEqual([]);
      expect(parked?.Body).toBe(sent.body);
      expect(parked?.MessageAttributes).toMatchObject({
        ...sent.attributes,
        [DLQ_ATTRIBUTE.rejected]: { DataType: 'String', StringValue: 'tenant: must be a tenant id' },
        [DLQ_ATTRIBUTE.sourceQueue]: { DataType: 'String', StringValue: queues.queueUrl },
      });
    });

    it('throws DlqSendError and leaves the message on its queue when the send fails', async () => {
      // Prepare
      await sendJob('t-move');
      const message = await receiveOne(queues.queueUrl);
      const faulty = faultyClients('SendMessage');

      // Act
      const error = await moveToDlq(faulty.sqs, queues, message, 'bad').catch((e: unknown) => e);
      faulty.destroy();

      // Assess
      expect(error).toBeInstanceOf(DlqSendError);
      expect(error).toMatchObject({ code: 'dlq.sendFailed' });
      expect(await queueDepth(sqs, queues.queueUrl)).toBe(1);
      expect(await queueDepth(sqs, queues.dlqUrl)).toBe(0);
    });

    it('throws DlqDeleteError when the delete fails: the copy is in the DLQ and the original stays (no loss)', async () => {
      // Prepare
      await sendJob('t-move');
      const message = await receiveOne(queues.queueUrl);
      const faulty = faultyClients('DeleteMessage');

      // Act
      const error = await moveToDlq(faulty.sqs, queues, message, 'bad').catch((e: unknown) => e);
      faulty.destroy();

      // Assess
      expect(error).toBeInstanceOf(DlqDeleteError);
      expect(error).toMatchObject({ code: 'dlq.deleteFailed' });
      expect(await queueDepth(sqs, queues.queueUrl)).toBe(1);
      expect(await queueDepth(sqs, queues.dlqUrl)).toBe(1);
    });
  });

  describe('Command: scanq dlq ls', () => {
    it('lists a rejected message with its reason and does not hide it: a second ls lists it again', async () => {
      // Prepare
      const sent = await rejectJob('t-ls', 'body is not JSON');

      // Act
      const first = await runCli(['dlq', 'ls'], cliEnv);
      const second = await runCli(['dlq', 'ls', '--json'], cliEnv);

      // Assess
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/^ID\s+TENANT\s+CAPABILITY\s+KEY\s+RECEIVES\s+REASON$/m);
      expect(first.stdout).toMatch(/^\S+\s+t-ls\s+noop\s+#job#host-\d+#noop\s+1\s+body is not JSON$/m);
      expect(second.code, second.stderr).toBe(0);
      const entries = JSON.parse(second.stdout) as DlqEntry[];
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({
        tenant: 't-ls',
        capability: 'noop',
        rejectedReason: 'body is not JSON',
        receiveCount: 2,
        bodyPreview: sent.body.slice(0, 200),
      });
      expect(await visible(queues.dlqUrl)).toBe(1);
    });

    it('lists a message that exceeded maxReceiveCount and reached the DLQ through the redrive policy', async () => {
      // Prepare
      const sent = await exhaustJob('t-policy');

      // Act
      const result = await runCli(['dlq', 'ls', '--json'], cliEnv);

      // Assess
      expect(result.code, result.stderr).toBe(0);
      const entries = JSON.parse(result.stdout) as DlqEntry[];
      expect(entries).toHaveLength(1);
      expect(entries[0]?.tenant).toBe('t-policy');
      expect(entries[0]?.rejectedReason).toBeUndefined();
      expect(entries[0]?.bodyPreview).toBe(sent.body.slice(0, 200));
      expect(entries[0]?.receiveCount).toBeGreaterThanOrEqual(5);
      expect(await visible(queues.dlqUrl)).toBe(1);
    });
  });

  describe('Function: listDlq', () => {
    it('lists more than one receive batch once each, honours max, and leaves every message visible', async () => {
      // Prepare
      const sent: Sent[] = [];
      for (let i = 0; i < 13; i++) sent.push(await rejectJob('t-many', `reason ${i}`));

      // Act
      const all = await listDlq(sqs, queues.dlqUrl);
      const some = await listDlq(sqs, queues.dlqUrl, { max: 4 });

      // Assess
      expect(all.map((e) => e.bodyPreview).sort()).toEqual(sentBodies(sent).map((b) => b.slice(0, 200)));
      expect(new Set(all.map((e) => e.messageId)).size).toBe(13);
      expect(some).toHaveLength(4);
      expect(await visible(queues.dlqUrl)).toBe(13);
    });
  });

  describe('Command: scanq dlq redrive', () => {
    it('with --yes moves everything back with the original body and attributes and empties the DLQ', async () => {
      // Prepare
      const sent = [
        await rejectJob('t-a', 'unknown capability'),
        await rejectJob('t-b', 'bad'),
        await exhaustJob('t-c'),
      ];

      // Act
      const result = await runCli(['dlq', 'redrive', '--yes', '--json'], cliEnv);

      // Assess
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ moved: 3, failed: 0, duplicated: 0 });
      expect(await queueDepth(sqs, queues.dlqUrl)).toBe(0);
      const back = await drainQueue(sqs, queues.queueUrl);
      expect(bodies(back)).toEqual(sentBodies(sent));
      for (const message of back) {
        const original = sent.find((s) => s.body === message.Body);
        expect(message.MessageAttributes).toEqual(original?.attributes);
      }
    });

    it('without --yes and without a terminal exits 2, says to pass --yes, and moves nothing', async () => {
      // Prepare
      await rejectJob('t-a', 'bad');

      // Act
      const result = await runCli(['dlq', 'redrive'], cliEnv);

      // Assess
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/--yes/);
      expect(await visible(queues.dlqUrl)).toBe(1);
      expect(await queueDepth(sqs, queues.queueUrl)).toBe(0);
    });

    it("with --tenant moves only that tenant's messages and leaves the others visible in the DLQ", async () => {
      // Prepare
      const wanted = [await rejectJob('t-a', 'bad'), await exhaustJob('t-a')];
      const others = [
        await rejectJob('t-b', 'bad'),
        await rejectJob('t-b', 'worse'),
        await exhaustJob('t-c'),
      ];

      // Act
      const result = await runCli(['dlq', 'redrive', '--tenant', 't-a', '--yes', '--json'], cliEnv);

      // Assess
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ moved: 2, failed: 0, duplicated: 0 });
      expect(bodies(await drainQueue(sqs, queues.queueUrl))).toEqual(sentBodies(wanted));
      expect(await visible(queues.dlqUrl)).toBe(3);
      expect(bodies(await drainQueue(sqs, queues.dlqUrl))).toEqual(sentBodies(others));
    });
  });

  describe('Function: redriveDlq', () => {
    it('moves at most max messages and leaves the rest visible in the DLQ', async () => {
      // Prepare
      for (let i = 0; i < 5; i++) await rejectJob('t-max', 'bad');

      // Act
      const report = await redriveDlq(sqs, queues, { max: 2 });

      // Assess
      expect(report).toEqual({ moved: 2, failed: 0, duplicated: 0 });
      expect(await queueDepth(sqs, queues.queueUrl)).toBe(2);
      expect(await visible(queues.dlqUrl)).toBe(3);
    });

    it('leaves messages whose send failed in the DLQ, visible, and reports them failed', async () => {
      // Prepare
      for (let i = 0; i < 3; i++) await rejectJob('t-fail', 'bad');
      const faulty = faultyClients('SendMessageBatch');

      // Act
      const report = await redriveDlq(faulty.sqs, queues);
      faulty.destroy();

      // Assess
      expect(report).toEqual({ moved: 0, failed: 3, duplicated: 0 });
      expect(await queueDepth(sqs, queues.queueUrl)).toBe(0);
      expect(await visible(queues.dlqUrl)).toBe(3);
    });

    it('reports messages sent but not deleted as duplicated: in both queues, nothing lost', async () => {
      // Prepare
      for (let i = 0; i < 2; i++) await rejectJob('t-dup', 'bad');
      const faulty = faultyClients('DeleteMessageBatch');

      // Act
      const report = await redriveDlq(faulty.sqs, queues);
      faulty.destroy();

      // Assess
      expect(report).toEqual({ moved: 0, failed: 0, duplicated: 2 });
      expect(await queueDepth(sqs, queues.queueUrl)).toBe(2);
      expect(await visible(queues.dlqUrl)).toBe(2);
    });
  });
});
