/**
 * Watches the events a chaos run publishes: a queue on the SNS endpoint subscribed to the run's
 * topic (raw delivery), drained while the run goes on. The queue lives on the SNS endpoint, not on
 * the jobs queue's: moto's SNS delivers only into moto's own SQS (not into ElasticMQ, which the
 * load profile uses for the jobs queue), and moto's SQS slows down with a backlog — hence the
 * drain during the run rather than at its end.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { clientSettings } from '../../src/aws/index.js';
import { coerceError } from '../../src/lib/index.js';
import type { Stack } from '../bench/endpoint.js';
import type { ObservedEvent } from './chaos-check.js';

/** What a watch saw: every event once, or why it could not see them all. */
export interface WatchedEvents {
  readonly events: readonly ObservedEvent[];
  /** Set when events could not be watched (or the watch broke off): the count is then unknown. */
  readonly unavailable?: string;
}

/** A running watch: `stop` drains what is left. */
export interface EventWatch {
  stop(): Promise<WatchedEvents>;
}

/** The fields of an event body the audit reads; anything else, or no JSON, gives an empty event. */
export function parseEvent(body: string | undefined): ObservedEvent {
  try {
    const e = JSON.parse(body ?? '') as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return {
      type: text(e.type),
      tenant: text(e.tenant),
      key: text(e.key),
      status: text(e.status),
      attempt: typeof e.attempt === 'number' ? e.attempt : undefined,
      resultKey: text(e.resultKey),
    };
  } catch {
    return {};
  }
}

/** Subscribes a fresh queue on the SNS endpoint to the stack's topic and drains it until stopped. */
export async function watchEvents(stack: Stack): Promise<EventWatch> {
  const sqs = new SQSClient(clientSettings(stack.config, 'sns'));
  let queueUrl: string | undefined;
  try {
    const created = await sqs.send(
      new CreateQueueCommand({ QueueName: `${stack.config.prefix}-event-audit` }),
    );
    queueUrl = created.QueueUrl;
    if (!queueUrl) throw new Error('CreateQueue returned no QueueUrl');
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    const arn = attributes.Attributes?.QueueArn;
    if (!arn) throw new Error('the queue has no QueueArn');
    await stack.clients.sns.send(
      new SubscribeCommand({
        TopicArn: stack.report.topicArn,
        Protocol: 'sqs',
        Endpoint: arn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
  } catch (error) {
    sqs.destroy();
    const unavailable = `no SQS queue on the SNS endpoint could subscribe to the topic: ${coerceError(error).message}`;
    return { stop: async () => ({ events: [], unavailable }) };
  }
  const url = queueUrl;
  const seen = new Map<string, ObservedEvent>();
  let stopping = false;
  const drain = (async (): Promise<string | undefined> => {
    let empty = 0;
    let failures = 0;
    while (empty < 3) {
      if (failures >= 20) return 'the event queue could not be read 20 times in a row';
      try {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: stopping ? 0 : 1,
          }),
        );
        failures = 0;
        const messages = out.Messages ?? [];
        // A message seen twice (its delete failed) is one event.
        for (const m of messages) if (m.MessageId) seen.set(m.MessageId, parseEvent(m.Body));
        if (messages.length > 0) {
          empty = 0;
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: url,
              Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
            }),
          );
        } else if (stopping) empty++;
      } catch {
        failures++;
        await sleep(500);
      }
    }
    return undefined;
  })();
  let stopped: Promise<WatchedEvents> | undefined;
  const stop = async (): Promise<WatchedEvents> => {
    stopping = true;
    const broken = await drain;
    await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => {});
    sqs.destroy();
    return { events: [...seen.values()], ...(broken ? { unavailable: broken } : {}) };
  };
  return {
    stop() {
      stopped ??= stop();
      return stopped;
    },
  };
}
