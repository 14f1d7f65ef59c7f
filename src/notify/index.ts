import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

/** A job's terminal transition (or an import quarantine) as published on the topic. */
export interface JobEvent {
  readonly tenant: string;
  readonly key: string;
  readonly capability: string;
  readonly status: string;
  readonly attempt: number;
  readonly resultKey?: string;
  readonly error?: string;
}

/**
 * Publishes an event with the message attributes subscribers filter on (`tenant`, `status`,
 * `capability`). The body carries ids and status only, never tenant data or secrets.
 */
export async function publishJobEvent(
  sns: SNSClient,
  topicArn: string,
  event: JobEvent,
  type = 'job.finished',
): Promise<void> {
  await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Message: JSON.stringify({ type, ...event }),
      MessageAttributes: {
        tenant: { DataType: 'String', StringValue: event.tenant },
        status: { DataType: 'String', StringValue: event.status },
        capability: { DataType: 'String', StringValue: event.capability },
      },
    }),
  );
}
