import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { resolveResources } from '../aws/resources.js';
import { coerceError } from '../lib/errors.js';
import { createSweeper } from '../producer/index.js';
import { commandContext, EXIT, out, runCommand } from './context.js';
import { onShutdownSignals } from './signals.js';

/** `scanq sweeper`: re-send lost enqueues and expired leases, fail overdue async jobs. */
export function registerSweeper(program: Command): void {
  program
    .command('sweeper')
    .description('recover stuck jobs every SCANQ_SWEEP_INTERVAL (safe to run several replicas)')
    .option('--once', 'sweep once, print the report and exit')
    .action((options: { once?: boolean }) =>
      runCommand(async () => {
        const { config, clients, log } = commandContext('sweeper');
        const resources = await resolveResources(config, clients);
        const sweeper = createSweeper(config, {
          clients,
          queueUrl: resources.queueUrl,
          topicArn: resources.topicArn,
          log,
        });
        if (options.once) {
          out(JSON.stringify(await sweeper.sweepOnce()));
          clients.destroy();
          return EXIT.ok;
        }
        const stop = new AbortController();
        onShutdownSignals(log, async () => stop.abort());
        log.info({ intervalMs: config.sweeper.intervalMs }, 'sweeper started');
        while (!stop.signal.aborted) {
          await sweeper
            .sweepOnce()
            .catch((error: unknown) => log.error({ error: coerceError(error) }, 'sweep failed'));
          await sleep(config.sweeper.intervalMs, undefined, { signal: stop.signal }).catch(() => {});
        }
        clients.destroy();
        return EXIT.ok;
      }),
    );
}
