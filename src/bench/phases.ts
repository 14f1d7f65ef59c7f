/** The phases of `scanq bench`: worker counts, the naive baseline, fairness, the long run. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from '../producer/index.js';
import { runBaseline } from './baseline.js';
import type { MeterReading } from './call-stats.js';
import { type Ceiling, ceilingBound } from './ceiling.js';
import { costPerMillionJobs } from './cost.js';
import type { Stack } from './endpoint.js';
import type { ScanqProcess } from './processes.js';
import { startWorkers } from './processes.js';
import type { Progress } from './progress.js';
import { dwellTimes, mergeCounts, per, summarize, throughput } from './stats.js';
import type { BaselinePhase, BenchOptions, FairnessPhase, LongPhase, Usage, WorkerPhase } from './types.js';
import { type Enqueued, enqueueMany, enqueuePaced, tenantNames, waitForJobs } from './workload.js';

/** What every phase shares. */
export interface BenchContext {
  readonly stack: Stack;
  /** The producer, on its own metered clients. */
  readonly producer: Producer;
  readonly producerMeter: { read(): MeterReading; reset(): void };
  readonly progress: Progress;
  readonly statsDir: string;
  readonly options: BenchOptions;
  readonly ceilings: readonly Ceiling[];
}

/** A phase waits this long at most for its jobs. */
const PHASE_TIMEOUT_MS = 15 * 60_000;

function scale(counts: Readonly<Record<string, number>>, jobs: number): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, per(v, jobs)]));
}

/** Per-job usage of some processes' combined counts. */
export function usageOf(
  readings: readonly Pick<MeterReading, 'calls' | 'capacity'>[],
  jobs: number,
  cpuMs: number,
  peakRssKb: number,
): Usage {
  const calls = mergeCounts(...readings.map((r) => r.calls));
  const capacity = mergeCounts(...readings.map((r) => r.capacity));
  const callsPerJob = scale(calls, jobs);
  const capacityPerJob = scale(capacity, jobs);
  const measured = Object.keys(capacity).length > 0;
  return {
    callsPerJob,
    capacityPerJob,
    cost: costPerMillionJobs({ callsPerJob, capacityPerJob: measured ? capacityPerJob : undefined }),
    cpuMsPerJob: per(cpuMs, jobs),
    peakRssKb,
  };
}

/** The workers' last snapshots, added up. */
export function workerTotals(workers: readonly ScanqProcess[]) {
  const snapshots = workers.flatMap((w) => {
    const s = w.stats();
    return s ? [s] : [];
  });
  const job = (name: string) => snapshots.reduce((s, x) => s + (x.extra.jobs?.[name] ?? 0), 0);
  return {
    readings: snapshots,
    cpuMs: snapshots.reduce((s, x) => s + x.cpuMs.user + x.cpuMs.system, 0),
    peakRssKb: Math.max(0, ...snapshots.map((x) => x.maxRssKb)),
    claimed: job('claimed'),
    deferred: job('deferred'),
  };
}

/** Warning and error lines of some processes (pino JSON), with the first one's message. */
export function warningsOf(processes: readonly ScanqProcess[]): { count: number; first?: string } {
  const lines = processes.flatMap((p) => p.problems);
  const [first] = lines;
  if (!first) return { count: 0 };
  try {
    const parsed = JSON.parse(first) as { msg?: unknown; error?: { message?: unknown } };
    return { count: lines.length, first: `${String(parsed.msg)}: ${String(parsed.error?.message ?? '')}` };
  } catch {
    return { count: lines.length, first: first.slice(0, 200) };
  }
}

