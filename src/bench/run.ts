/** `scanq bench`: the whole run, from endpoint to report. */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createAwsClients } from '../aws/index.js';
import type { Config } from '../config/index.js';
import { createLogger } from '../lib/logger.js';
import { createProducer } from '../producer/index.js';
import { meterClients } from './call-stats.js';
import { measureCeilings } from './ceiling.js';
import { itemSizeBytes } from './cost.js';
import { destroyStack, openEndpoint, openStack, runPrefix } from './endpoint.js';
import { headline } from './format.js';
import { type BenchContext, baselinePhase, fairnessPhase, longPhase, workerPhase } from './phases.js';
import type { Progress } from './progress.js';
import type { BenchOptions, BenchReport, Machine, WorkerPhase } from './types.js';
import { readItems } from './workload.js';

/** Defaults of `scanq bench` (the CLI shows them in `--help`). */
export const BENCH_DEFAULTS: BenchOptions = {
  jobs: 2_000,
  tenants: 4,
  workers: [1, 2, 4],
  concurrency: 16,
  profile: 'load',
  skipBaseline: false,
  long: false,
  longJobs: 20_000,
  lightJobs: 100,
  lightRate: 20,
};

function machine(start: number): Machine {
  const cpu = cpus();
  return {
    cpus: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: { start, end: loadavg()[0] ?? 0 },
  };
}

/** Sizes of a finished job item and its execution item, from the first light-load tenant. */
async function sampleSizes(ctx: BenchContext, phase: WorkerPhase | undefined) {
  if (!phase) return { job: 0, execution: 0 };
  const tenant = `w${phase.workers}-light`;
  const [job] = await readItems(ctx.stack, tenant, '#job#');
  const [execution] = await readItems(ctx.stack, tenant, '#execution#');
  return { job: job ? itemSizeBytes(job) : 0, execution: execution ? itemSizeBytes(execution) : 0 };
}

/**
 * Runs every phase and returns the report. `configured` is the environment's config: its endpoint
 * is used when one is set, else the `profile` is started and stopped.
 */
export async function runBench(
  configured: Config,
  options: BenchOptions,
  progress: Progress,
): Promise<BenchReport> {
  const startedAt = new Date();
  const load = loadavg()[0] ?? 0;
  progress.phase(
    `endpoint: ${configured.local ? 'the configured one' : `starting the ${options.profile} profile`}`,
  );
  const endpoint = await openEndpoint(configured, { profile: options.profile, say: (l) => progress.note(l) });
  for (const note of endpoint.notes) progress.note(`note: ${note}`);
  const statsDir = mkdtempSync(join(tmpdir(), 'scanq-bench-'));
  const stack = await openStack(endpoint, runPrefix('bench'));
  const producerClients = createAwsClients(stack.config);
  const producerMeter = meterClients(producerClients);
  const producer = await createProducer(stack.config, {
    clients: producerClients,
    log: createLogger({ level: 'silent' }),
  });
  try {
    progress.phase('endpoint ceiling: one cheap call per endpoint, 64 in flight');
    const ceilings = await measureCeilings(stack);
    for (const c of ceilings)
      progress.note(`${c.services.join('+')}: ${c.requestsPerSecond.toFixed(0)} ${c.call}/s`);
    const ctx: BenchContext = { stack, producer, producerMeter, progress, statsDir, options, ceilings };
    const baseline = options.skipBaseline
      ? undefined
      : await baselinePhase(ctx, Math.max(200, Math.min(1_000, Math.round(options.jobs / 4))));
    const phases: WorkerPhase[] = [];
    for (const count of options.workers) phases.push(await workerPhase(ctx, count));
    const fairness = await fairnessPhase(ctx, Math.min(2, Math.max(...options.workers)));
    const long = options.long ? await longPhase(ctx) : undefined;
    const best = phases.reduce<WorkerPhase | undefined>(
      (b, p) => (b && b.throughput.steady >= p.throughput.steady ? b : p),
      undefined,
    );
    const itemBytes = await sampleSizes(ctx, phases[0]);
    const report: Omit<BenchReport, 'headline'> = {
      startedAt: startedAt.toISOString(),
      seconds: (Date.now() - startedAt.getTime()) / 1000,
      machine: machine(load),
      endpoint: { profile: endpoint.profile, notes: endpoint.notes },
      options,
      ceilings,
      baseline,
      phases,
      baselineRatio: baseline && best ? best.throughput.steady / baseline.throughput.steady : undefined,
      fairness,
      long,
      itemBytes,
    };
    return { ...report, headline: headline(report) };
  } finally {
    producer.close();
    producerClients.destroy();
    if (endpoint.profile === 'external') await destroyStack(stack).catch(() => {});
    stack.clients.destroy();
    await endpoint.close();
    rmSync(statsDir, { recursive: true, force: true });
  }
}
