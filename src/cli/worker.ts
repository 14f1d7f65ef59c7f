import type { Command } from 'commander';
import { resolveResources } from '../aws/resources.js';
import { builtinCapabilities, loadPlugins } from '../jobs/index.js';
import { createProducer } from '../producer/index.js';
import { createWorker, createWorkerRuntimeDeps, queueVisibilityMs } from '../workers/index.js';
import { type CliHooks, commandContext, commandTelemetry, runCommand, statusServer } from './context.js';
import { positiveInt } from './flags.js';
import { onShutdownSignals } from './signals.js';

/** `scanq worker`: one worker process; ops run N of them. */
export function registerWorker(program: Command, hooks: CliHooks = {}): void {
  program
    .command('worker')
    .description(
      'consume the jobs queue and run scans (SIGTERM drains: in-flight jobs finish or are released)',
    )
    .option(
      '-c, --concurrency <n>',
      'jobs at once (default SCANQ_WORKER_CONCURRENCY, 8)',
      positiveInt('--concurrency', 1000),
    )
    .option('--plugin <module...>', 'load extra capabilities from a module exporting `capabilities`')
    .option('--wait-time <seconds>', 'SQS long-poll wait', positiveInt('--wait-time', 20))
    .action((options: { concurrency?: number; plugin?: string[]; waitTime?: number }) =>
      runCommand(async () => {
        const { config, clients, log } = commandContext('worker', hooks);
        const registry = builtinCapabilities();
        const plugins = await loadPlugins(registry, options.plugin ?? []);
        if (plugins.length > 0) log.info({ capabilities: plugins }, 'plugins loaded');
        const resources = await resolveResources(config, clients);
        // Off (the default) loads no OpenTelemetry SDK: the worker's footprint stays what it was.
        const telemetry = await commandTelemetry(config, log, 'worker');
        // Cascade: jobs a passed job spawns go through the same conditional insert as any enqueue.
        const producer = await createProducer(config, { clients, registry, log, telemetry });
        const worker = createWorker(config, {
          clients,
          resources,
          registry,
          log,
          producer,
          telemetry,
          ...createWorkerRuntimeDeps(config, clients, resources, log, telemetry.metrics),
          queueVisibilityMs: await queueVisibilityMs(clients, resources.queueUrl),
          ...(options.concurrency ? { concurrency: options.concurrency } : {}),
          ...(options.waitTime ? { waitTimeSeconds: options.waitTime } : {}),
        });
        hooks.onWorker?.(() => worker.stats.counts);
        const status = await statusServer(config, log, telemetry);
        onShutdownSignals(log, async () => {
          status.set('draining');
          await worker.stop();
          // Flushes the spans and metrics of the last jobs before the process exits.
          await telemetry.shutdown();
          clients.destroy();
          await status.close();
        });
        worker.start();
        status.set('ready');
        // Runs until a signal drains it.
        return new Promise<number>(() => {});
      }),
    );
}
