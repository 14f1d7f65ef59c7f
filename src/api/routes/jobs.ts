import {
  type JobRecord,
  JobValidationError,
  listJobs,
  parseJobKey,
  readJob,
  statusCode,
} from '../../jobs/index.js';
import { createJobControl, type JobControl, JobControlError } from '../../producer/index.js';
import type { TenantTable } from '../../tenancy/index.js';
import { filesFor, type RouteDeps, tableFor } from '../deps.js';
import { ApiError, RequestValidationError } from '../errors.js';
import { type Route, securedRoute } from '../routing.js';
import {
  cancelResultSchema,
  deleteResultSchema,
  emptyBodySchema,
  enqueueBodySchema,
  enqueueResponseSchema,
  enqueueResultSchema,
  jobKeyParamsSchema,
  jobListQuerySchema,
  jobListSchema,
  jobViewSchema,
} from '../schemas.js';
import { enqueueResultView, jobView } from '../views.js';

const TAGS = ['jobs'];

/**
 * The stored job a path names, or a 404. The key must be a job key, so a path cannot read other
 * item kinds (`#account#…`) through this route.
 */
export async function storedJob(table: TenantTable, key: string): Promise<JobRecord> {
  if (!parseJobKey(key)) {
    throw new RequestValidationError([
      { field: 'key', message: 'must be a job key #job#{target}#{capability}' },
    ]);
  }
  // Consistent: a client polling right after its enqueue must see its job.
  const job = await readJob(table, key, { consistent: true });
  if (!job) throw new ApiError(404, 'job.notFound', 'no such job in this tenant');
  return job;
}

/**
 * The producer names the fields of a one-job request without an index (`target`); a caller who
 * sent `{ jobs: [...] }` reads them as `jobs[0].target`.
 */
function asBatch(error: unknown): unknown {
  if (!(error instanceof JobValidationError)) return error;
  return new JobValidationError(
    error.issues.map((issue) =>
      issue.field.startsWith('jobs[') ? issue : { ...issue, field: `jobs[0].${issue.field}` },
    ),
  );
}

function enqueue(deps: RouteDeps): Route {
  return securedRoute({
    method: 'POST',
    url: '/v1/jobs',
    action: 'job:enqueue',
    body: enqueueBodySchema,
    doc: {
      summary: 'Enqueue one job, or a batch as { jobs: [...] }',
      description:
        'Each job is inserted under the six insert rules; a rejected insert is an answer, not an error. ' +
        '202 when at least one job was accepted, 200 when none was. Invalid input enqueues nothing (400).',
      tags: TAGS,
      responses: {
        202: { description: 'at least one job accepted', schema: enqueueResponseSchema },
        200: { description: 'every job rejected by the insert rules', schema: enqueueResponseSchema },
      },
    },
    async handle({ body, ctx, request }) {
      const requests = 'jobs' in body ? body.jobs : [body];
      const traceparent = request.headers.traceparent;
      const results = await deps.producer
        .enqueue(ctx, requests, typeof traceparent === 'string' ? { traceparent } : {})
        .catch((error: unknown) => Promise.reject('jobs' in body ? asBatch(error) : error));
      const accepted = results.filter((r) => r.accepted).length;
      const rejected = results.length - accepted;
      return {
        status: accepted > 0 ? 202 : 200,
        body: { accepted, rejected, results: results.map(enqueueResultView) },
      };
    },
  });
}

function getJob(deps: RouteDeps): Route {
  return securedRoute({
    method: 'GET',
    url: '/v1/jobs/:key',
    action: 'job:read',
    params: jobKeyParamsSchema,
    doc: {
      summary: 'A job: status, history, attempts, links',
      tags: TAGS,
      responses: { 200: { description: 'the job', schema: jobViewSchema } },
    },
    async handle({ params, ctx }) {
      return { status: 200, body: jobView(await storedJob(tableFor(deps, ctx), params.key)) };
    },
  });
}

