import type { Command } from 'commander';
import type { ApiServer } from '../api/index.js';
import { resolveResources } from '../aws/resources.js';
import { ConfigError } from '../config/index.js';
import { builtinCapabilities, loadPlugins } from '../jobs/index.js';
import { createProducer } from '../producer/index.js';
import { type CliHooks, commandContext, commandTelemetry, EXIT, runCommand } from './context.js';
import { wholeNumber } from './flags.js';
import { onShutdownSignals } from './signals.js';

/** `scanq api`: the HTTP API (JWT auth, jobs, results, uploads, onboarding, schedules, admin). */
export function registerApi(program: Command, hooks: CliHooks = {}): void {
  program
    .command('api')
    .description('serve the HTTP API under /v1 (SIGTERM closes it after in-flight requests)')
    .option(
      '--port <n>',
      'listen port (default SCANQ_API_PORT, 8080; 0 = any free port)',
      wholeNumber('--port', 0, 65_535),
    )
    .option('--host <address>', 'listen address (default SCANQ_API_HOST, 127.0.0.1)')
    .option('--plugin <module...>', 'load extra capabilities (as the workers do) so their jobs validate')
    .action((options: { port?: number; host?: string; plugin?: string[] }) =>
      runCommand(async () => {
        const { config, clients, log } = commandContext('api', hooks);
        const registry = builtinCapabilities();
        await loadPlugins(registry, options.plugin ?? []);
        const resources = await resolveResources(config, clients);
        const telemetry = await commandTelemetry(config, log, 'api');
        const producer = await createProducer(config, { clients, registry, log, telemetry });
        // The API's modules (fastify and its plugins) load only in the process that serves it.
        const { createApiServer } = await import('../api/index.js');
        let server: ApiServer;
        try {
          server = await createApiServer(config, {
            clients,
            producer,
            log,
            queueUrl: resources.queueUrl,
            telemetry,
          });
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          process.stderr.write(
            `scanq: invalid configuration\n${error.problems.map((p) => `  ${p}\n`).join('')}`,
          );
          clients.destroy();
          return EXIT.usage;
        }
        const address = await server.listen({
          port: options.port ?? config.api.port,
          host: options.host ?? config.api.host,
        });
        process.stdout.write(`scanq api listening on ${address}\n`);
        onShutdownSignals(log, async () => {
          await server.close();
          await telemetry.shutdown();
          clients.destroy();
        });
        // Serves until a signal closes it.
        return new Promise<number>(() => {});
      }),
    );
}
