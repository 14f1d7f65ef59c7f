export { queueDepth } from '../../src/aws/index.js';

/** Sending fuzz messages to the jobs queue, and collecting what the worker parked in the DLQ. */
import {
  DeleteMessageBatchCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { coerceError } from '../../src/lib/index.js';
import { DLQ_ATTRIBUTE } from '../../src/workers/index.js';
import { render } from './fragment.js';
import type { AttributeRecipe, MessageCase } from './message-cases.js';
import { sqsSafe } from './values.js';

/** The attribute naming the case a message was made from (kept on the DLQ copy). */
export const CASE_ATTRIBUTE = 'fuzz-case';
/** Messages above this size are sent one by one (a batch may carry 256 KiB in all). */
const BATCH_BYTES = 16 * 1024;

function attributeValue(a: AttributeRecipe, id: string): MessageAttributeValue {
  const value = a.value.replaceAll('§ID§', id);
  return a.type === 'Binary'
    ? { DataType: 'Binary', BinaryValue: Buffer.from(value, 'base64') }
    : { DataType: a.type, StringValue: value };
}

/** Body and attributes of case `index`, as SendMessage takes them. */
export function outgoing(c: MessageCase, index: number) {
  const id = `c${index}`;
  const attributes: Record<string, MessageAttributeValue> = {
    [CASE_ATTRIBUTE]: { DataType: 'String', StringValue: String(index) },
  };
  for (const a of [...c.extra, ...(c.tenant ? [c.tenant] : [])]) attributes[a.name] = attributeValue(a, id);
  return { body: sqsSafe(render(c.body, id)), attributes };
}

interface Outgoing {
  readonly index: number;
  readonly body: string;
  readonly attributes: Record<string, MessageAttributeValue>;
}

/**
 * Sends the cases `[start, end)`; returns why SQS refused those it refused (by index). Small
 * messages go ten to a batch, large ones alone.
 */
export async function sendCases(
  sqs: SQSClient,
  queueUrl: string,
  cases: readonly MessageCase[],
  start: number,
  end: number,
): Promise<Map<number, string>> {
  const refused = new Map<number, string>();
  const small: Outgoing[] = [];
  const one = (m: Outgoing) =>
    sqs
      .send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: m.body, MessageAttributes: m.attributes }),
      )
      .then(() => undefined)
      .catch((error: unknown) => void refused.set(m.index, coerceError(error).name));
  for (let index = start; index < end; index++) {
    const c = cases[index];
    if (!c) continue;
    const m = { index, ...outgoing(c, index) };
    if (Buffer.byteLength(m.body) < BATCH_BYTES) small.push(m);
    else await one(m);
  }
  for (let i = 0; i < small.length; i += 10) {
    const group = small.slice(i, i + 10);
    try {
      const out = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: group.map((m) => ({
            Id: String(m.index),
            MessageBody: m.body,
            MessageAttributes: m.attributes,
          })),
        }),
      );
      for (const f of out.Failed ?? []) refused.set(Number(f.Id), f.Code ?? 'refused');
    } catch {
      // One bad entry can fail the whole call: send them one by one to learn which.
      for (const m of group) await one(m);
    }
  }
  return refused;
}

/** One copy found in the DLQ. */
export interface Parked {
  readonly index: number;
  /** `scanq-rejected`; empty when the redrive policy moved it (a message that kept failing). */
  readonly reason: string;
}

/** Receives (and deletes) what is in the DLQ now; returns the copies seen. */
export async function drainDlq(sqs: SQSClient, dlqUrl: string): Promise<Parked[]> {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: dlqUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      VisibilityTimeout: 30,
      MessageAttributeNames: ['All'],
    }),
  );
  const messages = out.Messages ?? [];
  if (messages.length === 0) return [];
  await sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: dlqUrl,
      Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
    }),
  );
  return messages.map((m) => ({
    index: Number(m.MessageAttributes?.[CASE_ATTRIBUTE]?.StringValue ?? -1),
    reason: m.MessageAttributes?.[DLQ_ATTRIBUTE.rejected]?.StringValue ?? '',
  }));
}
