import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** A queue's messages by state (approximate on real SQS). */
export interface QueueStates {
  /** Waiting for a receive (`ApproximateNumberOfMessages`). */
  readonly visible: number;
  /** Received and not yet deleted (`ApproximateNumberOfMessagesNotVisible`). */
  readonly inFlight: number;
  /** Sent with a delay not over yet (`ApproximateNumberOfMessagesDelayed`). */
  readonly delayed: number;
}

/** The queue's messages by state, from one `GetQueueAttributes`. */
export async function queueStates(sqs: SQSClient, queueUrl: string): Promise<QueueStates> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  const a = out.Attributes ?? {};
  return {
    visible: Number(a.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

/** Messages on a queue: visible, in flight and delayed (approximate on real SQS). */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const states = await queueStates(sqs, queueUrl);
  return states.visible + states.inFlight + states.delayed;
}
