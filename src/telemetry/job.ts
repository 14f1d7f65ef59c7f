import {
  type Attributes,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import {
  messagingAttributes,
  NO_SPAN,
  queueNameOf,
  recordError,
  type SpanSource,
  spanContextOf,
  traceLogFields,
} from './spans.js';

/** The part of a received SQS message a process span reads. */
export interface TracedMessage {
  readonly MessageId?: string;
  readonly MessageAttributes?: Readonly<Record<string, { readonly StringValue?: string }>>;
}

/** The job a message names. */
export interface TracedJob {
  readonly tenant: string;
  readonly key: string;
  readonly capability: string;
}

/** The `traceparent` message attribute the producer set (its create span), if any. */
export function traceparentOfMessage(message: TracedMessage): string | undefined {
  return message.MessageAttributes?.traceparent?.StringValue;
}

/**
 * Runs the handling of one received message in a CONSUMER `process {queue}` span, per the
 * OpenTelemetry messaging conventions: linked to the producer's span (the message's
 * `traceparent`), and its child, since scanq handles every message alone; so a job's claim, run,
 * result, finish and notification join the trace of its enqueue. Its parent is set explicitly:
 * the receive call's context (the SDK instrumentation's `receive` span) is not the job's.
 * `work` gets the span and the `trace_id`/`span_id` fields for the job's log lines. With tracing
 * off, no span is started: `work` gets a span that records nothing.
 */
export function processMessage<T>(
  source: SpanSource,
  queueUrl: string,
  message: TracedMessage,
  job: TracedJob,
  work: (span: Span, logFields: { trace_id?: string; span_id?: string }) => Promise<T>,
): Promise<T> {
  const traceparent = traceparentOfMessage(message);
  // Off: no span, and the job's lines still carry the trace id the producer put on the message.
  if (!source.tracing) return work(NO_SPAN, traceLogFields(undefined, traceparent));
  const { tracer } = source;
  const producer = spanContextOf(traceparent);
  const parent = producer ? trace.setSpanContext(ROOT_CONTEXT, producer) : ROOT_CONTEXT;
  const attributes: Attributes = {
    ...messagingAttributes(queueUrl, { name: 'process', type: 'process' }),
    ...(message.MessageId ? { 'messaging.message.id': message.MessageId } : {}),
    'scanq.tenant': job.tenant,
    'scanq.job.key': job.key,
    'scanq.capability': job.capability,
  };
  return tracer.startActiveSpan(
    `process ${queueNameOf(queueUrl)}`,
    { kind: SpanKind.CONSUMER, attributes, links: producer ? [{ context: producer }] : [] },
    parent,
    async (span) => {
      try {
        return await work(span, traceLogFields(span, traceparent));
      } catch (error) {
        recordError(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * Records how an attempt ended on its process span: `scanq.outcome`, and for a failure or a
 * retry `error.type` (the error's code, never its message) with an error status.
 */
export function endAttemptSpan(span: Span, outcome: string, errorCode?: string): void {
  span.setAttribute('scanq.outcome', outcome);
  if (errorCode !== undefined) {
    span.setAttribute('error.type', errorCode);
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
}
