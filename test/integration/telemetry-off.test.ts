import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { createProducer, type Producer } from '../../src/producer/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { serviceContext, stackEnv, tableOf } from '../helpers/stack-extras.js';
import { eventually, WorkerProcess } from '../helpers/worker-process.js';

/*
 * Telemetry off costs nothing measurable: a worker with no SCANQ_METRICS and no OTEL endpoint loads
 * no OpenTelemetry SDK, exporter or instrumentation module, only the small `@opentelemetry/api`.
 * A module hook (test/helpers/module-trace.mjs) reports every @opentelemetry package a process
 * resolves; the same hook sees the SDK load when metrics are on (so the check can fail).
 */

const HOOK = fileURLToPath(new URL('../helpers/module-trace.mjs', import.meta.url));

describe('Command: scanq worker (telemetry off and on)', () => {
  let stack: TestStack;
  let producer: Producer;

  beforeAll(async () => {
    stack = await createTestStack('teloff');
    producer = await createProducer(stack.config, {
      clients: stack.clients,
      log: createLogger({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    producer.close();
    await destroyTestStack(stack);
  });

  async function runOneJob(
    extra: Record<string, string>,
    target: string,
  ): Promise<{ loaded: string[]; metrics: string | undefined }> {
    const worker = new WorkerProcess(stackEnv(stack, { NODE_OPTIONS: `--import=${HOOK}`, ...extra }));
    await worker.waitFor(/worker started/);
    const status = worker.json().find((line) => line.msg === 'status server listening');
    const ctx = serviceContext('teloff');
    await producer.enqueue(ctx, [{ capability: 'noop', target }]);
    await eventually(
      async () => {
        const item = await tableOf(stack, ctx).get(`#job#${target}#noop`, { consistent: true });
        return String(item?.status ?? '').startsWith('JP#') ? true : undefined;
      },
      // A job in the bulk lane waits up to an idle worker's capped jobs long poll (5 s).
      60_000,
      `${target} passed`,
    );
    const metrics = status
      ? await (await fetch(`http://127.0.0.1:${String(status.port)}/metrics`)).text()
      : undefined;
    worker.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
    const loaded = worker
      .json()
      .flatMap((line) => (typeof line.moduleLoaded === 'string' ? [line.moduleLoaded] : []))
      .sort();
    return { loaded, metrics };
  }

  it('off (the default): a job runs and only @opentelemetry/api is loaded', async () => {
    const { loaded, metrics } = await runOneJob({}, 'off.example');
    expect(loaded).toEqual(['@opentelemetry/api']);
    expect(metrics).toBeUndefined();
  });

  it('on (SCANQ_METRICS): the SDK and the Prometheus exporter load, and /metrics answers', async () => {
    const { loaded, metrics } = await runOneJob(
      { SCANQ_METRICS: 'true', SCANQ_STATUS_PORT: '0' },
      'on.example',
    );
    expect(metrics).toContain('# TYPE scanq_jobs_finished_total counter');
    expect(loaded).toEqual(
      expect.arrayContaining(['@opentelemetry/sdk-metrics', '@opentelemetry/exporter-prometheus']),
    );
    // No OTLP endpoint: no trace SDK, no OTLP exporter, no AWS SDK instrumentation.
    for (const name of [
      'sdk-trace',
      'exporter-trace-otlp-proto',
      'exporter-metrics-otlp-proto',
      'instrumentation-aws-sdk',
    ])
      expect(loaded).not.toContain(`@opentelemetry/${name}`);
  });
});
