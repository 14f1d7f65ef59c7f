import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CapabilityDefinition, CapabilityRegistry } from './capability.js';
import { JobError } from './errors.js';

/** A capability module could not be loaded or does not export capabilities. */
export class PluginError extends JobError {}

function isCapability(value: unknown): value is CapabilityDefinition {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return typeof c.name === 'string' && typeof c.run === 'function' && typeof c.timeoutMs === 'number';
}

/**
 * Loads extra capabilities from modules (`scanq worker --plugin ./my-scans.js`): each module
 * exports `capabilities`, an array of capability definitions.
 */
export async function loadPlugins(registry: CapabilityRegistry, paths: readonly string[]): Promise<string[]> {
  const loaded: string[] = [];
  for (const path of paths) {
    let module: { capabilities?: unknown };
    try {
      module = (await import(pathToFileURL(resolve(path)).href)) as { capabilities?: unknown };
    } catch (error) {
      throw new PluginError('plugin.load', `cannot load capability module ${path}`, { cause: error });
    }
    if (!Array.isArray(module.capabilities) || !module.capabilities.every(isCapability)) {
      throw new PluginError(
        'plugin.shape',
        `${path} must export \`capabilities\`: an array of capability definitions`,
      );
    }
    for (const capability of module.capabilities) {
      registry.register(capability);
      loaded.push(capability.name);
    }
  }
  return loaded;
}
