import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CapabilityRegistry } from './capability.js';
import { CapabilityDefinitionError, registerCapabilities } from './define.js';
import { JobError } from './errors.js';

/** A capability module could not be loaded or does not export capabilities. */
export class PluginError extends JobError {}

/**
 * Loads extra capabilities from modules (`scanq worker --plugin ./my-scans.js`): each module
 * exports `capabilities`, an array of capability definitions (`defineCapability(...)`), or a
 * default export that is one. They are checked and registered like `createWorker({ capabilities })`.
 */
export async function loadPlugins(registry: CapabilityRegistry, paths: readonly string[]): Promise<string[]> {
  const loaded: string[] = [];
  for (const path of paths) {
    let module: { capabilities?: unknown; default?: unknown };
    try {
      module = (await import(pathToFileURL(resolve(path)).href)) as typeof module;
    } catch (error) {
      throw new PluginError('plugin.load', `cannot load capability module ${path}`, { cause: error });
    }
    const exported = module.capabilities ?? (module.default === undefined ? undefined : [module.default]);
    if (!Array.isArray(exported)) {
      throw new PluginError(
        'plugin.shape',
        `${path} must export \`capabilities\`: an array of capability definitions (defineCapability)`,
      );
    }
    try {
      loaded.push(...registerCapabilities(registry, exported, path));
    } catch (error) {
      if (error instanceof CapabilityDefinitionError)
        throw new PluginError('plugin.shape', error.message, { cause: error });
      throw error;
    }
  }
  return loaded;
}
