/**
 * `scanq chaos`: N jobs through W real workers while one worker is SIGKILLed and replaced every
 * few seconds, a share of every process's AWS calls fails with throttling or 5xx (some after they
 * took effect), and the sweeper runs; then every job is audited (chaos-check.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAwsClients } from '../../src/aws/index.js';
import type { Config } from '../../src/config/index.js';
import { builtinCapabilities } from '../../src/jobs/index.js';
import { createLogger } from '../../src/lib/index.js';
import { QUEUE_DEFAULTS } from '../../src/local-aws/manifest.js';
import { createProducer, type Producer } from '../../src/producer/index.js';
import { ownContext } from '../../src/tenancy/index.js';
import { destroyStack, openEndpoint, openStack, runPrefix, type Stack } from '../bench/endpoint.js';
import { ScanqProcess } from '../bench/processes.js';
import type { Progress } from '../bench/progress.js';
import { mergeCounts } from '../bench/stats.js';
import { type Enqueued, laneDepths, queueDepth, targetOf, tenantNames } from '../bench/workload.js';
import { createMeter } from '../instrument/call-stats.js';
import { faultMiddleware } from '../instrument/faults.js';
import { CHAOS_FINDING, CHAOS_PLUGIN, chaosFinding } from './chaos-capability.js';
import { type AuditReport, auditChaos } from './chaos-check.js';
import { collectAudit, countTerminal } from './chaos-collect.js';
import { watchEvents } from './chaos-events.js';

/** Options of `scanq chaos`. */
export interface ChaosOptions {
  /** Default 5,000. */
  readonly jobs: number;
  /** Worker processes at any time. Default 3. */
  readonly workers: number;
  /** Default 8 (the engine's default). */
  readonly concurrency: number;
  readonly tenants: number;
  /** One worker is SIGKILLed and replaced this often. Default 5 s. */
  readonly killEveryMs: number;
  /** Share of AWS calls failed (workers, sweeper, producer). Default 0.05. */
  readonly faultRate: number;
  /** Share of those failed after they took effect. Default 0.2. */
  readonly faultAmbiguous: number;
  /** SDK attempts per call (lower lets more faults reach the engine). Default 2. */
  readonly awsMaxAttempts: number;
  readonly profile: 'load' | 'default';
  /** Give up waiting for the jobs after this long (the rest count as stuck). Default 15 min. */
  readonly timeoutMs: number;
}

export const CHAOS_DEFAULTS: ChaosOptions = {
  jobs: 5_000,
  workers: 3,
  concurrency: 8,
  tenants: 4,
  killEveryMs: 5_000,
  faultRate: 0.05,
  faultAmbiguous: 0.2,
  awsMaxAttempts: 2,
  profile: 'load',
  timeoutMs: 15 * 60_000,
};

export interface ChaosReport {
  readonly startedAt: string;
  readonly seconds: number;
  readonly options: ChaosOptions;
  readonly kills: number;
  /** Injected faults by `Service.Operation`, all processes (killed ones up to their last second). */
  readonly faults: Readonly<Record<string, number>>;
  readonly faultsTotal: number;
  /** AWS requests made by all processes. */
  readonly calls: number;
  readonly sweeper: { readonly resent: number; readonly expired: number; readonly sendFailures: number };
  /** Most messages seen on each lane's queue while feeding (both must carry work). */
  readonly lanePeaks: { readonly jobs: number; readonly bulk: number };
  /** Enqueue calls that failed outright (faults) and were repeated. */
  readonly enqueueRetries: number;
  readonly audit: AuditReport;
  /** Why the topic's events could not be watched (then the event counts are unknown). */
  readonly eventsUnavailable?: string;
  /** Warning and error log lines of the processes (kept, not judged). */
  readonly workerProblems: number;
  readonly ok: boolean;
  readonly headline: string;
}

/** Keeps the backlog short: the sweeper would otherwise re-send jobs that merely wait in line. */
const MAX_BACKLOG = 200;

async function enqueueWithRetry(
  producer: Producer,
  tenant: string,
  targets: readonly string[],
  retries: { n: number },
): Promise<Enqueued[]> {
  const ctx = ownContext({ tenant, user: `chaos@${tenant}`, roles: ['service'] });
  for (let attempt = 1; ; attempt++) {
    try {
      const results = await producer.enqueue(
        ctx,
        targets.map((target) => ({ capability: CHAOS_FINDING, target })),
      );
      // Accepted, or rejected because an earlier try's insert took effect: either way the job exists.
      return results.map((r) => ({ tenant, key: r.key }));
    } catch (error) {
      // A fault that outlasted the SDK's retries: the same call again (inserts are idempotent).
      retries.n++;
      if (attempt >= 20) throw error;
      await sleep(250);
    }
  }
}

