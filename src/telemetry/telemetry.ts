import { createNoopMeter, type Tracer, trace } from '@opentelemetry/api';
import type { TelemetryConfig } from '../config/index.js';
import type { Logger } from '../lib/logger.js';
import { createMetrics, type ScanqMetrics } from './instruments.js';

/** A process's telemetry: what code records into, whatever is (or is not) exported. */
export interface Telemetry {
  /** True when spans are recorded and exported (OTLP configured). */
  readonly tracing: boolean;
  /** True when metrics go somewhere (Prometheus text or OTLP): worth sampling what costs a call. */
  readonly metering: boolean;
  /** Tracer of scanq's own spans; the API's no-op tracer when tracing is off. */
  readonly tracer: Tracer;
  readonly metrics: ScanqMetrics;
  /** The Prometheus text of this process's metrics, when it serves `/metrics`. */
  readonly prometheus: (() => Promise<string>) | undefined;
  /** Flushes and stops the exporters (pending spans and metrics are sent). */
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  /** The process role: `service.name` is `scanq-{process}` unless OTEL_SERVICE_NAME says otherwise. */
  readonly process: 'api' | 'worker' | 'scheduler' | 'sweeper' | 'cli';
  /** Serve Prometheus text (`telemetry.prometheus`). */
  readonly prometheus: boolean;
}

/**
 * Telemetry that records nothing: the no-op tracer and meter of `@opentelemetry/api` (the only
 * OpenTelemetry module loaded eagerly). What a process without metrics and traces runs with.
 */
export function telemetryOff(): Telemetry {
  return {
    tracing: false,
    metering: false,
    tracer: trace.getTracer('scanq'),
    metrics: createMetrics(createNoopMeter(), 0),
    prometheus: undefined,
    shutdown: async () => {},
  };
}

/**
 * The telemetry of one process. When it exports nothing (no Prometheus endpoint, no OTLP
 * endpoint), returns {@link telemetryOff} without loading any SDK module; otherwise loads the SDK
 * (`./sdk.js`) with `import()` and starts it.
 */
export async function startTelemetry(
  config: TelemetryConfig,
  options: TelemetryOptions,
  log: Logger,
): Promise<Telemetry> {
  if (!options.prometheus && config.tracesUrl === undefined && config.metricsUrl === undefined)
    return telemetryOff();
  const { startSdk } = await import('./sdk.js');
  return startSdk(config, options, log);
}
