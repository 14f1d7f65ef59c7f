/**
 * The OpenTelemetry SDK side of telemetry: loaded with `import()` only when a process has metrics
 * or traces to export (src/telemetry/index.ts), so a worker with telemetry off never loads it.
 */
import { createRequire } from 'node:module';
import {
  type Context,
  context,
  metrics,
  propagation,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { AwsInstrumentation } from '@opentelemetry/instrumentation-aws-sdk';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, type MetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { TelemetryConfig } from '../config/index.js';
import type { Logger } from '../lib/logger.js';
import { createMetrics } from './instruments.js';
import type { Telemetry, TelemetryOptions } from './telemetry.js';

const SCOPE = 'scanq';

/**
 * The W3C propagator, but it never overwrites a `traceparent` the carrier already has. scanq puts
 * each job's own `traceparent` (its create span) on the message; the AWS SDK instrumentation
 * injects the active context into every SQS/SNS send, which would replace it with the batch's
 * send span. Keeping the first one means one injection per message, never two.
 */
class KeepExistingPropagator implements TextMapPropagator {
  readonly #inner = new W3CTraceContextPropagator();

  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    if (typeof carrier === 'object' && carrier !== null && 'traceparent' in carrier) return;
    this.#inner.inject(ctx, carrier, setter);
  }

  extract(ctx: Context, carrier: unknown, getter: Parameters<TextMapPropagator['extract']>[2]): Context {
    return this.#inner.extract(ctx, carrier, getter);
  }

  fields(): string[] {
    return this.#inner.fields();
  }
}

function sampler(config: TelemetryConfig): Sampler {
  const { name, ratio } = config.sampler;
  const root = name.endsWith('always_off')
    ? new AlwaysOffSampler()
    : name.endsWith('traceidratio')
      ? new TraceIdRatioBasedSampler(ratio)
      : new AlwaysOnSampler();
  return name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

/**
 * Patches the AWS SDK's shared client class so every call is a client span. The SDK is already
 * loaded when telemetry starts (the CLI imports it first), so the instrumentation's load-time hooks
 * would never fire: its module patches are applied to the loaded modules here instead.
 */
function instrumentAwsSdk(provider: TracerProvider, log: Logger): AwsInstrumentation {
  const instrumentation = new AwsInstrumentation({ enabled: false, suppressInternalInstrumentation: true });
  instrumentation.setTracerProvider(provider);
  const require = createRequire(import.meta.url);
  const version = (require('@smithy/core/package.json') as { version: string }).version;
  const client = require('@smithy/core/client') as unknown;
  let patched = false;
  for (const definition of instrumentation.getModuleDefinitions()) {
    if (definition.name !== '@smithy/core') continue;
    for (const file of definition.files) {
      if (!file.name.endsWith('submodules/client/index.js')) continue;
      file.patch(client, version);
      patched = true;
    }
  }
  if (!patched) log.warn({ version }, 'AWS SDK calls are not traced: no patch for this @smithy/core');
  return instrumentation;
}

/** Starts the SDK: the global context manager and propagator, tracer and meter providers, readers. */
export function startSdk(config: TelemetryConfig, options: TelemetryOptions, log: Logger): Telemetry {
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
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: config.metricsUrl }),
        exportIntervalMillis: config.metricsIntervalMs,
      }),
    );
  }
  const meterProvider = readers.length > 0 ? new MeterProvider({ resource, readers }) : undefined;
  let tracerProvider: TracerProvider | undefined;
  if (config.tracesUrl) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new KeepExistingPropagator());
    tracerProvider = new TracerProvider({
      resource,
      sampler: sampler(config),
      spanProcessors: [
        new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: config.tracesUrl }) }),
      ],
    });
    trace.setGlobalTracerProvider(tracerProvider);
    instrumentAwsSdk(tracerProvider, log);
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
