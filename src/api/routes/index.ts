import type { RouteDeps } from '../deps.js';
import type { Route } from '../routing.js';
import { accountRoutes } from './accounts.js';
import { assetRoutes } from './assets.js';
import { boardRoutes } from './board.js';
import { callbackRoutes } from './callback.js';
import { dlqRoutes } from './dlq.js';
import { healthRoutes } from './health.js';
import { jobRoutes } from './jobs.js';
import { overviewRoutes } from './overview.js';
import { quarantineRoutes } from './quarantine.js';
import { resultRoutes } from './results.js';
import { riskRoutes } from './risks.js';
import { scheduleRoutes } from './schedules.js';
import { tenantRoutes } from './tenants.js';
import { uploadRoutes } from './uploads.js';

/** Every route of the API but the OpenAPI document's own (which lists these). */
export function apiRoutes(deps: RouteDeps): Route[] {
  return [
    ...healthRoutes(deps),
    ...jobRoutes(deps),
    ...resultRoutes(deps),
    ...callbackRoutes(deps),
    ...uploadRoutes(deps),
    ...accountRoutes(deps),
    ...scheduleRoutes(deps),
    ...tenantRoutes(deps),
    ...riskRoutes(deps),
    ...assetRoutes(deps),
    ...overviewRoutes(deps),
    ...dlqRoutes(deps),
    ...quarantineRoutes(deps),
    ...boardRoutes(deps),
  ];
}
