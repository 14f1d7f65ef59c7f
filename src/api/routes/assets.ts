import { assetView, listAssets } from '../../findings/index.js';
import { type RouteDeps, tableFor } from '../deps.js';
import { type Route, securedRoute } from '../routing.js';
import { assetListQuerySchema, assetListSchema } from '../schemas.js';

function listRoute(deps: RouteDeps): Route {
  return securedRoute({
    method: 'GET',
    url: '/v1/assets',
    action: 'result:read',
    query: assetListQuerySchema,
    doc: {
      summary: 'Assets of the tenant in key order, optionally of one type, with first and last seen',
      description: 'Follow `cursor` until it is absent.',
      tags: ['findings'],
      responses: { 200: { description: 'one page', schema: assetListSchema } },
    },
    async handle({ query, ctx }) {
      const page = await listAssets(tableFor(deps, ctx), {
        ...(query.type ? { type: query.type } : {}),
        limit: query.limit,
        ...(query.cursor ? { cursor: query.cursor } : {}),
      });
      return {
        status: 200,
        body: { items: page.assets.map(assetView), ...(page.cursor ? { cursor: page.cursor } : {}) },
      };
    },
  });
}

/** `GET /v1/assets`. */
export function assetRoutes(deps: RouteDeps): Route[] {
  return [listRoute(deps)];
}
