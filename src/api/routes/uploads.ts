import type { PresignedUrl } from '../../tenancy/index.js';
import { filesFor, type RouteDeps } from '../deps.js';
import { type Route, securedRoute } from '../routing.js';
import {
  multipartAbortBodySchema,
  multipartCompleteBodySchema,
  multipartCreateBodySchema,
  multipartCreatedSchema,
  multipartPartsBodySchema,
  multipartPartsSchema,
  presignedSchema,
  uploadBodySchema,
  uploadedSchema,
} from '../schemas.js';

const TAGS = ['uploads'];
const ACTION = 'upload:create';

const wire = (presigned: PresignedUrl) => ({ ...presigned, expiresAt: presigned.expiresAt.toISOString() });

/**
 * Uploads of a tenant's files (imports) straight to S3 under `{tenant}/uploads/{day}/{name}`:
 * one presigned PUT, or a multipart upload for large files (create, part URLs, complete or abort).
 */
export function uploadRoutes(deps: RouteDeps): Route[] {
  return [
    securedRoute({
      method: 'POST',
      url: '/v1/uploads',
      action: ACTION,
      body: uploadBodySchema,
      doc: {
        summary: 'A presigned PUT URL for one upload (up to 5 GB; use multipart above ~100 MB)',
        tags: TAGS,
        responses: {
          201: { description: 'PUT the file to url with these headers', schema: presignedSchema },
        },
      },
      async handle({ body, ctx }) {
        const presigned = await filesFor(deps, ctx).presignPut('uploads', body.name, {
          ...(body.contentType ? { contentType: body.contentType } : {}),
          ...(body.expiresInSeconds ? { expiresInSeconds: body.expiresInSeconds } : {}),
        });
        return { status: 201, body: wire(presigned) };
      },
    }),
    securedRoute({
      method: 'POST',
      url: '/v1/uploads/multipart',
      action: ACTION,
      body: multipartCreateBodySchema,
      doc: {
        summary: 'Start a multipart upload',
        tags: TAGS,
        responses: { 201: { description: 'the key and upload id', schema: multipartCreatedSchema } },
      },
      async handle({ body, ctx }) {
        const created = await filesFor(deps, ctx).createMultipart('uploads', body.name, {
          ...(body.contentType ? { contentType: body.contentType } : {}),
        });
        return { status: 201, body: created };
      },
    }),
    securedRoute({
      method: 'POST',
      url: '/v1/uploads/multipart/parts',
      action: ACTION,
      body: multipartPartsBodySchema,
      doc: {
        summary: 'Presigned PUT URLs of parts (each at least 5 MiB but the last); keep each ETag',
        tags: TAGS,
        responses: { 200: { description: 'one URL per part number', schema: multipartPartsSchema } },
      },
      async handle({ body, ctx }) {
        const files = filesFor(deps, ctx);
        const options = body.expiresInSeconds ? { expiresInSeconds: body.expiresInSeconds } : {};
        const parts = await Promise.all(
          [...new Set(body.partNumbers)].map(async (partNumber) => {
            const presigned = await files.presignPart(body.key, body.uploadId, partNumber, options);
            return { partNumber, url: presigned.url, expiresAt: presigned.expiresAt.toISOString() };
          }),
        );
        return { status: 200, body: { key: body.key, uploadId: body.uploadId, parts } };
      },
    }),
    securedRoute({
      method: 'POST',
      url: '/v1/uploads/multipart/complete',
      action: ACTION,
      body: multipartCompleteBodySchema,
      doc: {
        summary: 'Complete a multipart upload from its parts and ETags',
        tags: TAGS,
        responses: { 200: { description: 'the uploaded file', schema: uploadedSchema } },
      },
      async handle({ body, ctx }) {
        await filesFor(deps, ctx).completeMultipart(body.key, body.uploadId, body.parts);
        return { status: 200, body: { key: body.key } };
      },
    }),
    securedRoute({
      method: 'POST',
      url: '/v1/uploads/multipart/abort',
      action: ACTION,
      body: multipartAbortBodySchema,
      doc: {
        summary: 'Abandon a multipart upload (its parts are deleted)',
        tags: TAGS,
        responses: { 204: { description: 'abandoned' } },
      },
      async handle({ body, ctx }) {
        await filesFor(deps, ctx).abortMultipart(body.key, body.uploadId);
        return { status: 204 };
      },
    }),
  ];
}
