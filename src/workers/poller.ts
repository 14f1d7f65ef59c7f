import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import pLimit from 'p-limit';
import { Consumer } from 'sqs-consumer';
import { coerceError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

export interface PollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Jobs at once; receiving pauses while this many are admitted. */
  readonly concurrency: number;
  /** Admits a message (returns the job to run) or disposes of it (returns undefined). */
  readonly admit: (message: Message) => Promise<(() => Promise<void>) | undefined>;
  readonly log: Logger;
  /** Long-poll wait, seconds. Default 20. */
  readonly waitTimeSeconds?: number;
}

/**
 * Long-polling receivers feeding one shared concurrency limit. A consumer's batch handler only
 * admits its messages (or defers them) and returns, so receiving never waits for the slowest job
 * of a batch; before each receive a consumer waits until a slot is free. While a flooding tenant
 * is at its cap, receiving goes on and its extra messages are deferred, so other tenants'
 * messages further back in the queue are reached. max(2, ⌈concurrency / 10⌉) consumers receive in parallel.
 */
export function createPoller(options: PollerOptions) {
  const batchSize = Math.min(10, options.concurrency);
  // At least two, so a flood's deferrals (each receive of a capped tenant) churn in parallel.
  const count = Math.max(2, Math.ceil(options.concurrency / 10));
  const limit = pLimit(options.concurrency);
  let stopping = false;
  const inFlight = new Set<Promise<void>>();
  let waiters: (() => void)[] = [];
  const wake = () => {
    const woken = waiters;
    waiters = [];
    for (const resolve of woken) resolve();
  };
  const track = (work: Promise<void>) => {
    inFlight.add(work);
    work.finally(() => {
      inFlight.delete(work);
      wake();
    });
  };
  const slotFree = async () => {
    while (!stopping && inFlight.size >= options.concurrency) {
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
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
      preReceiveMessageCallback: slotFree,
      handleMessageBatch: async (messages) => {
        await Promise.all(
          messages.map(async (message) => {
            const run = await options.admit(message);
            if (run) track(limit(run));
          }),
        );
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
      wake();
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
