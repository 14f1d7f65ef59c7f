/** Long run of `scanq bench --long`: ≥ 20,000 jobs through one worker, its RSS sampled on the way. */
import { setTimeout as sleep } from 'node:timers/promises';
import { type BenchContext, inLane, PHASE_TIMEOUT_MS, phaseDir } from './phases.js';
import { type ScanqProcess, startWorkers } from './processes.js';
import type { Progress } from './progress.js';
import { per, throughput } from './stats.js';
import type { LongPhase } from './types.js';
import { workerTotals } from './usage.js';
import { type Enqueued, enqueueMany, tenantNames, waitForJobs } from './workload.js';

/** RSS of `worker` at every 1,000 jobs it passed, up to `total`. */
async function sampleRss(worker: ScanqProcess, total: number, progress: Progress) {
  const samples: { jobs: number; rssKb: number }[] = [];
  let next = 1_000;
  const deadline = Date.now() + PHASE_TIMEOUT_MS * 2;
  while (next <= total && Date.now() < deadline && worker.running) {
    const passed = worker.stats()?.extra.jobs?.passed ?? 0;
    if (passed < next) {
      await sleep(200);
      continue;
    }
    const rssKb = (await worker.rssKb()) ?? 0;
    samples.push({ jobs: passed, rssKb });
    progress.update(passed, total, `RSS ${(rssKb / 1024).toFixed(0)} MB`);
    if (next >= total) break;
    next = Math.min(total, next + 1_000);
  }
  return samples;
}

export function longPhase(ctx: BenchContext): Promise<LongPhase> {
  const { options, progress } = ctx;
  const total = options.longJobs;
  return inLane(ctx, 'long', async (lane) => {
    const [worker] = await startWorkers({
      count: 1,
      concurrency: options.concurrency,
      env: { ...lane.stack.env, LOG_LEVEL: 'info' },
      statsDir: phaseDir(ctx, 'long'),
      label: 'long',
    });
    if (!worker) throw new Error('no worker started');
    try {
      progress.phase(`long run: ${total} jobs through one worker`);
      const enqueued: Enqueued[] = [];
      const feeding = enqueueMany(lane.producer, {
        tenants: tenantNames('long', options.tenants),
        count: total,
        label: 'long',
        parallel: 2,
      }).then((jobs) => enqueued.push(...jobs));
      const samples = await sampleRss(worker, total, progress);
      await feeding;
      const timelines = await waitForJobs(lane.stack, enqueued, { timeoutMs: PHASE_TIMEOUT_MS });
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
        peakRssKb: totals.peakRssKb,
        throughput: throughput(
          timelines.map((x) => x.claimedAt ?? x.queuedAt),
          timelines.map((x) => x.finishedAt ?? x.queuedAt),
        ),
      };
    } finally {
      await worker.kill();
    }
  });
}
