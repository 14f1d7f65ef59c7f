/**
 * A worker inside your own Node process, with your capabilities: what `scanq worker --plugin`
 * runs, as a function. `createWorker({ capabilities: [myScan] })` (exported from the package).
 */
import { createAwsClients } from '../aws/clients.js';
import { resolveResources } from '../aws/resources.js';
import { type Config, loadConfig } from '../config/index.js';
import { builtinCapabilities, type CapabilityDefinition, loadPlugins } from '../jobs/index.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { createProducer } from '../producer/index.js';
import { createWorkerRuntimeDeps, queueVisibilityMs } from './index.js';
import { createWorker as createWorkerCore, type Worker } from './worker.js';

export interface EmbeddedWorkerOptions {
  /** Your capabilities (`defineCapability`), besides the built-ins. Default none. */
  readonly capabilities?: readonly CapabilityDefinition[];
  /** Modules to load capabilities from, as `scanq worker --plugin`. Default none. */
  readonly plugins?: readonly string[];
  /** Configuration. Default: `loadConfig(process.env)`. */
  readonly config?: Config;
  /** Jobs at once. Default `SCANQ_WORKER_CONCURRENCY`. */
  readonly concurrency?: number;
  /** Default: a pino logger at `LOG_LEVEL`. */
  readonly log?: Logger;
}

/** A started-on-demand worker and what it owns. */
export interface EmbeddedWorker extends Worker {
  /** Drains (as `stop`) and releases the AWS clients it created. */
  close(options?: { drainTimeoutMs?: number }): Promise<{ drained: boolean }>;
}

/**
 * Builds a worker with the built-in capabilities plus yours: AWS clients, queue and table names
 * from the configuration, tenant credentials from Secrets Manager, cascade through a producer.
 * Call `start()` to take jobs and `close()` to drain and release it.
 * @throws CapabilityDefinitionError (or PluginError) when a capability is malformed or named twice.
 */
export async function createEmbeddedWorker(options: EmbeddedWorkerOptions = {}): Promise<EmbeddedWorker> {
  const config = options.config ?? loadConfig(process.env);
  const log = options.log ?? createLogger({ level: config.logLevel, name: 'worker' });
  const registry = builtinCapabilities();
  await loadPlugins(registry, options.plugins ?? []);
  const clients = createAwsClients(config);
  try {
    const resources = await resolveResources(config, clients);
    const producer = await createProducer(config, { clients, registry, log });
    const worker = createWorkerCore(config, {
      clients,
      resources,
      registry,
      ...(options.capabilities ? { capabilities: options.capabilities } : {}),
      log,
      producer,
      ...createWorkerRuntimeDeps(config, clients, resources, log),
      queueVisibilityMs: await queueVisibilityMs(clients, resources.queueUrl),
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    });
    return {
      ...worker,
      id: worker.id,
      stats: worker.stats,
      async close(closeOptions) {
        const result = await worker.stop(closeOptions);
        clients.destroy();
        return result;
      },
    };
  } catch (error) {
    clients.destroy();
    throw error;
  }
}
