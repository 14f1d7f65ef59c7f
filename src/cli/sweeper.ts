import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { AwsClients } from '../aws/clients.js';
import { queueStates } from '../aws/queue-depth.js';
import { type ResolvedResources, resolveResources } from '../aws/resources.js';
import { coerceError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { createSweeper, type SweepReport } from '../producer/index.js';
import type { ScanqMetrics } from '../telemetry/index.js';
import {
  type CliHooks,
  commandContext,
  commandTelemetry,
  EXIT,
  out,
  runCommand,
  statusServer,
} from './context.js';
import { onShutdownSignals } from './signals.js';

/**
 * Samples the jobs queue and the DLQ by state (one `GetQueueAttributes` each): only the sweeper
 * does, so N workers do not multiply the calls and the series.
 */
async function sampleQueues(
  clients: AwsClients,
  resources: ResolvedResources,
  metrics: ScanqMetrics,
  log: Logger,
): Promise<void> {
  const queues = [
    ['jobs', resources.queueUrl],
    ['bulk', resources.bulkQueueUrl],
    ['dlq', resources.dlqUrl],
  ] as const;
  await Promise.all(
    queues.map(async ([queue, url]) => {
      try {
        const states = await queueStates(clients.sqs, url);
        metrics.queueDepth(queue, 'visible', states.visible);
        metrics.queueDepth(queue, 'in_flight', states.inFlight);
        metrics.queueDepth(queue, 'delayed', states.delayed);
      } catch (error) {
        log.warn({ queue: url, error: coerceError(error) }, 'queue depth not sampled');
      }
    }),
  );
}

function countSweep(metrics: ScanqMetrics, report: SweepReport): void {
  metrics.swept('resent', report.resent);
  metrics.swept('expired', report.expired);
  metrics.swept('postponed', report.postponed);
  metrics.swept('skipped', report.skipped);
}

/** `scanq sweeper`: re-send lost enqueues and expired leases, fail overdue async jobs. */
export function registerSweeper(program: Command, hooks: CliHooks = {}): void {
  program
    .command('sweeper')
    .description('recover stuck jobs every SCANQ_SWEEP_INTERVAL (safe to run several replicas)')
    .option('--once', 'sweep once, print the report and exit')
    .action((options: { once?: boolean }) =>
      runCommand(async () => {
        const { config, clients, log } = commandContext('sweeper', hooks);
        const resources = await resolveResources(config, clients);
        const sweeper = createSweeper(config, {
          clients,
          queueUrl: resources.queueUrl,
          bulkQueueUrl: resources.bulkQueueUrl,
          topicArn: resources.topicArn,
          log,
        });
        if (options.once) {
          out(JSON.stringify(await sweeper.sweepOnce()));
          clients.destroy();
          return EXIT.ok;
        }
        const stop = new AbortController();
        const telemetry = await commandTelemetry(config, log, 'sweeper');
        const status = await statusServer(config, log, telemetry);
        onShutdownSignals(log, async () => {
          status.set('draining');
          stop.abort();
        });
        log.info({ intervalMs: config.sweeper.intervalMs }, 'sweeper started');
        status.set('ready');
        while (!stop.signal.aborted) {
          await sweeper.sweepOnce().then(
            (report) => countSweep(telemetry.metrics, report),
            (error: unknown) => log.error({ error: coerceError(error) }, 'sweep failed'),
          );
          if (telemetry.metering) await sampleQueues(clients, resources, telemetry.metrics, log);
          await sleep(config.sweeper.intervalMs, undefined, { signal: stop.signal }).catch(() => {});
        }
        await telemetry.shutdown();
        clients.destroy();
        await status.close();
        return EXIT.ok;
      }),
    );
}
