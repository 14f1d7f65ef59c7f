/**
 * The tracing side of the SDK: loaded with `import()` only when OTLP traces are configured, so a
 * process with only Prometheus metrics loads no trace SDK, OTLP exporter or instrumentation.
 */
import { createRequire } from 'node:module';
import {
  type Context,
  context,
  propagation,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { AwsInstrumentation } from '@opentelemetry/instrumentation-aws-sdk';
import type { Resource } from '@opentelemetry/resources';
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

/**
 * Starts tracing: the global context manager (AsyncLocalStorage) and propagator, a tracer
 * provider exporting OTLP/HTTP protobuf in batches, and the AWS SDK instrumentation.
 */
export function startTracing(
  config: TelemetryConfig & { tracesUrl: string },
  resource: Resource,
  log: Logger,
) {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new KeepExistingPropagator());
  const provider = new TracerProvider({
    resource,
    sampler: sampler(config),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: config.tracesUrl }) })],
  });
  trace.setGlobalTracerProvider(provider);
  instrumentAwsSdk(provider, log);
  return provider;
}
