import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/api/index.js';
import { jobKey } from '../../src/jobs/index.js';
import { putProfile } from '../../src/tenancy/index.js';
import { putAccountSecret } from '../../src/tenancy/secrets.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../helpers/otlp-receiver.js';
import { type PrometheusServer, skipWithout, startPrometheus } from '../helpers/prometheus.js';
import { serviceContext, stackEnv, tableOf } from '../helpers/stack-extras.js';
import {
  SEEDED_REGIONS,
  type SeededAccount,
  seedHardenedAccount,
  seedWeakAccount,
} from '../helpers/weak-account.js';
import { eventually, TEST_PLUGIN, WorkerProcess } from '../helpers/worker-process.js';

/*
 * Observability end to end, with real processes: `scanq api`, two `scanq worker`s and a `scanq
 * sweeper`, all exporting spans over OTLP/protobuf to a receiver this test runs and serving
 * /metrics, scraped by a real Prometheus (Debian's package). A known workload of two tenants goes
 * in through the API, one job per request: passes, permanent failures, a job retried after a
 * transient failure, and credentialed jobs (aws-posture on the demo's weak account through an
 * assumed role with an external id; test-creds with an IAM user's access keys).
 */

const JWT_SECRET = 'observability-jwt-secret-0123456789abcdef';
const EXTERNAL_ID = 'ext-obs-7c1d0e9f42a8b3c5';
const ALPHA = 'obs-alpha';
const BETA = 'obs-beta';

interface Planned {
  readonly tenant: string;
  readonly capability: string;
  readonly target: string;
  readonly input?: Record<string, unknown>;
  readonly status: 'passed' | 'failed';
  readonly retried?: boolean;
}

let stack: TestStack;
let receiver: OtlpReceiver;
let prometheus: PrometheusServer | undefined;
let weak: SeededAccount;
let hardened: SeededAccount & { scannerKeys: { accessKeyId: string; secretAccessKey: string } };
const processes: WorkerProcess[] = [];
const workerProcesses: WorkerProcess[] = [];
let plan: Planned[] = [];
/** The Prometheus text each process served at the end of the workload. */
const scraped: string[] = [];

function planWorkload(): Planned[] {
  const jobs: Planned[] = [];
  for (let i = 0; i < 4; i++)
    jobs.push({ tenant: ALPHA, capability: 'noop', target: `alpha-${i}.example`, status: 'passed' });
  for (let i = 0; i < 2; i++)
    jobs.push({ tenant: ALPHA, capability: 'test-fail', target: `alpha-f${i}.example`, status: 'failed' });
  jobs.push({
    tenant: ALPHA,
    capability: 'test-flaky',
    target: 'alpha-flaky.example',
    input: { succeedOn: 2 },
    status: 'passed',
    retried: true,
  });
  jobs.push({
    tenant: ALPHA,
    capability: 'aws-posture',
    target: weak.accountId,
    input: { accountId: 'weak', regions: [...SEEDED_REGIONS] },
    status: 'passed',
  });
  jobs.push({
    tenant: ALPHA,
    capability: 'test-creds',
    target: 'alpha-account',
    input: { accountId: 'hardened' },
    status: 'passed',
  });
  for (let i = 0; i < 3; i++)
    jobs.push({ tenant: BETA, capability: 'noop', target: `beta-${i}.example`, status: 'passed' });
  jobs.push({ tenant: BETA, capability: 'test-fail', target: 'beta-f0.example', status: 'failed' });
  return jobs;
}

/** The port a process's status server logged. */
async function statusPort(p: WorkerProcess): Promise<number> {
  const line = await p.waitFor(/status server listening/);
  return (JSON.parse(line) as { port: number }).port;
}

