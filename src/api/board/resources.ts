import { type ResolvedResources, resolveResources } from '../../aws/index.js';
import type { RouteDeps } from '../deps.js';

/**
 * The queue URLs, looked up on first use and kept (a failed lookup is tried again next time):
 * route definitions read their dependencies only when a request comes.
 */
export function lazyResources(deps: RouteDeps): () => Promise<ResolvedResources> {
  let resources: Promise<ResolvedResources> | undefined;
  return () => {
    resources ??= resolveResources(deps.config, deps.clients).catch((error: unknown) => {
      resources = undefined;
      throw error;
    });
    return resources;
  };
}
