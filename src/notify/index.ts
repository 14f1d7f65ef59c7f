import { PublishBatchCommand, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { MicroBatcher } from '../lib/batcher.js';
import { ScanqError } from '../lib/errors.js';

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
 * A risk's lifecycle change (`risk.opened`, `risk.closed`, `risk.reopened`), published with the
 * attributes `tenant`, `severity` and `capability`. Ids only: the risk key, the job that changed it.
 */
export interface RiskEvent {
  readonly tenant: string;
  readonly key: string;
  readonly capability: string;
  readonly severity: string;
  readonly job: string;
  readonly at: string;
}

/** The event types a risk change is published as. */
export const RISK_EVENT_TYPES = {
  opened: 'risk.opened',
  closed: 'risk.closed',
  reopened: 'risk.reopened',
} as const;
export type RiskEventType = (typeof RISK_EVENT_TYPES)[keyof typeof RISK_EVENT_TYPES];

/** An event SNS refused; `retryable` is false when SNS blamed the request (`SenderFault`). */
export class PublishError extends ScanqError {
  readonly retryable: boolean;

  constructor(code: string, message: string, retryable: boolean) {
    super(`notify.${code}`, message);
    this.retryable = retryable;
  }
}

/**
 * The message of an event, with the attributes subscribers filter on (`tenant`, `status`,
 * `capability`). The body carries ids and status only, never tenant data or secrets.
 */
function eventMessage(event: JobEvent, type: string): Outgoing {
  return {
    Message: JSON.stringify({ type, ...event }),
    MessageAttributes: {
      tenant: { DataType: 'String', StringValue: event.tenant },
      status: { DataType: 'String', StringValue: event.status },
      capability: { DataType: 'String', StringValue: event.capability },
    },
  };
}

/** A risk event's message: filterable by `tenant`, `severity` and `capability`. */
function riskMessage(event: RiskEvent, type: RiskEventType): Outgoing {
  return {
    Message: JSON.stringify({ type, ...event }),
    MessageAttributes: {
      tenant: { DataType: 'String', StringValue: event.tenant },
      severity: { DataType: 'String', StringValue: event.severity },
      capability: { DataType: 'String', StringValue: event.capability },
    },
  };
}

/** One message as the batch sends it. */
interface Outgoing {
  readonly Message: string;
  readonly MessageAttributes: Record<string, { DataType: 'String'; StringValue: string }>;
}

/** Publishes one event now (rare publishers: the sweeper). Workers use an `EventPublisher`. */
export async function publishJobEvent(
  sns: SNSClient,
  topicArn: string,
  event: JobEvent,
  type = 'job.finished',
): Promise<void> {
  await sns.send(new PublishCommand({ TopicArn: topicArn, ...eventMessage(event, type) }));
}

/** Publishes events in `PublishBatch` requests of up to 10, across the jobs of a process. */
export interface EventPublisher {
  /** Resolves once SNS accepted the event; rejects with `PublishError` when it refused it. */
  publish(event: JobEvent, type?: string): Promise<void>;
  /** A risk's lifecycle change, batched with the job events. */
  publishRisk(event: RiskEvent, type: RiskEventType): Promise<void>;
  /** Sends what waits and waits for every batch in flight (call before the process exits). */
  flush(): Promise<void>;
}

/**
 * An `EventPublisher` on `topicArn`. Events are small (ids and status, < 1 KB), so ten always fit
 * in one request's 256 KiB, and one request of them is billed as one (per 64 KB chunk): a tenth of
 * the requests of one `Publish` each. An event waits at most `lingerMs` (default 20) for company.
 */
export function createEventPublisher(
  sns: SNSClient,
  topicArn: string,
  options: { lingerMs?: number } = {},
): EventPublisher {
  const batcher = new MicroBatcher<Outgoing, PublishError | undefined>(
    async (items) => {
      const out = await sns.send(
        new PublishBatchCommand({
          TopicArn: topicArn,
          PublishBatchRequestEntries: items.map((message, i) => ({ Id: String(i), ...message })),
        }),
      );
      const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
      return items.map((_, i) => {
        const f = failed.get(String(i));
        return f
          ? new PublishError(f.Code ?? 'publishFailed', f.Message ?? 'SNS refused the event', !f.SenderFault)
          : undefined;
      });
    },
    { lingerMs: options.lingerMs ?? 20 },
  );
  return {
    async publish(event, type = 'job.finished') {
      const refused = await batcher.add(eventMessage(event, type));
      if (refused) throw refused;
    },
    async publishRisk(event, type) {
      const refused = await batcher.add(riskMessage(event, type));
      if (refused) throw refused;
    },
    flush: () => batcher.flush(),
  };
}
