import { getProfile, putProfile } from '../../tenancy/index.js';
import { type RouteDeps, tableFor } from '../deps.js';
import { ApiError } from '../errors.js';
import { type Route, securedRoute } from '../routing.js';
import { profileInputSchema, tenantParamsSchema, tenantViewSchema } from '../schemas.js';

const TAGS = ['tenants'];

/**
 * Tenant administration: the profile (name, limits, allowed scopes, authorized MSP users, cascade).
 * The path's tenant must be the acting one (checked by the auth hook, denials audited); writing it
 * is never delegated to an assumed context.
 */
export function tenantRoutes(deps: RouteDeps): Route[] {
  return [
    securedRoute({
      method: 'GET',
      url: '/v1/tenants/:id',
      action: 'tenant:read',
      tenantParam: 'id',
      profileOptional: true,
      params: tenantParamsSchema,
      doc: {
        summary: "The tenant's profile",
        tags: TAGS,
        responses: { 200: { description: 'the profile', schema: tenantViewSchema } },
      },
      async handle({ ctx }) {
        const profile = await getProfile(tableFor(deps, ctx));
        if (!profile) throw new ApiError(404, 'tenant.notFound', 'the tenant has no profile yet');
        return { status: 200, body: { id: ctx.tenant, ...profile } };
      },
    }),
    securedRoute({
      method: 'PUT',
      url: '/v1/tenants/:id',
      action: 'tenant:write',
      tenantParam: 'id',
      profileOptional: true,
      params: tenantParamsSchema,
      body: profileInputSchema,
      doc: {
        summary: "Replace the tenant's profile (limits, allowedScopes, authorizedUsers, cascade)",
        tags: TAGS,
        responses: { 200: { description: 'the profile as stored', schema: tenantViewSchema } },
      },
      async handle({ body, ctx }) {
        const profile = await putProfile(tableFor(deps, ctx), body, { now: deps.now() });
        deps.log.info({ tenant: ctx.tenant, user: ctx.user, key: '#tenant' }, 'tenant profile written');
        return { status: 200, body: { id: ctx.tenant, ...profile } };
      },
    }),
  ];
}
