/**
 * Pausing a tenant's work (job control): one item per pause in the tenant's partition,
 * `#pause#*` for the whole tenant and `#pause#{capability}` for one capability. Workers read them
 * (one query per tenant, cached like the profile) and keep a paused job's message out of sight
 * instead of claiming it; its status stays `JQ` until the pause is lifted.
 */
import type { TenantTable } from '../tenancy/table.js';
import { isCapabilityName } from './keys.js';

/** Sort-key prefix of pause items. */
export const PAUSE_PREFIX = '#pause#';

/** The pause item of the whole tenant. */
const ALL = '*';

/** What is paused in a tenant. */
export interface PauseState {
  /** Every capability of the tenant is paused. */
  readonly all: boolean;
  /** Capabilities paused one by one. */
  readonly capabilities: readonly string[];
}

/** What a pause or resume names: the whole tenant, or one capability of it. */
export interface PauseScope {
  readonly capability?: string;
}

/** The sort key of a scope's pause item. */
export function pauseKey(scope: PauseScope): string {
  return `${PAUSE_PREFIX}${scope.capability ?? ALL}`;
}

/** The pause item of a scope (who paused it and when). Pure. */
export function pauseItem(scope: PauseScope, by: string, at: Date) {
  return { key: pauseKey(scope), kind: 'pause', by, at: at.toISOString() };
}

/** True when a job of `capability` may not start in a tenant in `state`. Pure. */
export function isPaused(state: PauseState, capability: string): boolean {
  return state.all || state.capabilities.includes(capability);
}

/** The state the pause items of a tenant describe; unknown items are ignored. Pure. */
export function pauseStateOf(keys: readonly string[]): PauseState {
  const names = keys.filter((k) => k.startsWith(PAUSE_PREFIX)).map((k) => k.slice(PAUSE_PREFIX.length));
  return {
    all: names.includes(ALL),
    capabilities: names.filter((name) => name !== ALL && isCapabilityName(name)).sort(),
  };
}

/** Most pause items a tenant can have (one per capability, and the tenant's). */
const MAX_PAUSE_ITEMS = 200;

/** Reads what is paused in the table's tenant (strongly consistent: a pause must take effect). */
export async function readPauses(table: TenantTable): Promise<PauseState> {
  const page = await table.query({ prefix: PAUSE_PREFIX, limit: MAX_PAUSE_ITEMS, consistent: true });
  return pauseStateOf(page.items.map((item) => item.key));
}
