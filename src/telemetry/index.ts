/**
 * Telemetry: OpenTelemetry metrics (Prometheus text on `/metrics`, OTLP when configured) and
 * traces (OTLP), with a cardinality guard on the tenant label. Off by default; only
 * `@opentelemetry/api` is imported eagerly, the SDK loads on demand (`startTelemetry`).
 */
export {
  type AttemptEndLabel,
  createMetrics,
  METRIC_NAMES,
  type QueueState,
  type ScanqMetrics,
} from './instruments.js';
export {
  endAttemptSpan,
  processMessage,
  type TracedJob,
  type TracedMessage,
  traceparentOfMessage,
} from './job.js';
export {
  contextOf,
  inSpan,
  messagingAttributes,
  NO_SPAN,
  queueNameOf,
  recordError,
  type SpanSource,
  spanContextOf,
  traceLogFields,
  traceparentOf,
} from './spans.js';
export { startTelemetry, type Telemetry, type TelemetryOptions, telemetryOff } from './telemetry.js';
export { OTHER_TENANT, TENANT_WINDOW_MS, TenantLabels } from './tenant-labels.js';
