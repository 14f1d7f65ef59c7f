import { DeleteMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { coerceError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

interface Pending {
  readonly receiptHandle: string;
  readonly resolve: (deleted: boolean) => void;
}

/**
 * Batches message deletions across jobs: a batch leaves when 10 are waiting or after `lingerMs`.
 * A failed delete is not an error for the job: the message comes back, and its claim finds the job
 * finished and acknowledges it again.
 */
export class Acker {
  readonly #sqs: SQSClient;
  readonly #queueUrl: string;
  readonly #log: Logger;
  readonly #lingerMs: number;
  #pending: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(options: { sqs: SQSClient; queueUrl: string; log: Logger; lingerMs?: number }) {
    this.#sqs = options.sqs;
    this.#queueUrl = options.queueUrl;
    this.#log = options.log;
    this.#lingerMs = options.lingerMs ?? 20;
  }

  /** Deletes a message; resolves true once SQS confirmed. */
  ack(receiptHandle: string): Promise<boolean> {
    return new Promise((resolve) => {
      this.#pending.push({ receiptHandle, resolve });
      if (this.#pending.length >= 10) this.#send();
      else this.#timer ??= setTimeout(() => this.#send(), this.#lingerMs);
    });
  }

  /** Sends whatever is waiting and waits for every batch in flight. */
  async flush(): Promise<void> {
    while (this.#pending.length > 0) this.#send();
    await Promise.all([...this.#inFlight]);
  }

  #send(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending.splice(0, 10);
    if (this.#pending.length > 0) this.#timer = setTimeout(() => this.#send(), this.#lingerMs);
    if (batch.length === 0) return;
    const done = this.#deleteBatch(batch).finally(() => this.#inFlight.delete(done));
    this.#inFlight.add(done);
  }

  async #deleteBatch(batch: Pending[]): Promise<void> {
    try {
      const out = await this.#sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.#queueUrl,
          Entries: batch.map((p, i) => ({ Id: String(i), ReceiptHandle: p.receiptHandle })),
        }),
      );
      const failed = new Set((out.Failed ?? []).map((f) => Number(f.Id)));
      if (failed.size > 0)
        this.#log.warn({ queue: this.#queueUrl, failed: failed.size }, 'some deletes failed');
      batch.forEach((p, i) => {
        p.resolve(!failed.has(i));
      });
    } catch (error) {
      this.#log.warn({ queue: this.#queueUrl, error: coerceError(error) }, 'delete batch failed');
      for (const p of batch) p.resolve(false);
    }
  }
}
