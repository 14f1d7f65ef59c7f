import {
  type Attributes,
  type Context,
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The span context a W3C `traceparent` names (remote), or undefined when malformed or all zero. */
export function spanContextOf(traceparent: string | undefined): SpanContext | undefined {
  const match = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!match) return undefined;
  const [, traceId = '', spanId = '', flags = '00'] = match;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16), isRemote: true };
}

/** A context whose parent is the remote span `traceparent` names (the root context when malformed). */
export function contextOf(traceparent: string | undefined, base: Context = ROOT_CONTEXT): Context {
  const parent = spanContextOf(traceparent);
  return parent ? trace.setSpanContext(base, parent) : base;
}

/** The W3C `traceparent` of a span context. */
export function traceparentOf(span: SpanContext): string {
  const flags = (span.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  return `00-${span.traceId}-${span.spanId}-${flags}`;
}

/** `trace_id` and `span_id` for a job's log lines: of the span when it records, else of the message. */
export function traceLogFields(
  span: Span | undefined,
  traceparent: string | undefined,
): { trace_id?: string; span_id?: string } {
  if (span?.isRecording()) {
    const { traceId, spanId } = span.spanContext();
    return { trace_id: traceId, span_id: spanId };
  }
  const remote = spanContextOf(traceparent);
  return remote ? { trace_id: remote.traceId } : {};
}

/**
 * Attributes of a span about an SQS queue, per the OpenTelemetry messaging conventions:
 * `messaging.system = aws_sqs`, the operation's name and type, the queue's name and URL.
 */
export function messagingAttributes(
  queueUrl: string,
  operation: { readonly name: string; readonly type: 'create' | 'send' | 'receive' | 'process' | 'settle' },
): Attributes {
  return {
    'messaging.system': 'aws_sqs',
    'messaging.operation.name': operation.name,
    'messaging.operation.type': operation.type,
    'messaging.destination.name': queueUrl.slice(queueUrl.lastIndexOf('/') + 1),
    'aws.sqs.queue.url': queueUrl,
  };
}

/** The queue's name from its URL (span names are `{operation} {queue}`). */
export function queueNameOf(queueUrl: string): string {
  return queueUrl.slice(queueUrl.lastIndexOf('/') + 1);
}

/**
 * Marks a span failed with `error.type` (the error's class name or code, never its message text:
 * messages may quote input) and ends nothing.
 */
export function recordError(span: Span, error: unknown): void {
  const type =
    error instanceof Error
      ? ((error as Error & { code?: unknown }).code?.toString() ?? error.name)
      : typeof error === 'string'
        ? 'Error'
        : '_OTHER';
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/** What span helpers need of a process's telemetry. */
export interface SpanSource {
  readonly tracer: Tracer;
  /** False: no span is started at all (not even a no-op one), the work runs as is. */
  readonly tracing: boolean;
}

/** The span handed to work when tracing is off: records nothing. */
export const NO_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * Runs `work` in an active child span named `name` (under the current context), ending it when
 * `work` settles; a throw marks it failed (`error.type`) and is rethrown. With tracing off `work`
 * just runs.
 */
export async function inSpan<T>(
  source: SpanSource,
  name: string,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  if (!source.tracing) return work(NO_SPAN);
  return source.tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      recordError(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}
