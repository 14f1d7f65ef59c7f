/**
 * Fairness phase of `scanq bench`: a quiet tenant's dwell alone, then while another tenant floods;
 * and the flood tenant's throughput against the same flood of a tenant alone (work conservation).
 */

import type { Stack } from './endpoint.js';
import { type BenchContext, inLane, PHASE_TIMEOUT_MS, phaseDir } from './phases.js';
import { startWorkers } from './processes.js';
import { dwellTimes, per, summarize, type Timeline, throughput } from './stats.js';
import type { DwellSplit, FairnessPhase } from './types.js';
import { workerTotals } from './usage.js';
import { type Enqueued, enqueueMany, enqueuePaced, readTimelinesByJob, waitForJobs } from './workload.js';

/** Jobs the quiet tenant sends, at 10 per second, alone and during the flood. */
const QUIET_JOBS = 40;

/**
 * The phase's lane budget: the quiet tenant's 10 jobs per second fit it exactly, and the flood's
 * jobs-lane share (10/s after its burst) stays under what a shared 2-core machine runs, so the
 * phase measures the lanes rather than a jobs lane the default budget (20/s) already saturates.
 */
const LANE_ENV = { SCANQ_LANE_RATE: '10', SCANQ_LANE_BURST: '40' } as const;

/** Steady jobs/s of a set of jobs, from the first claim to the last finish. */
function steadyOf(timelines: readonly Timeline[]): number {
  return throughput(
    timelines.map((x) => x.claimedAt ?? x.queuedAt),
    timelines.map((x) => x.finishedAt ?? x.queuedAt),
  ).steady;
}

/**
 * Where the paced jobs' dwell went: the enqueue call (the insert, the lane bucket and the send —
 * endpoint latency, before the message is on any queue) and the rest, from the queue to the claim
 * (queueing behind other work, the receive, the admission). Lanes can shorten only the second.
 */
async function dwellSplit(stack: Stack, jobs: readonly Enqueued[]): Promise<DwellSplit> {
  const timelines = await readTimelinesByJob(stack, jobs);
  const enqueue: number[] = [];
  const queueToClaim: number[] = [];
  for (const job of jobs) {
    const t = timelines.get(`${job.tenant} ${job.key}`);
    if (t?.claimedAt === undefined || job.sentAt === undefined) continue;
    enqueue.push(Math.max(0, job.sentAt - t.queuedAt));
    queueToClaim.push(Math.max(0, t.claimedAt - job.sentAt));
  }
  return { enqueue: summarize(enqueue), queueToClaim: summarize(queueToClaim) };
}

export function fairnessPhase(ctx: BenchContext, count: number, floodJobs: number): Promise<FairnessPhase> {
  const { options, progress } = ctx;
  const label = `fair${floodJobs}`;
  return inLane(
    ctx,
    label,
    async (lane) => {
      const { stack, producer } = lane;
      const workers = await startWorkers({
        count,
        concurrency: options.concurrency,
        env: { ...stack.env, LOG_LEVEL: 'info' },
        statsDir: phaseDir(ctx, label),
        label,
      });
      try {
        progress.phase(`fairness: quiet tenant alone (${QUIET_JOBS} jobs at 10/s)`);
        const alone = await enqueuePaced(producer, {
          tenant: 'quiet',
          count: QUIET_JOBS,
          perSecond: 10,
          label: 'quiet-a',
        });
        const unloaded = summarize(
          dwellTimes(await waitForJobs(stack, alone, { timeoutMs: PHASE_TIMEOUT_MS })),
        );
        progress.phase(`fairness: ${floodJobs} jobs of one tenant alone (the unflooded run)`);
        const soloJobs = await enqueueMany(producer, { tenants: ['solo'], count: floodJobs, label: 'solo' });
        const solo = await waitForJobs(stack, soloJobs, {
          timeoutMs: PHASE_TIMEOUT_MS,
          onProgress: (n, total) => progress.update(n, total, 'solo done'),
        });
        progress.phase(`fairness: ${floodJobs} jobs of one tenant, the quiet tenant trickling meanwhile`);
        const flood = await enqueueMany(producer, { tenants: ['noisy'], count: floodJobs, label: 'noisy' });
        const during = await enqueuePaced(producer, {
          tenant: 'quiet',
          count: QUIET_JOBS,
          perSecond: 10,
          label: 'quiet-f',
        });
        const quiet = await waitForJobs(stack, during, { timeoutMs: PHASE_TIMEOUT_MS });
        const quietDone = Math.max(...quiet.map((x) => x.finishedAt ?? 0));
        const noisy = await waitForJobs(stack, flood, {
          timeoutMs: PHASE_TIMEOUT_MS,
          onProgress: (n, total) => progress.update(n, total, 'flood done'),
        });
        await Promise.all(workers.map((w) => w.stop()));
        const flooded = summarize(dwellTimes(quiet));
        const split = { unloaded: await dwellSplit(stack, alone), flooded: await dwellSplit(stack, during) };
        const floodThroughput = steadyOf(noisy);
        const unfloodedThroughput = steadyOf(solo);
        const totals = workerTotals(workers);
        progress.note(
          `quiet p99 alone ${unloaded.p99} ms, during the flood ${flooded.p99} ms; ` +
            `flood ${floodThroughput.toFixed(0)} jobs/s vs ${unfloodedThroughput.toFixed(0)} alone`,
        );
        return {
          workers: count,
          floodJobs: flood.length,
          laneBudget: {
            ratePerSecond: Number(LANE_ENV.SCANQ_LANE_RATE),
            burst: Number(LANE_ENV.SCANQ_LANE_BURST),
          },
          quietJobs: QUIET_JOBS,
          unloaded,
          flooded,
          split,
          floodLeftWhenQuietDone: noisy.filter((x) => (x.finishedAt ?? 0) > quietDone).length,
          p99Ratio: per(flooded.p99, unloaded.p99),
          floodThroughput,
          unfloodedThroughput,
          throughputRatio: per(floodThroughput, unfloodedThroughput),
          deferralsPerJob: per(totals.deferred, 2 * QUIET_JOBS + soloJobs.length + flood.length),
        };
      } finally {
        await Promise.all(workers.map((w) => w.kill()));
      }
    },
    LANE_ENV,
  );
}
