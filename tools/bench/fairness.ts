/** Fairness phase of `scanq bench`: a quiet tenant's dwell alone, then while another tenant floods. */
import { type BenchContext, inLane, PHASE_TIMEOUT_MS, phaseDir } from './phases.js';
import { startWorkers } from './processes.js';
import { dwellTimes, per, summarize } from './stats.js';
import type { FairnessPhase } from './types.js';
import { enqueueMany, enqueuePaced, waitForJobs } from './workload.js';

/** Jobs the quiet tenant sends, at 10 per second, alone and during the flood. */
const QUIET_JOBS = 40;

export function fairnessPhase(ctx: BenchContext, count: number): Promise<FairnessPhase> {
  const { options, progress } = ctx;
  return inLane(ctx, 'fair', async (lane) => {
    const { stack, producer } = lane;
    const workers = await startWorkers({
      count,
      concurrency: options.concurrency,
      env: { ...stack.env, LOG_LEVEL: 'info' },
      statsDir: phaseDir(ctx, 'fair'),
      label: 'fair',
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
      progress.phase(`fairness: ${options.jobs} jobs of one tenant, the quiet tenant trickling meanwhile`);
      const flood = await enqueueMany(producer, { tenants: ['noisy'], count: options.jobs, label: 'noisy' });
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
      const flooded = summarize(dwellTimes(quiet));
      progress.note(`quiet p99 alone ${unloaded.p99} ms, during the flood ${flooded.p99} ms`);
      return {
        workers: count,
        floodJobs: flood.length,
        quietJobs: QUIET_JOBS,
        unloaded,
        flooded,
        floodLeftWhenQuietDone: noisy.filter((x) => (x.finishedAt ?? 0) > quietDone).length,
        p99Ratio: per(flooded.p99, unloaded.p99),
      };
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  });
}
