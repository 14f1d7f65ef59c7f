import {
  DeleteMessageBatchCommand,
  type Message,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { MicroBatcher } from '../lib/batcher.js';
import { coerceError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

interface QueueDeps {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly log: Logger;
  readonly lingerMs?: number;
}

/** Which entries of a batch call failed (by index). */
function failedIndexes(failed: readonly { Id?: string }[] | undefined): Set<number> {
  return new Set((failed ?? []).map((f) => Number(f.Id)));
}

/**
 * Batches message deletions across jobs (DeleteMessageBatch). A failed delete is not an error for
 * the job: the message comes back, and its claim finds the job finished and acknowledges it again.
 */
export class Acker {
  readonly #batcher: MicroBatcher<string, boolean>;

  constructor(deps: QueueDeps) {
    this.#batcher = new MicroBatcher(
      async (handles) => {
        try {
          const out = await deps.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: deps.queueUrl,
              Entries: handles.map((handle, i) => ({ Id: String(i), ReceiptHandle: handle })),
            }),
          );
          const failed = failedIndexes(out.Failed);
          if (failed.size > 0)
            deps.log.warn({ queue: deps.queueUrl, failed: failed.size }, 'some deletes failed');
          return handles.map((_, i) => !failed.has(i));
        } catch (error) {
          deps.log.warn({ queue: deps.queueUrl, error: coerceError(error) }, 'delete batch failed');
          return handles.map(() => false);
        }
      },
      { lingerMs: deps.lingerMs ?? 20 },
    );
  }

  /** Deletes a message; resolves true once SQS confirmed. */
  ack(receiptHandle: string): Promise<boolean> {
    return this.#batcher.add(receiptHandle);
  }

  flush(): Promise<void> {
    return this.#batcher.flush();
  }
}

/**
 * Re-sends messages with a delay (SendMessageBatch) for tenants at their cap, then deletes the
 * received copy — a new message, so deferrals never count towards the DLQ's maxReceiveCount.
 * A copy whose re-send failed is left alone: it comes back after its visibility timeout.
 */
export class Deferrer {
  readonly #batcher: MicroBatcher<{ message: Message; groupId: string | undefined }, boolean>;
  readonly #acker: Acker;

  constructor(deps: QueueDeps & { acker: Acker; delaySeconds: number }) {
    this.#acker = deps.acker;
    this.#batcher = new MicroBatcher(
      async (entries) => {
        try {
          const out = await deps.sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: deps.queueUrl,
              Entries: entries.map(({ message, groupId }, i) => ({
                Id: String(i),
                MessageBody: message.Body,
                MessageAttributes: message.MessageAttributes,
                DelaySeconds: deps.delaySeconds,
                ...(groupId ? { MessageGroupId: groupId } : {}),
              })),
            }),
          );
          const failed = failedIndexes(out.Failed);
          return entries.map((_, i) => !failed.has(i));
        } catch (error) {
          deps.log.warn({ queue: deps.queueUrl, error: coerceError(error) }, 'deferral batch failed');
          return entries.map(() => false);
        }
      },
      { lingerMs: deps.lingerMs ?? 10 },
    );
  }

  /** Defers a message; resolves true once it was re-sent and the received copy deleted. */
  async defer(message: Message, groupId: string | undefined): Promise<boolean> {
    if (!(await this.#batcher.add({ message, groupId }))) return false;
    return this.#acker.ack(message.ReceiptHandle ?? '');
  }
}