const keyOf = (job: Planned) => jobKey(job.target, job.capability);

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  stack = await createTestStack('obs');
  // The API stores nothing for a tenant without its profile (404 tenant.notFound).
  for (const tenant of [ALPHA, BETA])
    await putProfile(tableOf(stack, serviceContext(tenant)), { name: tenant });
  [weak, hardened] = await Promise.all([
    seedWeakAccount(stack.config, 'obsweak'),
    seedHardenedAccount(stack.config, 'obshard'),
  ]);
  const secrets = {
    secrets: stack.clients.secrets,
    prefix: stack.config.resources.secretsPrefix,
    kmsKeyId: stack.report.kmsKeyArn,
  };
  await putAccountSecret(secrets, serviceContext(ALPHA), 'weak', {
    kind: 'aws-role',
    roleArn: `arn:aws:iam::${weak.accountId}:role/scanq-audit`,
    externalId: EXTERNAL_ID,
  });
  await putAccountSecret(secrets, serviceContext(ALPHA), 'hardened', {
    kind: 'aws-keys',
    ...hardened.scannerKeys,
  });
  plan = planWorkload();

  const env = stackEnv(stack, {
    SCANQ_JWT_SECRET: JWT_SECRET,
    SCANQ_METRICS: 'true',
    SCANQ_STATUS_PORT: '0',
    SCANQ_SWEEP_INTERVAL: '1s',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_METRIC_EXPORT_INTERVAL: '1000',
  });
  const api = new WorkerProcess(env, ['--port', '0', '--plugin', TEST_PLUGIN], ['api']);
  const workers = [new WorkerProcess(env), new WorkerProcess(env)];
  const sweeper = new WorkerProcess(env, [], ['sweeper']);
  const scheduler = new WorkerProcess(env, ['--plugin', TEST_PLUGIN], ['scheduler']);
  workerProcesses.push(...workers);
  processes.push(api, ...workers, sweeper, scheduler);
  const apiLine = await api.waitFor(/scanq api listening on http:\/\/127\.0\.0\.1:\d+/);
  const apiBase = /(http:\/\/127\.0\.0\.1:\d+)/.exec(apiLine)?.[1] ?? '';
  const workerPorts = await Promise.all(workers.map(statusPort));
  const sweeperPort = await statusPort(sweeper);
  const schedulerPort = await statusPort(scheduler);
  await Promise.all(workers.map((w) => w.waitFor(/worker started/)));
  if (!skipWithout('prometheus'))
    prometheus = await startPrometheus({
      'scanq-api': [new URL(apiBase).host],
      'scanq-worker': workerPorts.map((port) => `127.0.0.1:${port}`),
      'scanq-sweeper': [`127.0.0.1:${sweeperPort}`],
      'scanq-scheduler': [`127.0.0.1:${schedulerPort}`],
    });

  // Act: every job through the API, one request each (each its own trace from enqueue on).
  const tokens = new Map<string, string>();
  for (const tenant of [ALPHA, BETA])
    tokens.set(
      tenant,
      await mintToken({ secret: JWT_SECRET, tenant, sub: 'svc', roles: ['service'], ttlMs: 600_000 }),
    );
  for (const job of plan) {
    const response = await fetch(`${apiBase}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.get(job.tenant)}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        capability: job.capability,
        target: job.target,
        ...(job.input ? { input: job.input } : {}),
      }),
    });
    expect(response.status, await response.clone().text()).toBe(202);
  }
  // Every job reaches its planned end.
  await eventually(
    async () => {
      for (const job of plan) {
        const item = await tableOf(stack, serviceContext(job.tenant)).get(keyOf(job), { consistent: true });
        const code = String(item?.status ?? '').slice(0, 2);
        if (code !== (job.status === 'passed' ? 'JP' : 'JF')) return undefined;
      }
      return true;
    },
    90_000,
    'every planned job at its end',
  );
  for (const port of [...workerPorts, sweeperPort])
    scraped.push(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  scraped.push(await (await fetch(`${apiBase}/metrics`)).text());
}, 240_000);

afterAll(async () => {
  for (const p of processes) if (p.child.exitCode === null) p.kill('SIGKILL');
  await Promise.all(processes.map((p) => p.exited));
  await prometheus?.close();
  await receiver?.close();
  await Promise.all([weak?.destroy(), hardened?.destroy()]);
  if (stack) await destroyTestStack(stack);
});

/** Stops every process with SIGTERM (which flushes their spans) once. */
let stopped: Promise<void> | undefined;
function stopAll(): Promise<void> {
  stopped ??= (async () => {
    for (const p of processes) p.kill('SIGTERM');
    const exits = await Promise.all(processes.map((p) => p.exited));
    for (const exit of exits) expect(exit.code).toBe(0);
  })();
  return stopped;
}

function expected(tenant: string, status: 'passed' | 'failed'): number {
  return plan.filter((j) => j.tenant === tenant && j.status === status).length;
}

describe.skipIf(skipWithout('prometheus'))('Prometheus scraping api, workers and sweeper', () => {
  /** Waits until Prometheus's value for `promql` equals `want` (it scrapes every second). */
  async function settlesTo(promql: string, want: number): Promise<number> {
    const server = prometheus;
    if (!server) throw new Error('prometheus is not running');
    let last = Number.NaN;
    await eventually(
      async () => {
        const samples = await server.query(promql);
        last = samples.reduce((sum, s) => sum + s.value, 0);
        return last === want ? true : undefined;
      },
      20_000,
      `${promql} = ${want} (last ${last})`,
    ).catch(() => {});
    return last;
  }

  it('every target is up', async () => {
    // Prometheus applies new targets a few seconds after it starts.
    const up = await eventually(
      async () => {
        const samples = (await prometheus?.query('up == 1')) ?? [];
        return samples.length === 5 ? samples : undefined;
      },
      20_000,
      'five targets up',
    );
    expect(up.map((s) => s.metric.job).sort()).toEqual([
      'scanq-api',
      'scanq-scheduler',
      'scanq-sweeper',
      'scanq-worker',
      'scanq-worker',
    ]);
    const targets = (await prometheus?.targets()) ?? [];
    expect(targets.every((t) => t.health === 'up' && t.lastError === '')).toBe(true);
  });

  it.each([
    [ALPHA, 'passed'],
    [ALPHA, 'failed'],
    [BETA, 'passed'],
    [BETA, 'failed'],
  ] as const)('finished jobs of %s with status %s equal the workload', async (tenant, status) => {
    // Prometheus's own answer, summed over both workers' series.
    const got = await settlesTo(
      `sum(scanq_jobs_finished_total{job="scanq-worker",tenant="${tenant}",status="${status}"})`,
      expected(tenant, status),
    );
    console.info(
      `[observability] prometheus: scanq_jobs_finished_total{tenant="${tenant}",status="${status}"} = ${got}`,
    );
    expect(got).toBe(expected(tenant, status));
  });

  it('jobs enqueued through the API per tenant, started, and the one retry', async () => {
    for (const tenant of [ALPHA, BETA]) {
      const accepted = plan.filter((j) => j.tenant === tenant).length;
      expect(
        await settlesTo(
          `sum(scanq_jobs_enqueued_total{job="scanq-api",tenant="${tenant}",result="accepted"})`,
          accepted,
        ),
      ).toBe(accepted);
    }
    const attempts = plan.length + plan.filter((j) => j.retried).length;
    expect(await settlesTo('sum(scanq_jobs_started_total{job="scanq-worker"})', attempts)).toBe(attempts);
    expect(
      await settlesTo(`sum(scanq_job_retries_total{tenant="${ALPHA}",capability="test-flaky"})`, 1),
    ).toBe(1);
    expect(await settlesTo('sum(scanq_credentials_cache_requests_total)', 2)).toBeGreaterThanOrEqual(2);
  });

  it('queue depth comes from the sweeper only, and the API counts its requests by route', async () => {
    const depth = await prometheus?.query('scanq_queue_messages');
    expect(depth?.length).toBeGreaterThan(0);
    expect(new Set(depth?.map((s) => s.metric.job))).toEqual(new Set(['scanq-sweeper']));
    expect(await settlesTo('sum(scanq_queue_messages{queue="dlq"})', 0)).toBe(0);
    expect(
      await settlesTo(
        'sum(scanq_http_requests_total{job="scanq-api",route="/v1/jobs",status="202"})',
        plan.length,
      ),
    ).toBe(plan.length);
  });
});

describe('One trace per job from enqueue to finish (OTLP)', () => {
  let spans: ReceivedSpan[];
  const byId = () => new Map(spans.map((s) => [s.spanId, s]));
  const childrenOf = (span: ReceivedSpan) => spans.filter((s) => s.parentSpanId === span.spanId);
  const descendantsOf = (span: ReceivedSpan): ReceivedSpan[] =>
    childrenOf(span).flatMap((child) => [child, ...descendantsOf(child)]);

  beforeAll(async () => {
    await stopAll();
    spans = receiver.spans;
  });

  it('each job: API request → enqueue → create span, then process spans of the workers in the same trace', () => {
    const ids = byId();
    const queueName = stack.report.queueUrl.slice(stack.report.queueUrl.lastIndexOf('/') + 1);
    for (const job of plan) {
      const key = keyOf(job);
      const creates = spans.filter(
        (s) => s.name === `create ${queueName}` && s.attributes['scanq.job.key'] === key,
      );
      expect(creates, key).toHaveLength(1);
      const create = creates[0] as ReceivedSpan;
      expect(create.kind).toBe(4); // PRODUCER
      expect(create.attributes).toMatchObject({
        'messaging.system': 'aws_sqs',
        'messaging.operation.type': 'create',
        'messaging.destination.name': queueName,
        'aws.sqs.queue.url': stack.report.queueUrl,
        'scanq.tenant': job.tenant,
      });
      expect(create.attributes['messaging.message.id']).toEqual(expect.any(String));
      const enqueue = ids.get(create.parentSpanId ?? '');
      expect(enqueue?.name).toBe('enqueue');
      const request = ids.get(enqueue?.parentSpanId ?? '');
      expect(request).toMatchObject({
        name: 'POST /v1/jobs',
        kind: 2,
        service: 'scanq-api',
        parentSpanId: undefined,
      });

      const processed = spans.filter((s) => s.kind === 5 && s.attributes['scanq.job.key'] === key);
      expect(processed.length, key).toBe(job.retried ? 2 : 1);
      for (const p of processed) {
        expect(p.name).toBe(`process ${queueName}`);
        expect(p.service).toBe('scanq-worker');
        expect(p.traceId).toBe(create.traceId);
        expect(p.parentSpanId).toBe(create.spanId);
        expect(p.links).toContainEqual({ traceId: create.traceId, spanId: create.spanId });
        expect(p.attributes).toMatchObject({
          'messaging.system': 'aws_sqs',
          'messaging.operation.type': 'process',
          'messaging.operation.name': 'process',
          'messaging.destination.name': queueName,
          'messaging.message.id': expect.any(String),
          'aws.sqs.queue.url': stack.report.queueUrl,
        });
      }
      const last = processed.find((p) => p.attributes['scanq.outcome'] === job.status);
      expect(last, `${key} ends ${job.status}`).toBeDefined();
      const steps = childrenOf(last as ReceivedSpan).map((s) => s.name);
      const run = `run ${job.capability}`;
      expect(steps).toEqual(expect.arrayContaining(['claim', run, 'result write', 'finish', 'notify']));
      if (job.input?.accountId)
        expect(descendantsOf(last as ReceivedSpan).map((s) => s.name)).toContain('credentials');
      if (job.status === 'failed') expect(last?.attributes['error.type']).toEqual(expect.any(String));
    }
  });

  it('the retried job: a first process span ended retried with error.type, the second passed, one trace', () => {
    const job = plan.find((j) => j.retried) as Planned;
    const tree = (span: ReceivedSpan, depth: number): string[] => [
      `${'  '.repeat(depth)}${span.name} [${span.service}]`,
      ...childrenOf(span).flatMap((child) => tree(child, depth + 1)),
    ];
    const root = spans.find(
      (s) =>
        s.parentSpanId === undefined &&
        s.traceId === spans.find((x) => x.attributes['scanq.job.key'] === keyOf(job))?.traceId,
    );
    if (root) console.info(`[observability] trace of ${keyOf(job)}:\n${tree(root, 1).join('\n')}`);
    const processed = spans
      .filter((s) => s.kind === 5 && s.attributes['scanq.job.key'] === keyOf(job))
      .sort((a, b) => Number(a.attributes['scanq.attempt']) - Number(b.attributes['scanq.attempt']));
    expect(processed.map((p) => p.attributes['scanq.outcome'])).toEqual(['retried', 'passed']);
    expect(processed[0]?.attributes['error.type']).toEqual(expect.any(String));
    expect(processed[0]?.statusCode).toBe(2);
    expect(new Set(processed.map((p) => p.traceId)).size).toBe(1);
  });

  it('AWS SDK calls are client spans under the steps, and no message carries two trace contexts', () => {
    const claim = spans.find((s) => s.name === 'claim');
    const sdk = descendantsOf(claim as ReceivedSpan);
    expect(sdk.length).toBeGreaterThan(0);
    expect(sdk.every((s) => s.kind === 3 && s.attributes['rpc.system'] === 'aws-api')).toBe(true);
    const sends = spans.filter((s) => s.kind === 4 && s.attributes['rpc.method'] === 'SendMessageBatch');
    expect(sends.length).toBeGreaterThan(0);
  });
});

/** The keys of a JSON object's top level, in order, duplicates kept (JSON.parse keeps only the last). */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      let k = j + 1;
      while (text[k] === ' ') k++;
      if (depth === 1 && text[k] === ':') keys.push(JSON.parse(text.slice(i, j + 1)) as string);
      i = j;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys;
}

describe('Logs: one field set', () => {
  it('finds a key written twice (the check can fail)', () => {
    expect(topLevelKeys('{"a":1,"b":{"a":2},"c":"x\\"y","a":3}')).toEqual(['a', 'b', 'c', 'a']);
  });

  it('no line of any process has a key twice; every error is {type, code?, message}', async () => {
    await stopAll();
    const lines = processes.flatMap((p) => p.lines).filter((line) => line.startsWith('{'));
    expect(lines.length).toBeGreaterThan(50);
    for (const line of lines) {
      const keys = topLevelKeys(line);
      expect(
        keys.filter((key, i) => keys.indexOf(key) !== i),
        line,
      ).toEqual([]);
    }
    const errors = processes
      .flatMap((p) => p.json())
      .flatMap((l) => (l.error === undefined ? [] : [l.error]));
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(
        Object.keys(error as object).every((k) => ['type', 'code', 'message'].includes(k)),
        JSON.stringify(error),
      ).toBe(true);
      expect(error).toMatchObject({ type: expect.any(String), message: expect.any(String) });
    }
  });

  it("a job's lines carry trace_id and span_id of its process span", async () => {
    await stopAll();
    const jobLines = workerProcesses
      .flatMap((p) => p.json())
      .filter((l) => typeof l.key === 'string' && typeof l.attempt === 'number');
    const failedOrRetried = jobLines.filter(
      (l) => l.msg === 'job failed' || l.msg === 'transient failure; retrying later',
    );
    // Two test-fail jobs of alpha, one of beta, and the retry of the flaky job.
    expect(failedOrRetried).toHaveLength(4);
    for (const line of jobLines) {
      const span = receiver.spans.find(
        (s) =>
          s.kind === 5 &&
          s.attributes['scanq.job.key'] === line.key &&
          Number(s.attributes['scanq.attempt']) === line.attempt,
      );
      expect(span, `${String(line.key)} attempt ${String(line.attempt)}`).toBeDefined();
      expect({ trace_id: line.trace_id, span_id: line.span_id }).toEqual({
        trace_id: span?.traceId,
        span_id: span?.spanId,
      });
    }
  });
});

describe('No secret value in spans, metrics or logs of a run with credentialed jobs', () => {
  it('searches every OTLP body, every /metrics text and every log line of every process', async () => {
    await stopAll();
    const secrets = [
      hardened.scannerKeys.secretAccessKey,
      EXTERNAL_ID,
      JWT_SECRET,
      stack.config.localCredentials?.secretAccessKey === 'test'
        ? undefined
        : stack.config.localCredentials?.secretAccessKey,
    ].filter((s): s is string => typeof s === 'string' && s.length >= 8);
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    // The credentialed jobs did run with those credentials.
    const creds = plan.find((j) => j.capability === 'test-creds') as Planned;
    const item = await tableOf(stack, serviceContext(ALPHA)).get(keyOf(creds), { consistent: true });
    expect(String(item?.status)).toMatch(/^JP#/);
    const haystacks = [
      ...receiver.bodies.map((b) => b.toString('latin1')),
      ...scraped,
      ...processes.flatMap((p) => p.lines),
    ];
    expect(receiver.bodies.length).toBeGreaterThan(0);
    expect(processes.flatMap((p) => p.lines).length).toBeGreaterThan(50);
    for (const secret of secrets) for (const text of haystacks) expect(text.includes(secret)).toBe(false);
    // Nor the keys' id in a span attribute (ids are not secrets, but no credential field belongs in a span).
    for (const span of receiver.spans)
      expect(
        JSON.stringify(span.attributes, (_, v) => (typeof v === 'bigint' ? String(v) : v)),
      ).not.toContain(hardened.scannerKeys.accessKeyId);
  });
});