function phaseDir(ctx: BenchContext, name: string): string {
  const dir = join(ctx.statsDir, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Prefilled throughput run, then a light trickle for dwell, with `count` worker processes. */
export async function workerPhase(ctx: BenchContext, count: number): Promise<WorkerPhase> {
  const { options, progress, stack } = ctx;
  const label = `w${count}`;
  progress.phase(`${count} worker(s) × concurrency ${options.concurrency}: enqueue ${options.jobs}`);
  ctx.producerMeter.reset();
  const jobs = await enqueueMany(ctx.producer, {
    tenants: tenantNames(label, options.tenants),
    count: options.jobs,
    label,
    onProgress: (n) => progress.update(n, options.jobs, 'enqueued'),
  });
  const env = { ...stack.env, LOG_LEVEL: 'info' };
  const workers = await startWorkers({
    count,
    concurrency: options.concurrency,
    env,
    statsDir: phaseDir(ctx, label),
    label,
  });
  try {
    progress.phase(`${count} worker(s): run`);
    const loaded = await waitForJobs(stack, jobs, {
      timeoutMs: PHASE_TIMEOUT_MS,
      onProgress: (n, total) => progress.update(n, total, 'done'),
    });
    progress.phase(`${count} worker(s): light load, ${options.lightJobs} jobs at ${options.lightRate}/s`);
    const light = await enqueuePaced(ctx.producer, {
      tenant: `${label}-light`,
      count: options.lightJobs,
      perSecond: options.lightRate,
      label: `${label}-light`,
    });
    const lightTimes = await waitForJobs(stack, light, { timeoutMs: PHASE_TIMEOUT_MS });
    await Promise.all(workers.map((w) => w.stop()));
    const totals = workerTotals(workers);
    const all = jobs.length + light.length;
    const producer = ctx.producerMeter.read();
    const t = throughput(
      loaded.map((x) => x.claimedAt ?? x.queuedAt),
      loaded.map((x) => x.finishedAt ?? x.queuedAt),
    );
    const workerCallsPerJob = scale(mergeCounts(...totals.readings.map((r) => r.calls)), all);
    const bound = ceilingBound(ctx.ceilings, workerCallsPerJob);
    const phase: WorkerPhase = {
      workers: count,
      concurrency: options.concurrency,
      jobs: jobs.length,
      throughput: t,
      dwellLoaded: summarize(dwellTimes(loaded)),
      dwellLight: summarize(dwellTimes(lightTimes)),
      usage: usageOf([...totals.readings, producer], all, totals.cpuMs, totals.peakRssKb),
      workerCallsPerJob,
      deferralsPerJob: per(totals.deferred, all),
      warnings: warningsOf(workers),
      bound: { ...bound, share: per(t.steady, bound.jobsPerSecond) },
    };
    progress.note(
      `${t.steady.toFixed(0)} jobs/s; light dwell p50 ${phase.dwellLight.p50} ms p99 ${phase.dwellLight.p99} ms`,
    );
    return phase;
  } finally {
    await Promise.all(workers.map((w) => w.kill()));
  }
}

/** The naive baseline on its own share of jobs. */
export async function baselinePhase(ctx: BenchContext, count: number): Promise<BaselinePhase> {
  const { progress, stack } = ctx;
  progress.phase(`naive baseline (one sqs-consumer, batchSize 1): enqueue ${count}`);
  ctx.producerMeter.reset();
  const jobs = await enqueueMany(ctx.producer, {
    tenants: tenantNames('base', ctx.options.tenants),
    count,
    label: 'base',
  });
  const producer = ctx.producerMeter.read();
  progress.phase('naive baseline: run');
  let timelines: Awaited<ReturnType<typeof waitForJobs>> = [];
  const run = await runBaseline(stack, async () => {
    timelines = await waitForJobs(stack, jobs, {
      timeoutMs: PHASE_TIMEOUT_MS,
      onProgress: (n, total) => progress.update(n, total, 'done'),
    });
  });
  const t = throughput(
    timelines.map((x) => x.claimedAt ?? x.queuedAt),
    timelines.map((x) => x.finishedAt ?? x.queuedAt),
  );
  progress.note(`${t.steady.toFixed(0)} jobs/s`);
  return {
    jobs: jobs.length,
    throughput: t,
    usage: usageOf([run.meter.read(), producer], jobs.length, run.cpuMs, process.resourceUsage().maxRSS),
    errors: run.errors,
  };
}

/** A quiet tenant's dwell alone, then while another tenant's flood is worked off. */
export async function fairnessPhase(ctx: BenchContext, count: number): Promise<FairnessPhase> {
  const { options, progress, stack } = ctx;
  const quietJobs = 40;
  const workers = await startWorkers({
    count,
    concurrency: options.concurrency,
    env: { ...stack.env, LOG_LEVEL: 'info' },
    statsDir: phaseDir(ctx, 'fair'),
    label: 'fair',
  });
  try {
    progress.phase(`fairness: quiet tenant alone (${quietJobs} jobs at 10/s)`);
    const alone = await enqueuePaced(ctx.producer, {
      tenant: 'quiet',
      count: quietJobs,
      perSecond: 10,
      label: 'quiet-a',
    });
    const unloaded = summarize(dwellTimes(await waitForJobs(stack, alone, { timeoutMs: PHASE_TIMEOUT_MS })));
    progress.phase(`fairness: ${options.jobs} jobs of one tenant, quiet tenant trickling meanwhile`);
    const flood = await enqueueMany(ctx.producer, {
      tenants: ['noisy'],
      count: options.jobs,
      label: 'noisy',
    });
    const during = await enqueuePaced(ctx.producer, {
      tenant: 'quiet',
      count: quietJobs,
      perSecond: 10,
      label: 'quiet-f',
    });
    const quiet = await waitForJobs(stack, during, { timeoutMs: PHASE_TIMEOUT_MS });
    const quietDone = Math.max(...quiet.map((x) => x.finishedAt ?? 0));
    const noisy = await waitForJobs(stack, flood, {
      timeoutMs: PHASE_TIMEOUT_MS,
      onProgress: (n, total) => progress.update(n, total, 'flood done'),
    });
    const flooded = summarize(dwellTimes(quiet));
    progress.note(`quiet p99 alone ${unloaded.p99} ms, during the flood ${flooded.p99} ms`);
    return {
      workers: count,
      floodJobs: flood.length,
      quietJobs,
      unloaded,
      flooded,
      floodLeftWhenQuietDone: noisy.filter((x) => (x.finishedAt ?? 0) > quietDone).length,
      p99Ratio: per(flooded.p99, unloaded.p99),
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

/** RSS samples of one worker: at every 1,000 jobs and at the last. */
async function sampleRss(worker: ScanqProcess, total: number, progress: Progress) {
  const samples: { jobs: number; rssKb: number }[] = [];
  let next = 1_000;
  const deadline = Date.now() + PHASE_TIMEOUT_MS * 2;
  while (next <= total && Date.now() < deadline) {
    const passed = worker.stats()?.extra.jobs?.passed ?? 0;
    if (passed >= next) {
      const rssKb = (await worker.rssKb()) ?? 0;
      samples.push({ jobs: passed, rssKb });
      progress.update(passed, total, `RSS ${(rssKb / 1024).toFixed(0)} MB`);
      next = next === total ? total + 1 : Math.min(total, next + 1_000);
    } else await sleep(200);
  }
  return samples;
}

/** ≥ 20,000 jobs through one worker; its RSS sampled along the way. */
export async function longPhase(ctx: BenchContext): Promise<LongPhase> {
  const { options, progress, stack } = ctx;
  const total = options.longJobs;
  const [worker] = await startWorkers({
    count: 1,
    concurrency: options.concurrency,
    env: { ...stack.env, LOG_LEVEL: 'info' },
    statsDir: phaseDir(ctx, 'long'),
    label: 'long',
  });
  if (!worker) throw new Error('no worker started');
  try {
    progress.phase(`long run: ${total} jobs through one worker`);
    const enqueued: Enqueued[] = [];
    const feeding = enqueueMany(ctx.producer, {
      tenants: tenantNames('long', options.tenants),
      count: total,
      label: 'long',
      parallel: 2,
    }).then((jobs) => enqueued.push(...jobs));
    const samples = await sampleRss(worker, total, progress);
    await feeding;
    const timelines = await waitForJobs(stack, enqueued, { timeoutMs: PHASE_TIMEOUT_MS });
    await worker.stop();
    const totals = workerTotals([worker]);
    const at5k = samples.find((s) => s.jobs >= 5_000)?.rssKb ?? 0;
    const last = samples.at(-1)?.rssKb ?? 0;
    return {
      jobs: total,
      concurrency: options.concurrency,
      rssKb: samples,
      growthPercent: at5k > 0 ? ((last - at5k) / at5k) * 100 : 0,
      cpuMsPerJob: per(totals.cpuMs, totals.claimed),
      throughput: throughput(
        timelines.map((x) => x.claimedAt ?? x.queuedAt),
        timelines.map((x) => x.finishedAt ?? x.queuedAt),
      ),
    };
  } finally {
    await worker.kill();
  }
}
