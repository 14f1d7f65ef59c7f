import { setTimeout as sleep } from 'node:timers/promises';
import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { encodeJobMessage, type JobMessage, jobMessageAttributes } from '../jobs/index.js';
import { coerceError } from '../lib/errors.js';

/** SQS accepts at most 10 entries per batch. */
export const SQS_BATCH_SIZE = 10;

export interface SendOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Set `MessageGroupId = tenant` (SQS fair queues); off for endpoints that reject it. */
  readonly messageGroupId: boolean;
  /** Rounds for entries that failed (throttled, 5xx); the first send is round 1. Default 4. */
  readonly maxRounds?: number;
  /** Base of the exponential backoff between rounds. Default 50 ms. */
  readonly backoffMs?: number;
}

export interface Outgoing {
  readonly message: JobMessage;
  readonly traceparent?: string;
  /** A start delay (SQS `DelaySeconds`, at most 900). Default none. */
  readonly delaySeconds?: number;
}

/** Per message: sent, or the last error after every round failed. */
export type SendOutcome =
  | { readonly sent: true; readonly messageId?: string }
  | { readonly sent: false; readonly error: string };

function entry(outgoing: Outgoing, id: string, messageGroupId: boolean): SendMessageBatchRequestEntry {
  return {
    Id: id,
    MessageBody: encodeJobMessage(outgoing.message),
    MessageAttributes: jobMessageAttributes(outgoing.message, outgoing.traceparent),
    ...(messageGroupId ? { MessageGroupId: outgoing.message.tenant } : {}),
    ...(outgoing.delaySeconds ? { DelaySeconds: outgoing.delaySeconds } : {}),
  };
}

/** Splits into chunks of `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Sends messages with `SendMessageBatch` in chunks of 10, retrying failed entries (per-entry
 * failures and whole-call errors) with exponential backoff and jitter. Sender faults are not
 * retried. Returns one outcome per message, in order; never throws for a send failure.
 */
export async function sendJobMessages(
  messages: readonly Outgoing[],
  options: SendOptions,
): Promise<SendOutcome[]> {
  const outcomes: SendOutcome[] = messages.map(() => ({ sent: false, error: 'not sent' }));
  let pending = messages.map((_, i) => i);
  const rounds = options.maxRounds ?? 4;
  for (let round = 1; round <= rounds && pending.length > 0; round++) {
    if (round > 1) {
      const base = (options.backoffMs ?? 50) * 2 ** (round - 2);
      await sleep(base / 2 + Math.random() * base);
    }
    const retry: number[] = [];
    await Promise.all(
      chunk(pending, SQS_BATCH_SIZE).map(async (indexes) => {
        try {
          const out = await options.sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: options.queueUrl,
              Entries: indexes.map((i) => entry(messages[i] as Outgoing, String(i), options.messageGroupId)),
            }),
          );
          for (const ok of out.Successful ?? [])
            outcomes[Number(ok.Id)] = { sent: true, ...(ok.MessageId ? { messageId: ok.MessageId } : {}) };
          for (const failed of out.Failed ?? []) {
            const i = Number(failed.Id);
            outcomes[i] = {
              sent: false,
              error: `${failed.Code ?? 'Failed'}: ${failed.Message ?? ''}`.trim(),
            };
            if (!failed.SenderFault) retry.push(i);
          }
        } catch (error) {
          for (const i of indexes) outcomes[i] = { sent: false, error: coerceError(error).message };
          retry.push(...indexes);
        }
      }),
    );
    pending = retry;
  }
  return outcomes;
}
