import type { Command } from 'commander';
import { builtinCapabilities, loadPlugins } from '../jobs/index.js';
import { createProducer } from '../producer/index.js';
import { createScheduler } from '../scheduler/index.js';
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

/** `scanq scheduler`: fire due schedules every SCANQ_SCHEDULER_INTERVAL (safe to run several replicas). */
export function registerScheduler(program: Command, hooks: CliHooks = {}): void {
  program
    .command('scheduler')
    .description('fire due schedules every SCANQ_SCHEDULER_INTERVAL (safe to run several replicas)')
    .option('--once', 'tick once, print the report as JSON and exit')
    .option('--plugin <module...>', 'load extra capabilities (as the workers do) so their schedules validate')
    .action((options: { once?: boolean; plugin?: string[] }) =>
      runCommand(async () => {
        const { config, clients, log } = commandContext('scheduler', hooks);
        const registry = builtinCapabilities();
        await loadPlugins(registry, options.plugin ?? []);
        const telemetry = options.once ? undefined : await commandTelemetry(config, log, 'scheduler');
        const producer = await createProducer(config, {
          clients,
          registry,
          log,
          ...(telemetry ? { telemetry } : {}),
        });
        const scheduler = createScheduler(config, {
          clients,
          producer,
          log,
          ...(telemetry ? { onFired: (tenant: string) => telemetry.metrics.scheduleFired(tenant) } : {}),
        });
        if (!telemetry) {
          try {
            out(JSON.stringify(await scheduler.tickOnce()));
            return EXIT.ok;
          } finally {
            clients.destroy();
          }
        }
        const stop = new AbortController();
        const status = await statusServer(config, log, telemetry);
        const stopped = scheduler.run(stop.signal);
        status.set('ready');
        onShutdownSignals(log, async () => {
          status.set('draining');
          stop.abort();
          await stopped;
          await telemetry.shutdown();
          clients.destroy();
          await status.close();
        });
        await stopped;
        return EXIT.ok;
      }),
    );
}
