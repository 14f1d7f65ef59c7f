import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { resolveResources } from '../aws/resources.js';
import { coerceError } from '../lib/errors.js';
import { createSweeper } from '../producer/index.js';
import { type CliHooks, commandContext, EXIT, out, runCommand, statusServer } from './context.js';
import { onShutdownSignals } from './signals.js';

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
          topicArn: resources.topicArn,
          log,
        });
        if (options.once) {
          out(JSON.stringify(await sweeper.sweepOnce()));
          clients.destroy();
          return EXIT.ok;
        }
        const stop = new AbortController();
        const status = await statusServer(config, log);
        onShutdownSignals(log, async () => {
          status.set('draining');
          stop.abort();
        });
        log.info({ intervalMs: config.sweeper.intervalMs }, 'sweeper started');
        status.set('ready');
        while (!stop.signal.aborted) {
          await sweeper
            .sweepOnce()
            .catch((error: unknown) => log.error({ error: coerceError(error) }, 'sweep failed'));
          await sleep(config.sweeper.intervalMs, undefined, { signal: stop.signal }).catch(() => {});
        }
        clients.destroy();
        await status.close();
        return EXIT.ok;
      }),
    );
}
