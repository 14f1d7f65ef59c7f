/**
 * The queue adapter: the `JobQueue` port over SQS. Deletes and deferral re-sends are batched
 * across the jobs of the process (through the one micro-batcher); receives ask for no more
 * messages than the caller has room for.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { MicroBatcher } from '../lib/batcher.js';
import { coerceError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { LANE, type Lane } from '../producer/index.js';
import type { JobQueue, ReceivedMessage } from './ports.js';

/** How long a receive may outlast its long-poll wait before it is given up as stuck. */
const RECEIVE_GRACE_SECONDS = 10;

/** Longest visibility SQS accepts: 12 hours. */
const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * How a held-back message (its tenant at a hard cap) waits: `hold` keeps it, hidden for the
 * deferral delay (one entry of a visibility batch), `resend` sends a delayed copy and deletes it
 * (an entry of a send batch and one of a delete batch: twice the requests). Holding costs a
 * receive of the DLQ's `maxReceiveCount`, so a message is only held while at least
 * `reserve` receives are left for real failures after the next one; then it is re-sent (a new
 * message, its count back at 0). Pure.
 */
export function deferStep(receiveCount: number, maxReceiveCount: number, reserve = 2): 'hold' | 'resend' {
  return Number.isFinite(receiveCount) && receiveCount + 1 + reserve <= maxReceiveCount ? 'hold' : 'resend';
}

/** A receive's long-poll wait unless configured (`scanq worker --wait-time`), seconds: SQS's maximum. */
export const DEFAULT_WAIT_SECONDS = 20;

export interface SqsJobQueueOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly log: Logger;
  /** Long-poll wait of a receive, seconds. Default 20. */
  readonly waitTimeSeconds?: number;
  /** Delay of a deferred message's re-send, seconds (≤ 900). */
  readonly deferDelaySeconds: number;
  /** Parks a message in the DLQ (workers/dlq.ts `moveToDlq`). */
  readonly deadLetter: (message: ReceivedMessage, reason: string) => Promise<void>;
  /** How long a delete or re-send waits for company before its batch leaves. Default 20 / 10 ms. */
  readonly lingerMs?: { readonly ack?: number; readonly defer?: number };
  /**
   * The queue's redrive `maxReceiveCount`: a held-back message is kept (visibility) rather than
   * re-sent while receives are left ({@link deferStep}). Default 0: always re-sent.
   */
  readonly maxReceiveCount?: number;
}

/** The queue port, plus `flush` for the drain: sends the deletes and re-sends still waiting. */
export interface SqsJobQueue extends JobQueue {
  /**
   * Receives like {@link JobQueue.receive}, waiting `waitTimeSeconds` (0: a short poll) instead
   * of the configured long-poll wait when given.
   */
  receive(max: number, signal: AbortSignal, waitTimeSeconds?: number): Promise<ReceivedMessage[]>;
  flush(): Promise<void>;
}

/** Which entries of a batch call failed (by index). */
function failedIndexes(failed: readonly { Id?: string }[] | undefined): Set<number> {
  return new Set((failed ?? []).map((f) => Number(f.Id)));
}

