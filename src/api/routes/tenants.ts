import { isCapabilityName } from '../../jobs/index.js';
import { getProfile, putProfile } from '../../tenancy/index.js';
import { type RouteDeps, tableFor } from '../deps.js';
import { ApiError, RequestValidationError } from '../errors.js';
import { type Route, securedRoute } from '../routing.js';
import {
  pauseBodySchema,
  pauseStateSchema,
  profileInputSchema,
  tenantParamsSchema,
  tenantViewSchema,
} from '../schemas.js';
import { controlFor } from './jobs.js';

const TAGS = ['tenants'];

/**
 * Tenant administration: the profile (name, limits, allowed scopes, authorized MSP users, cascade).
 * The path's tenant must be the acting one (checked by the auth hook, denials audited); writing it
 * is never delegated to an assumed context.
 */
export function tenantRoutes(deps: RouteDeps): Route[] {
  return [
    ...pauseRoutes(deps),
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

/** The capability a pause body names, checked like a job's. */
function scopeOf(body: { readonly capability?: string | undefined } | undefined): { capability?: string } {
  if (body?.capability === undefined) return {};
  if (!isCapabilityName(body.capability))
    throw new RequestValidationError([
      { field: 'capability', message: 'must be a capability name (lowercase, digits, -)' },
    ]);
  return { capability: body.capability };
}

/**
 * Pause and resume the tenant's work, or one capability's: workers leave its jobs queued (their
 * messages hidden, not received over and over) until it is resumed. Admins only; the path's tenant
 * must be the acting one (denials audited by the auth hook).
 */
function pauseRoutes(deps: RouteDeps): Route[] {
  const write = (verb: 'pause' | 'resume') =>
    securedRoute({
      method: 'POST',
      url: `/v1/tenants/:id/${verb}`,
      action: 'tenant:pause',
      tenantParam: 'id',
      params: tenantParamsSchema,
      body: pauseBodySchema,
      doc: {
        summary:
          verb === 'pause'
            ? "Pause the tenant's jobs, or one capability's (they stay queued; running ones finish)"
            : 'Resume what a pause held',
        tags: TAGS,
        responses: { 200: { description: 'what is paused now', schema: pauseStateSchema } },
      },
      async handle({ body, ctx }) {
        const control = controlFor(deps);
        const scope = scopeOf(body);
        const state = verb === 'pause' ? await control.pause(ctx, scope) : await control.resume(ctx, scope);
        return { status: 200, body: state };
      },
    });
  return [
    write('pause'),
    write('resume'),
    securedRoute({
      method: 'GET',
      url: '/v1/tenants/:id/pauses',
      action: 'tenant:read',
      tenantParam: 'id',
      params: tenantParamsSchema,
      doc: {
        summary: 'What is paused in the tenant',
        tags: TAGS,
        responses: { 200: { description: 'what is paused', schema: pauseStateSchema } },
      },
      async handle({ ctx }) {
        return { status: 200, body: await controlFor(deps).pauses(ctx) };
      },
    }),
  ];
}
