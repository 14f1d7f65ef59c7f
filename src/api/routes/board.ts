import { listJobs } from '../../jobs/index.js';
import { getProfile, systemContext, TenantTable } from '../../tenancy/index.js';
import { auditOperator, isOperator, requireOperator } from '../board/operator.js';
import { type RouteDeps, tableFor } from '../deps.js';
import { ApiError } from '../errors.js';
import { publicRoute, type Route, securedRoute } from '../routing.js';
import {
  boardConfigSchema,
  jobChildrenSchema,
  jobKeyParamsSchema,
  tenantParamsSchema,
  tenantViewSchema,
  whoAmISchema,
} from '../schemas.js';
import { storedJob } from './jobs.js';

const TAGS = ['board'];
/** Most jobs read when looking for a job's cascade children (pages of 100). */
const MAX_CHILD_SCAN = 2_000;

/**
 * What the ops board needs besides the other routes: its sign-in settings (public: no secret in
 * them), who the token is, a job's cascade children, and (operators) any tenant's profile.
 */
export function boardRoutes(deps: RouteDeps): Route[] {
  return [
    publicRoute({
      method: 'GET',
      url: '/v1/board/config',
      doc: {
        summary: "The board's sign-in settings: OIDC endpoints and client id when configured",
        tags: TAGS,
        responses: { 200: { description: 'settings', schema: boardConfigSchema } },
      },
      async handle() {
        const oidc = deps.config.board.oidc;
        return { status: 200, body: oidc ? { oidc } : {} };
      },
    }),
    securedRoute({
      method: 'GET',
      url: '/v1/whoami',
      action: 'job:read',
      doc: {
        summary: 'The caller as the API sees the token: tenant, user, roles, operator or not',
        tags: TAGS,
        responses: { 200: { description: 'the caller', schema: whoAmISchema } },
      },
      async handle({ ctx }) {
        return {
          status: 200,
          body: {
            tenant: ctx.tenant,
            homeTenant: ctx.homeTenant,
            user: ctx.user,
            roles: [...ctx.roles],
            operator: isOperator(deps.config, ctx),
          },
        };
      },
    }),
    securedRoute({
      method: 'GET',
      url: '/v1/jobs/:key/children',
      action: 'job:read',
      params: jobKeyParamsSchema,
      doc: {
        summary: 'Jobs the cascade spawned from this one (its children)',
        description: `Reads up to ${MAX_CHILD_SCAN} of the tenant's jobs; beyond, \`truncated\` is true.`,
        tags: ['jobs'],
        responses: { 200: { description: 'the children', schema: jobChildrenSchema } },
      },
      async handle({ ctx, params }) {
        const table = tableFor(deps, ctx);
        await storedJob(table, params.key);
        const items: { key: string; capability: string; target: string; status: string }[] = [];
        let read = 0;
        let cursor: string | undefined;
        do {
          const page = await listJobs(table, { limit: 100, ...(cursor ? { cursor } : {}) });
          read += page.jobs.length;
          for (const job of page.jobs) {
            if (job.parent === params.key)
              items.push({ key: job.key, capability: job.capability, target: job.target, status: job.code });
          }
          cursor = page.cursor;
        } while (cursor && read < MAX_CHILD_SCAN);
        return { status: 200, body: { items, truncated: cursor !== undefined } };
      },
    }),
    securedRoute({
      method: 'GET',
      url: '/v1/board/tenants/:id',
      action: 'tenant:read',
      params: tenantParamsSchema,
      doc: {
        summary: "A tenant's profile: its own admins and readers, or any tenant for operators (audited)",
        tags: TAGS,
        responses: { 200: { description: 'the profile', schema: tenantViewSchema } },
      },
      async handle({ ctx, params }) {
        const own = params.id === ctx.tenant;
        if (!own) await requireOperator(deps, ctx, 'tenant:read', `tenant:${params.id.slice(0, 130)}`);
        const table = own
          ? tableFor(deps, ctx)
          : new TenantTable(deps.tableDeps, systemContext(params.id, 'board'));
        const profile = await getProfile(table);
        if (!profile) throw new ApiError(404, 'tenant.notFound', 'the tenant has no profile');
        if (!own)
          await auditOperator(deps, ctx, {
            action: 'tenant:read',
            tenant: params.id,
            key: '#tenant',
            authorized: true,
          });
        return { status: 200, body: { id: params.id, ...profile } };
      },
    }),
  ];
}