/** Feeds all jobs in batches of 50, round-robin over tenants, never more than MAX_BACKLOG queued. */
async function feed(stack: Stack, producer: Producer, options: ChaosOptions, progress: Progress) {
  const tenants = tenantNames('chaos', options.tenants);
  const expected: Enqueued[] = [];
  const retries = { n: 0 };
  const peaks = { jobs: 0, bulk: 0 };
  const backlog = async () => {
    const lanes = await laneDepths(stack).catch(() => ({ jobs: 0, bulk: 0 }));
    peaks.jobs = Math.max(peaks.jobs, lanes.jobs);
    peaks.bulk = Math.max(peaks.bulk, lanes.bulk);
    return lanes.jobs + lanes.bulk;
  };
  for (let i = 0; i < options.jobs; i += 50) {
    while ((await backlog()) > MAX_BACKLOG) await sleep(200);
    const tenant = tenants[(i / 50) % tenants.length] ?? 'chaos';
    const targets = Array.from({ length: Math.min(50, options.jobs - i) }, (_, n) =>
      targetOf('chaos', i + n),
    );
    expected.push(...(await enqueueWithRetry(producer, tenant, targets, retries)));
    progress.update(expected.length, options.jobs, 'enqueued');
  }
  return { expected, retries: retries.n, peaks };
}

/** Keeps `count` workers running, SIGKILLing one and starting a replacement every `killEveryMs`. */
function chaosMonkey(stack: Stack, options: ChaosOptions, statsDir: string) {
  const all: ScanqProcess[] = [];
  let serial = 0;
  const spawnWorker = () => {
    const w = new ScanqProcess({
      name: `worker-${++serial}`,
      args: ['worker', '--concurrency', String(options.concurrency), '--plugin', CHAOS_PLUGIN],
      env: { ...stack.env, LOG_LEVEL: 'warn' },
      statsDir,
    });
    all.push(w);
    return w;
  };
  let live = Array.from({ length: options.workers }, spawnWorker);
  let kills = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await sleep(options.killEveryMs);
      if (stopped) break;
      const victim = live[Math.floor(Math.random() * live.length)];
      if (!victim) continue;
      await victim.kill();
      kills++;
      live = [...live.filter((w) => w !== victim), spawnWorker()];
    }
  })();
  return {
    all,
    kills: () => kills,
    /** Stops killing; running workers go on. */
    async calm() {
      stopped = true;
      await loop;
    },
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(live.map((w) => w.stop()));
      await Promise.all(all.map((w) => w.kill()));
    },
  };
}

/** Waits until every job is terminal (or the timeout), then until the queue is empty. */
async function settle(
  stack: Stack,
  expected: readonly Enqueued[],
  options: ChaosOptions,
  progress: Progress,
) {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const done = await countTerminal(stack, expected);
    progress.update(done, expected.length, 'terminal');
    if (done >= expected.length || Date.now() > deadline) break;
    await sleep(3_000);
  }
  // A killed worker's messages come back only after their visibility: the job may be finished, but
  // what follows its finish (findings, event) is done by the worker that receives them then.
  const drainBy = Date.now() + (QUEUE_DEFAULTS.visibilityTimeoutSeconds + 30) * 1000;
  while ((await queueDepth(stack)) > 0 && Date.now() < drainBy) await sleep(1_000);
}

function sweeperTally(line: string, tally: { resent: number; expired: number; sendFailures: number }) {
  if (!line.includes('"sweep done"')) return;
  try {
    const parsed = JSON.parse(line) as Partial<typeof tally>;
    tally.resent += parsed.resent ?? 0;
    tally.expired += parsed.expired ?? 0;
    tally.sendFailures += parsed.sendFailures ?? 0;
  } catch {
    // Not JSON: not a report line.
  }
}