function listRoute(deps: RouteDeps): Route {
  return securedRoute({
    method: 'GET',
    url: '/v1/jobs',
    action: 'job:read',
    query: jobListQuerySchema,
    doc: {
      summary: 'Jobs of the tenant in key order, optionally of one status and capability',
      description:
        "Reads the tenant's jobs in key order (`#job#{target}#{capability}`) and applies the status and " +
        'capability filters to each page: a page may hold fewer than `limit` jobs, even none, and still ' +
        'carry a `cursor`; follow `cursor` until it is absent.',
      tags: TAGS,
      responses: { 200: { description: 'one page', schema: jobListSchema } },
    },
    async handle({ query, ctx }) {
      const page = await listJobs(tableFor(deps, ctx), {
        ...(query.status ? { status: query.status } : {}),
        ...(query.capability ? { capability: query.capability } : {}),
        limit: query.limit,
        ...(query.cursor ? { cursor: query.cursor } : {}),
      });
      return {
        status: 200,
        body: { items: page.jobs.map(jobView), ...(page.cursor ? { cursor: page.cursor } : {}) },
      };
    },
  });
}

/** Job control over the route's dependencies (the same module the CLI and the library use). */
export function controlFor(deps: RouteDeps): JobControl {
  return createJobControl({
    tableDeps: deps.tableDeps,
    filesOf: (ctx) => filesFor(deps, ctx),
    producer: deps.producer,
    log: deps.log,
    now: deps.now,
  });
}

/** A job-control refusal as the API answers it: 404 for a missing job, 409 for its state. */
export function controlError(error: unknown): unknown {
  if (!(error instanceof JobControlError)) return error;
  return new ApiError(error.code === 'job.notFound' ? 404 : 409, error.code, error.message, { cause: error });
}

function cancelRoute(deps: RouteDeps): Route {
  return securedRoute({
    method: 'POST',
    url: '/v1/jobs/:key/cancel',
    action: 'job:control',
    params: jobKeyParamsSchema,
    body: emptyBodySchema,
    doc: {
      summary: 'Cancel a job: a queued one never runs; a running one is stopped at its next heartbeat',
      description:
        'A job no worker runs (JQ, JQA, JRA) becomes JF with errorCode `cancelled` at once. A running job (JR) ' +
        'is marked `cancelRequested` (outcome `stopping`): its worker aborts the capability at its next ' +
        'heartbeat and ends it JF `cancelled` with no result. 409 when the job has finished.',
      tags: TAGS,
      responses: { 200: { description: 'cancelled or stopping', schema: cancelResultSchema } },
    },
    async handle({ params, ctx }) {
      const result = await controlFor(deps)
        .cancel(ctx, params.key)
        .catch((e: unknown) => Promise.reject(controlError(e)));
      return { status: 200, body: { ...result, status: statusCode(result.status) } };
    },
  });
}

function retryRoute(deps: RouteDeps): Route {
  return securedRoute({
    method: 'POST',
    url: '/v1/jobs/:key/retry',
    action: 'job:control',
    params: jobKeyParamsSchema,
    body: emptyBodySchema,
    doc: {
      summary: 'Run a failed job (JF) again now, with its input and options',
      description:
        'The job is inserted again under the insert rules (previous failed) and its message sent. 409 unless JF.',
      tags: TAGS,
      responses: { 202: { description: 'queued again', schema: enqueueResultSchema } },
    },
    async handle({ params, ctx }) {
      const result = await controlFor(deps)
        .retry(ctx, params.key)
        .catch((e: unknown) => Promise.reject(controlError(e)));
      return { status: result.accepted ? 202 : 409, body: enqueueResultView(result) };
    },
  });
}

function deleteRoute(deps: RouteDeps): Route {
  return securedRoute({
    method: 'DELETE',
    url: '/v1/jobs/:key',
    action: 'job:delete',
    params: jobKeyParamsSchema,
    doc: {
      summary: 'Delete a finished job (JP or JF) and its result objects',
      description: '409 while the job is queued or running (cancel it first).',
      tags: TAGS,
      responses: { 200: { description: 'deleted', schema: deleteResultSchema } },
    },
    async handle({ params, ctx }) {
      const result = await controlFor(deps)
        .remove(ctx, params.key)
        .catch((e: unknown) => Promise.reject(controlError(e)));
      return { status: 200, body: result };
    },
  });
}

/**
 * `POST /v1/jobs`, `GET /v1/jobs/{key}`, `GET /v1/jobs`; job control: `POST /v1/jobs/{key}/cancel`,
 * `POST /v1/jobs/{key}/retry`, `DELETE /v1/jobs/{key}`.
 */
export function jobRoutes(deps: RouteDeps): Route[] {
  return [
    enqueue(deps),
    getJob(deps),
    listRoute(deps),
    cancelRoute(deps),
    retryRoute(deps),
    deleteRoute(deps),
  ];
}
