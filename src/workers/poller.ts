import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import pLimit from 'p-limit';
import { Consumer } from 'sqs-consumer';
import { coerceError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

export interface PollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Shared concurrency limit: messages wait for a slot here, their visibility ticking. */
  readonly concurrency: number;
  readonly handle: (message: Message) => Promise<void>;
  readonly log: Logger;
  /** Long-poll wait, seconds. Default 20. */
  readonly waitTimeSeconds?: number;
}

/**
 * Long-polling receivers. One sqs-consumer holds at most 10 messages and waits for its slowest,
 * so a process runs ⌈concurrency / 10⌉ + 1 of them; each batch's messages are handled in
 * parallel, and the extra consumer keeps slots busy while a batch waits on a straggler.
 */
export function createPoller(options: PollerOptions) {
  const batchSize = Math.min(10, options.concurrency);
  const count = Math.ceil(options.concurrency / 10) + (options.concurrency > 10 ? 1 : 0);
  const limit = pLimit(options.concurrency);
  let stopping = false;
  const inFlight = new Set<Promise<void>>();
  const track = (work: Promise<void>) => {
    inFlight.add(work);
    work.finally(() => inFlight.delete(work));
    return work;
  };
  const consumers = Array.from({ length: count }, () => {
    const consumer = Consumer.create({
      queueUrl: options.queueUrl,
      sqs: options.sqs,
      useQueueUrlAsEndpoint: false,
      batchSize,
      waitTimeSeconds: options.waitTimeSeconds ?? 20,
      messageAttributeNames: ['All'],
      messageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      // scanq acknowledges itself (batched across consumers, only after the terminal write).
      shouldDeleteMessages: false,
      handleMessageBatch: async (messages) => {
        await Promise.all(messages.map((message) => track(limit(() => options.handle(message)))));
        return [];
      },
    });
    consumer.on('error', (error) => {
      // stop() aborts the long poll on purpose.
      if (stopping) return;
      options.log.warn({ queue: options.queueUrl, error: coerceError(error) }, 'receive failed');
    });
    consumer.on('processing_error', (error) =>
      options.log.error({ queue: options.queueUrl, error: coerceError(error) }, 'batch handler failed'),
    );
    return consumer;
  });

  return {
    /** Number of consumers (receivers) this process runs. */
    consumers: count,
    start(): void {
      for (const consumer of consumers) consumer.start();
    },
    /** Stops receiving at once (aborts long polls); handlers already running go on. */
    stop(): void {
      stopping = true;
      for (const consumer of consumers) consumer.stop({ abort: true });
    },
    /** Messages being handled right now. */
    inFlight(): number {
      return inFlight.size;
    },
    /** Resolves when every running handler is done, or after `timeoutMs`; true if all finished. */
    async idle(timeoutMs: number): Promise<boolean> {
      const deadline = Date.now() + timeoutMs;
      while (inFlight.size > 0) {
        const left = deadline - Date.now();
        if (left <= 0) return false;
        await Promise.race([
          Promise.allSettled([...inFlight]),
          new Promise((r) => setTimeout(r, Math.min(left, 250))),
        ]);
      }
      return true;
    },
  };
}

export type Poller = ReturnType<typeof createPoller>;
