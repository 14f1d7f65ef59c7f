/**
 * The OpenTelemetry SDK side of telemetry: loaded with `import()` only when a process has metrics
 * or traces to export (src/telemetry/telemetry.ts), so a worker with telemetry off never loads it.
 * The OTLP metrics exporter and the tracing side load only when configured.
 */
import { metrics, type TracerProvider, trace } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, type MetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { TelemetryConfig } from '../config/index.js';
import type { Logger } from '../lib/logger.js';
import { createMetrics } from './instruments.js';
import type { Telemetry, TelemetryOptions } from './telemetry.js';

const SCOPE = 'scanq';

/** Starts the SDK: meter provider and readers, and tracing when configured. */
export async function startSdk(
  config: TelemetryConfig,
  options: TelemetryOptions,
  log: Logger,
): Promise<Telemetry> {
  const resource = resourceFromAttributes({
    'service.name': config.serviceName ?? `scanq-${options.process}`,
    'service.namespace': 'scanq',
    'process.pid': process.pid,
    ...config.resourceAttributes,
  });
  const readers: MetricReader[] = [];
  let prometheus: PrometheusExporter | undefined;
  if (options.prometheus) {
    prometheus = new PrometheusExporter({ preventServerStart: true });
    readers.push(prometheus);
  }
  if (config.metricsUrl) {
    const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-proto');
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: config.metricsUrl }),
        exportIntervalMillis: config.metricsIntervalMs,
      }),
    );
  }
  const meterProvider = readers.length > 0 ? new MeterProvider({ resource, readers }) : undefined;
  let tracerProvider: (TracerProvider & { shutdown(): Promise<void> }) | undefined;
  const { tracesUrl } = config;
  if (tracesUrl) {
    const { startTracing } = await import('./sdk-traces.js');
    tracerProvider = startTracing({ ...config, tracesUrl }, resource, log);
  }
  // Scope and target_info labels would add a label to every series and a series of their own:
  // Prometheus's `job` and `instance` already say where a series comes from.
  const serializer = new PrometheusSerializer(undefined, false, undefined, true, true);
  const meter = (meterProvider ?? metrics).getMeter(SCOPE);
  log.info(
    {
      prometheus: options.prometheus,
      otlpMetrics: config.metricsUrl !== undefined,
      traces: config.tracesUrl !== undefined,
    },
    'telemetry started',
  );
  return {
    tracing: tracerProvider !== undefined,
    metering: meterProvider !== undefined,
    tracer: (tracerProvider ?? trace).getTracer(SCOPE),
    metrics: createMetrics(meter, config.tenantLabels),
    prometheus: prometheus
      ? async () => {
          const { resourceMetrics, errors } = await (prometheus as PrometheusExporter).collect();
          if (errors.length > 0) log.warn({ errors: errors.length }, 'metrics collection errors');
          return serializer.serialize(resourceMetrics);
        }
      : undefined,
    async shutdown() {
      await Promise.all([
        meterProvider?.shutdown().catch(() => {}),
        tracerProvider?.shutdown().catch(() => {}),
      ]);
    },
  };
}