export function sqsJobQueue(options: SqsJobQueueOptions): SqsJobQueue {
  const { sqs, queueUrl, log } = options;

  // A failed delete is not an error for the job: the message comes back, and its claim finds the
  // job finished and acknowledges it again.
  const deletes = new MicroBatcher<string, boolean>(
    async (handles) => {
      try {
        const out = await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: handles.map((handle, i) => ({ Id: String(i), ReceiptHandle: handle })),
          }),
        );
        const failed = failedIndexes(out.Failed);
        if (failed.size > 0) log.warn({ queue: queueUrl, failed: failed.size }, 'some deletes failed');
        return handles.map((_, i) => !failed.has(i));
      } catch (error) {
        log.warn({ queue: queueUrl, error: coerceError(error) }, 'delete batch failed');
        return handles.map(() => false);
      }
    },
    { lingerMs: options.lingerMs?.ack ?? 20 },
  );

  // A copy whose re-send failed is left alone: it comes back after its visibility timeout.
  const resends = new MicroBatcher<{ message: ReceivedMessage; groupId: string | undefined }, boolean>(
    async (entries) => {
      try {
        const out = await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: entries.map(({ message, groupId }, i) => ({
              Id: String(i),
              MessageBody: message.Body,
              MessageAttributes: message.MessageAttributes,
              DelaySeconds: options.deferDelaySeconds,
              ...(groupId ? { MessageGroupId: groupId } : {}),
            })),
          }),
        );
        const failed = failedIndexes(out.Failed);
        return entries.map((_, i) => !failed.has(i));
      } catch (error) {
        log.warn({ queue: queueUrl, error: coerceError(error) }, 'deferral batch failed');
        return entries.map(() => false);
      }
    },
    { lingerMs: options.lingerMs?.defer ?? 10 },
  );

  // A hold that failed is not lost either: the message comes back after its visibility timeout.
  const holds = new MicroBatcher<string, boolean>(
    async (handles) => {
      try {
        const out = await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: handles.map((handle, i) => ({
              Id: String(i),
              ReceiptHandle: handle,
              VisibilityTimeout: options.deferDelaySeconds,
            })),
          }),
        );
        const failed = failedIndexes(out.Failed);
        return handles.map((_, i) => !failed.has(i));
      } catch (error) {
        log.warn({ queue: queueUrl, error: coerceError(error) }, 'hold batch failed');
        return handles.map(() => false);
      }
    },
    { lingerMs: options.lingerMs?.defer ?? 10 },
  );

  const ack = (message: ReceivedMessage) => deletes.add(message.ReceiptHandle ?? '');

  return {
    async receive(max, signal, wait) {
      const waitTimeSeconds = wait ?? options.waitTimeSeconds ?? DEFAULT_WAIT_SECONDS;
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.max(1, Math.min(10, max)),
          WaitTimeSeconds: waitTimeSeconds,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        }),
        // A long poll that outlives its wait by far is stuck (a stalled connection): give up on it,
        // so the receive loop goes on (what it may have taken comes back after its visibility).
        {
          abortSignal: AbortSignal.any([
            signal,
            AbortSignal.timeout((waitTimeSeconds + RECEIVE_GRACE_SECONDS) * 1000),
          ]),
        },
      );
      return out.Messages ?? [];
    },
    ack,
    async setVisibility(message, seconds) {
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: Math.max(0, Math.min(MAX_VISIBILITY_SECONDS, Math.ceil(seconds))),
        }),
      );
    },
    async defer(message, groupId) {
      const received = Number(message.Attributes?.ApproximateReceiveCount ?? Number.NaN);
      if (deferStep(received, options.maxReceiveCount ?? 0) === 'hold') {
        return holds.add(message.ReceiptHandle ?? '');
      }
      if (!(await resends.add({ message, groupId }))) return false;
      return ack(message);
    },
    deadLetter: options.deadLetter,
    async flush() {
      await holds.flush();
      await resends.flush();
      await deletes.flush();
    },
  };
}

/**
 * The two lanes' queues behind one port: a receive names its lane, and every later call for a
 * message (acknowledge, visibility, deferral, DLQ) goes to the queue it was received from, since
 * a receipt handle is only valid there.
 */
export interface LanedJobQueue extends Omit<SqsJobQueue, 'receive'> {
  receive(lane: Lane, max: number, signal: AbortSignal, waitTimeSeconds?: number): Promise<ReceivedMessage[]>;
  /** The lane a message was received from (jobs for one this queue did not receive). */
  laneOf(message: ReceivedMessage): Lane;
}

export function lanedJobQueue(queues: Readonly<Record<Lane, SqsJobQueue>>): LanedJobQueue {
  const origin = new WeakMap<ReceivedMessage, Lane>();
  const laneOf = (message: ReceivedMessage): Lane => origin.get(message) ?? LANE.jobs;
  const of = (message: ReceivedMessage) => queues[laneOf(message)];
  return {
    async receive(lane, max, signal, waitTimeSeconds) {
      const messages = await queues[lane].receive(max, signal, waitTimeSeconds);
      for (const message of messages) origin.set(message, lane);
      return messages;
    },
    laneOf,
    ack: (message) => of(message).ack(message),
    setVisibility: (message, seconds) => of(message).setVisibility(message, seconds),
    defer: (message, groupId) => of(message).defer(message, groupId),
    deadLetter: (message, reason) => of(message).deadLetter(message, reason),
    async flush() {
      await Promise.all(Object.values(queues).map((queue) => queue.flush()));
    },
  };
}
