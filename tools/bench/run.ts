/** `scanq bench`: the whole run, from endpoint to report. */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config/index.js';
import { measureCeilings } from './ceiling.js';
import { openEndpoint } from './endpoint.js';
import { fairnessPhase } from './fairness.js';
import { headline } from './format.js';
import { withLatency } from './latency.js';
import { longPhase } from './long.js';
import { type BenchContext, baselinePhase, inLane, workerPhase } from './phases.js';
import type { Progress } from './progress.js';
import type { BenchOptions, BenchReport, Machine, WorkerPhase } from './types.js';

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
  latencyMs: 0,
  floods: [2_000],
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

/** The phase with the highest steady throughput. */
export function bestPhase(phases: readonly WorkerPhase[]): WorkerPhase | undefined {
  return phases.reduce<WorkerPhase | undefined>(
    (b, p) => (b && b.throughput.steady >= p.throughput.steady ? b : p),
    undefined,
  );
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
  const opened = await openEndpoint(configured, {
    profile: options.profile,
    say: (l) => progress.note(l),
  });
  const endpoint =
    options.latencyMs > 0
      ? await withLatency(opened, options.latencyMs).catch(async (error: unknown) => {
          await opened.close();
          throw error;
        })
      : opened;
  for (const note of endpoint.notes) progress.note(`note: ${note}`);
  const statsDir = mkdtempSync(join(tmpdir(), 'scanq-bench-'));
  try {
    progress.phase('endpoint ceiling: one cheap call per endpoint, 64 in flight');
    const base = { endpoint, progress, statsDir, options };
    const ceilings = await inLane({ ...base, ceilings: [] }, 'ceil', (lane) => measureCeilings(lane.stack));
    for (const c of ceilings)
      progress.note(`${c.services.join('+')}: ${c.requestsPerSecond.toFixed(0)} ${c.call}/s`);
    const ctx: BenchContext = { ...base, ceilings };
    const baseline = options.skipBaseline
      ? undefined
      : await baselinePhase(ctx, Math.max(200, Math.min(1_000, Math.round(options.jobs / 4))));
    const phases: WorkerPhase[] = [];
    for (const count of options.workers) phases.push(await workerPhase(ctx, count));
    const fairness = [];
    for (const flood of options.floods)
      fairness.push(await fairnessPhase(ctx, Math.min(2, Math.max(...options.workers)), flood));
    const long = options.long ? await longPhase(ctx) : undefined;
    const best = bestPhase(phases);
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
    };
    return { ...report, headline: headline(report) };
  } finally {
    await endpoint.close();
    rmSync(statsDir, { recursive: true, force: true });
  }
}