/** Runs the chaos scenario and audits every job. */
export async function runChaos(
  configured: Config,
  options: ChaosOptions,
  progress: Progress,
): Promise<ChaosReport> {
  const started = Date.now();
  progress.phase(
    `endpoint: ${configured.local ? 'the configured one' : `starting the ${options.profile} profile`}`,
  );
  const endpoint = await openEndpoint(configured, { profile: options.profile, say: (l) => progress.note(l) });
  const statsDir = mkdtempSync(join(tmpdir(), 'scanq-chaos-'));
  const faultEnv = {
    SCANQ_FAULT_RATE: String(options.faultRate),
    SCANQ_FAULT_AMBIGUOUS: String(options.faultAmbiguous),
    SCANQ_AWS_MAX_ATTEMPTS: String(options.awsMaxAttempts),
    SCANQ_SWEEP_INTERVAL: '2s',
    SCANQ_LOST_ENQUEUE_AFTER: '30s',
    SCANQ_RETRY_BASE: '200ms',
    SCANQ_RETRY_MAX: '2s',
    // Both lanes carry work: each tenant's batches of 50 overrun a burst of 20 refilled at 5/s.
    SCANQ_LANE_BURST: '20',
    SCANQ_LANE_RATE: '5',
  };
  const stack = await openStack(endpoint, runPrefix('chaos'), faultEnv);
  const producerMeter = createMeter();
  const producerClients = createAwsClients(stack.config, {
    // The meter first: it tallies the faults the injector (inside it) throws.
    middleware: [
      ...producerMeter.middleware,
      faultMiddleware({ rate: options.faultRate, ambiguous: options.faultAmbiguous }),
    ],
    maxAttempts: options.awsMaxAttempts,
  });
  const registry = builtinCapabilities();
  registry.register(chaosFinding);
  const producer = await createProducer(stack.config, {
    clients: producerClients,
    registry,
    log: createLogger({ level: 'silent' }),
  });
  // Every event the run publishes, to tell whose they are (the endpoint's SNS delivers to its own SQS).
  const watch = await watchEvents(stack);
  const tally = { resent: 0, expired: 0, sendFailures: 0 };
  const sweeper = new ScanqProcess({
    name: 'sweeper',
    args: ['sweeper'],
    env: { ...stack.env, LOG_LEVEL: 'info' },
    statsDir,
    onLine: (line) => sweeperTally(line, tally),
  });
  const monkey = chaosMonkey(stack, options, statsDir);
  try {
    progress.phase(
      `chaos: ${options.jobs} jobs, ${options.workers} workers, one SIGKILLed every ${options.killEveryMs / 1000} s, ${options.faultRate * 100} % of AWS calls failing`,
    );
    const { expected, retries, peaks } = await feed(stack, producer, options, progress);
    progress.phase('chaos: all enqueued; killing for 10 s more, then letting it settle');
    await sleep(10_000);
    await monkey.calm();
    await settle(stack, expected, options, progress);
    await monkey.stop();
    await sweeper.stop();
    progress.phase(
      'audit: every job, its execution record, findings, events, result objects and DLQ messages',
    );
    const watched = await watch.stop();
    const audit = auditChaos(
      await collectAudit(stack, expected, watched.unavailable ? undefined : watched.events),
    );
    const snapshots = [...monkey.all, sweeper].flatMap((p) => {
      const s = p.stats();
      return s ? [s] : [];
    });
    const producerReading = producerMeter.read();
    const faults = mergeCounts(...snapshots.map((s) => s.faults), producerReading.faults);
    const calls = mergeCounts(...snapshots.map((s) => s.calls), producerReading.calls);
    const sum = (r: Readonly<Record<string, number>>) => Object.values(r).reduce((s, n) => s + n, 0);
    const ok =
      audit.lost === 0 &&
      audit.duplicated === 0 &&
      audit.stuck === 0 &&
      audit.missingExecutions === 0 &&
      audit.losingFindings === 0 &&
      (audit.losingEvents ?? 0) === 0 &&
      peaks.jobs > 0 &&
      peaks.bulk > 0;
    const report = {
      startedAt: new Date(started).toISOString(),
      seconds: (Date.now() - started) / 1000,
      options,
      kills: monkey.kills(),
      faults,
      faultsTotal: sum(faults),
      calls: sum(calls),
      sweeper: tally,
      lanePeaks: peaks,
      enqueueRetries: retries,
      audit,
      ...(watched.unavailable ? { eventsUnavailable: watched.unavailable } : {}),
      workerProblems: [...monkey.all, sweeper].reduce((s, p) => s + p.problems.length, 0),
      ok,
    };
    return {
      ...report,
      headline:
        `scanq chaos: ${audit.jobs} jobs — lost ${audit.lost}, duplicated ${audit.duplicated}, stuck ${audit.stuck}, ` +
        `findings or events of losing attempts ${audit.losingFindings + (audit.losingEvents ?? 0)}` +
        `${audit.losingEvents === undefined ? ' (events not watched)' : ''}, ` +
        `without execution record ${audit.missingExecutions} ` +
        `(${ok ? 'PASS' : 'FAIL'}); survived ${report.kills} SIGKILLs and ${report.faultsTotal} injected faults ` +
        `in ${report.calls} AWS calls; sweeper re-sent ${tally.resent}; ` +
        `lanes' peak depth jobs ${peaks.jobs}, bulk ${peaks.bulk}`,
    };
  } finally {
    await watch.stop();
    await monkey.stop();
    await sweeper.kill();
    producer.close();
    producerClients.destroy();
    if (endpoint.profile === 'external') await destroyStack(stack).catch(() => {});
    stack.clients.destroy();
    await endpoint.close();
    rmSync(statsDir, { recursive: true, force: true });
  }
}
