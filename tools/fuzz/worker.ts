import { builtinCapabilities } from '../../src/jobs/index.js';
import type { Logger } from '../../src/lib/index.js';
import { createWorker, createWorkerRuntimeDeps, type Worker } from '../../src/workers/index.js';
import type { Stack } from '../bench/endpoint.js';

/**
 * A real worker on the stack's queue, in this process: built-in capabilities, the real DLQ move
 * and credentials store, a 1 s long poll (so it stops at once). Started; stop it when done.
 */
export function startWorker(stack: Stack, log: Logger, options: { queueVisibilityMs?: number } = {}): Worker {
  const { config, clients, report } = stack;
  const worker = createWorker(config, {
    clients,
    resources: report,
    registry: builtinCapabilities(),
    log,
    waitTimeSeconds: 1,
    ...(options.queueVisibilityMs ? { queueVisibilityMs: options.queueVisibilityMs } : {}),
    ...createWorkerRuntimeDeps(config, clients, report, log),
  });
  worker.start();
  return worker;
}
