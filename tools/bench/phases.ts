/** The measured phases of `scanq bench`: worker counts and the naive baseline. */
import { mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { runBaseline } from './baseline.js';
import { type Ceiling, ceilingBound } from './ceiling.js';
import { itemSizeBytes } from './cost.js';
import type { Endpoint } from './endpoint.js';
import { type Lane, openLane } from './lane.js';
import { startWorkers } from './processes.js';
import type { Progress } from './progress.js';
import { dwellTimes, mergeCounts, per, summarize, type Timeline, throughput } from './stats.js';
import { processesCpuMs, treeCpuMs } from './system-cpu.js';
import type { BaselinePhase, BenchOptions, WorkerPhase } from './types.js';
import { scale, usageOf, warningsOf, workerTotals } from './usage.js';
import { enqueueMany, enqueuePaced, readItems, tenantNames, waitForJobs } from './workload.js';

/** What every phase shares. */
export interface BenchContext {
  readonly endpoint: Endpoint;
  readonly progress: Progress;
  readonly statsDir: string;
  readonly options: BenchOptions;
  readonly ceilings: readonly Ceiling[];
}

/** A phase waits this long at most for its jobs. */
export const PHASE_TIMEOUT_MS = 15 * 60_000;

/** A directory of its own for a phase's stats files. */
export function phaseDir(ctx: BenchContext, name: string): string {
  const dir = join(ctx.statsDir, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Runs `body` on a fresh lane, closed afterwards. */
export async function inLane<T>(
  ctx: BenchContext,
  label: string,
  body: (lane: Lane) => Promise<T>,
  extra: Readonly<Record<string, string>> = {},
): Promise<T> {
  const lane = await openLane(ctx.endpoint, label, extra);
  try {
    return await body(lane);
  } finally {
    await lane.close();
  }
}

function throughputOf(timelines: readonly Timeline[]) {
  return throughput(
    timelines.map((x) => x.claimedAt ?? x.queuedAt),
    timelines.map((x) => x.finishedAt ?? x.queuedAt),
  );
}

/** Size of a finished job item of `tenant` (its history holds the execution record). */
async function sampleSizes(lane: Lane, tenant: string) {
  const [job] = await readItems(lane.stack, tenant, '#job#');
  return { job: job ? itemSizeBytes(job) : 0 };
}

/** Prefilled throughput run, then a light trickle for dwell, with `count` worker processes. */
export function workerPhase(ctx: BenchContext, count: number): Promise<WorkerPhase> {
  const { options, progress } = ctx;
  const label = `w${count}`;
  return inLane(ctx, label, async (lane) => {
    const { stack } = lane;
    progress.phase(`${count} worker(s) × concurrency ${options.concurrency}: enqueue ${options.jobs}`);
    const jobs = await enqueueMany(lane.producer, {
      tenants: tenantNames(label, options.tenants),
      count: options.jobs,
      label,
      onProgress: (n) => progress.update(n, options.jobs, 'enqueued'),
    });
    const emulatorStart = treeCpuMs(ctx.endpoint.pids);
    const workers = await startWorkers({
      count,
      concurrency: options.concurrency,
      env: { ...stack.env, LOG_LEVEL: 'info' },
      statsDir: phaseDir(ctx, label),
      label,
    });
    const workersCpu = () => processesCpuMs(workers.map((w) => w.pid));
    const cpuStarted = workersCpu();
    try {
      progress.phase(`${count} worker(s): run`);
      const loaded = await waitForJobs(stack, jobs, {
        timeoutMs: PHASE_TIMEOUT_MS,
        onProgress: (n, total) => progress.update(n, total, 'done'),
      });
      const cpuLoaded = workersCpu();
      progress.phase(`${count} worker(s): light load, ${options.lightJobs} jobs at ${options.lightRate}/s`);
      const light = await enqueuePaced(lane.producer, {
        tenant: `${label}-light`,
        count: options.lightJobs,
        perSecond: options.lightRate,
        label: `${label}-light`,
      });
      const lightTimes = await waitForJobs(stack, light, { timeoutMs: PHASE_TIMEOUT_MS });
      const cpuLight = workersCpu();
      await Promise.all(workers.map((w) => w.stop()));
      const emulatorEnd = treeCpuMs(ctx.endpoint.pids);
      const totals = workerTotals(workers);
      const all = jobs.length + light.length;
      const t = throughputOf(loaded);
      const workerCallsPerJob = scale(mergeCounts(...totals.readings.map((r) => r.calls)), all);
      const bound = ceilingBound(ctx.ceilings, workerCallsPerJob);
      const usage = usageOf(
        [...totals.readings, lane.producerMeter.read()],
        all,
        totals.cpuMs,
        totals.peakRssKb,
      );
      const emulatorCpuMsPerJob =
        emulatorStart !== undefined && emulatorEnd !== undefined && ctx.endpoint.pids.length > 0
          ? per(emulatorEnd - emulatorStart, all)
          : undefined;
      const cpuBound =
        emulatorCpuMsPerJob === undefined
          ? undefined
          : (cpus().length * 1000) / (emulatorCpuMsPerJob + per(totals.cpuMs, totals.claimed));
      const phase: WorkerPhase = {
        workers: count,
        concurrency: options.concurrency,
        jobs: jobs.length,
        throughput: t,
        dwellLoaded: summarize(dwellTimes(loaded)),
        dwellLight: summarize(dwellTimes(lightTimes)),
        usage,
        workerCallsPerJob,
        deferralsPerJob: per(totals.deferred, all),
        warnings: warningsOf(workers),
        bound: { ...bound, share: per(t.steady, bound.jobsPerSecond) },
        ...(emulatorCpuMsPerJob !== undefined && cpuBound !== undefined
          ? { machine: { emulatorCpuMsPerJob, jobsPerSecond: cpuBound, share: per(t.steady, cpuBound) } }
          : {}),
        itemBytes: await sampleSizes(lane, `${label}-light`),
        ...(cpuStarted !== undefined && cpuLoaded !== undefined && cpuLight !== undefined
          ? {
              cpuSplit: {
                startupMs: cpuStarted,
                loadedMsPerJob: per(cpuLoaded - cpuStarted, jobs.length),
                lightMsPerJob: per(cpuLight - cpuLoaded, light.length),
              },
            }
          : {}),
      };
      const requests = Object.values(usage.callsPerJob).reduce((sum, n) => sum + n, 0);
      progress.note(
        `${t.steady.toFixed(0)} jobs/s; light dwell p50 ${phase.dwellLight.p50} ms p99 ${phase.dwellLight.p99} ms; ` +
          `${requests.toFixed(2)} requests/job, engine $${usage.cost.engineUsd.toFixed(2)} per million, ` +
          `${phase.deferralsPerJob.toFixed(2)} deferrals/job`,
      );
      return phase;
    } finally {
      await Promise.all(workers.map((w) => w.kill()));
    }
  });
}

/**
 * The baseline reads one queue: a lane budget no enqueue of the phase exhausts keeps every job in
 * the jobs queue (with the default budget most would wait in the bulk queue it never reads).
 */
const BASELINE_LANE_ENV = { SCANQ_LANE_RATE: '100000', SCANQ_LANE_BURST: '100000' } as const;

/** The naive baseline on its own share of jobs. */
export function baselinePhase(ctx: BenchContext, count: number): Promise<BaselinePhase> {
  const { progress } = ctx;
  return inLane(
    ctx,
    'base',
    async (lane) => {
      const { stack } = lane;
      progress.phase(`naive baseline (one sqs-consumer, batchSize 1): enqueue ${count}`);
      const jobs = await enqueueMany(lane.producer, {
        tenants: tenantNames('base', ctx.options.tenants),
        count,
        label: 'base',
      });
      progress.phase('naive baseline: run');
      let timelines: Timeline[] = [];
      const run = await runBaseline(stack, async () => {
        timelines = await waitForJobs(stack, jobs, {
          timeoutMs: PHASE_TIMEOUT_MS,
          onProgress: (n, total) => progress.update(n, total, 'done'),
        });
      });
      const t = throughputOf(timelines);
      progress.note(`${t.steady.toFixed(0)} jobs/s`);
      return {
        jobs: jobs.length,
        throughput: t,
        usage: usageOf([run.meter.read(), lane.producerMeter.read()], jobs.length, run.cpuMs, 0),
        errors: run.errors,
      };
    },
    BASELINE_LANE_ENV,
  );
}
