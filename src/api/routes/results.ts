import { z } from 'zod';
import { PRESIGN_EXPIRY } from '../../tenancy/index.js';
import { filesFor, type RouteDeps, tableFor } from '../deps.js';
import { ApiError } from '../errors.js';
import { type Route, securedRoute } from '../routing.js';
import { jobKeyParamsSchema, presignedSchema } from '../schemas.js';
import { storedJob } from './jobs.js';

const resultQuerySchema = z.strictObject({
  expiresInSeconds: z.coerce.number().int().min(PRESIGN_EXPIRY.min).max(PRESIGN_EXPIRY.max).optional(),
});

/** `GET /v1/jobs/{key}/result`: a presigned URL of the job's result document. */
export function resultRoutes(deps: RouteDeps): Route[] {
  return [
    securedRoute({
      method: 'GET',
      url: '/v1/jobs/:key/result',
      action: 'result:read',
      params: jobKeyParamsSchema,
      query: resultQuerySchema,
      doc: {
        summary: "A presigned GET URL of the job's result document",
        description: 'Available once the job has finished (JP or JF). The URL expires (default 15 minutes).',
        tags: ['jobs'],
        responses: { 200: { description: 'where to download the result', schema: presignedSchema } },
      },
      async handle({ params, query, ctx }) {
        const job = await storedJob(tableFor(deps, ctx), params.key);
        if (job.resultKey === undefined) {
          throw new ApiError(404, 'result.notAvailable', 'the job has no result yet');
        }
        // The key came from this tenant's own item; TenantFiles still refuses one outside its prefix.
        const presigned = await filesFor(deps, ctx).presignGet(job.resultKey, {
          ...(query.expiresInSeconds ? { expiresInSeconds: query.expiresInSeconds } : {}),
        });
        return { status: 200, body: { ...presigned, expiresAt: presigned.expiresAt.toISOString() } };
      },
    }),
  ];
}
