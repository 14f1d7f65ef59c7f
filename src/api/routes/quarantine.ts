import type { z } from 'zod';
import {
  InvalidKeyError,
  parseFileKey,
  QUARANTINE_METADATA,
  quarantineReportKey,
  systemContext,
  type TenantContext,
  TenantFiles,
} from '../../tenancy/index.js';
import { actingTenant, auditOperator } from '../board/operator.js';
import { filesFor, type RouteDeps } from '../deps.js';
import { ApiError, RequestValidationError } from '../errors.js';
import { type Route, securedRoute } from '../routing.js';
import {
  quarantineDeleteQuerySchema,
  type quarantineEntrySchema,
  quarantineKeyParamsSchema,
  quarantineListSchema,
  quarantineQuerySchema,
} from '../schemas.js';

const TAGS = ['board'];
/** Reasons of one file shown in a listing (the report keeps them all). */
const MAX_REASONS = 20;

type Entry = z.input<typeof quarantineEntrySchema>;

/** The files of `tenant`: the caller's own context, or a system one for an operator acting on another. */
function filesOf(deps: RouteDeps, ctx: TenantContext, tenant: string): TenantFiles {
  if (tenant === ctx.tenant) return filesFor(deps, ctx);
  const r = deps.config.resources;
  return new TenantFiles(
    {
      s3: deps.clients.s3,
      buckets: { results: r.resultsBucket, uploads: r.uploadsBucket, quarantine: r.quarantineBucket },
      now: deps.now,
    },
    systemContext(tenant, 'board'),
  );
}

function decoded(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

interface Report {
  readonly source?: unknown;
  readonly reasons?: unknown;
}

function reportReasons(report: Report | undefined): Entry['reasons'] {
  if (!Array.isArray(report?.reasons)) return [];
  return report.reasons
    .filter(
      (r): r is { code: string; message: string; path?: unknown } =>
        typeof r === 'object' && r !== null && typeof r.code === 'string' && typeof r.message === 'string',
    )
    .slice(0, MAX_REASONS)
    .map((r) => ({
      code: r.code,
      message: r.message,
      ...(typeof r.path === 'string' ? { path: r.path } : {}),
    }));
}

/** A quarantined file with its reasons; undefined for a report or a file gone since the listing. */
async function entryOf(files: TenantFiles, key: string): Promise<Entry | undefined> {
  const info = await files.head(key);
  const meta = info?.metadata ?? {};
  if (!info || meta[QUARANTINE_METADATA.reportOf] === 'true') return undefined;
  const file = await files.get(quarantineReportKey(key));
  let report: Report | undefined;
  try {
    report = file ? (JSON.parse(Buffer.from(file.body).toString('utf8')) as Report) : undefined;
  } catch {
    report = undefined;
  }
  const count = Number(meta[QUARANTINE_METADATA.total]);
  return {
    key,
    tenant: files.tenant,
    ...(info.size === undefined ? {} : { size: info.size }),
    ...(meta[QUARANTINE_METADATA.at] ? { quarantinedAt: meta[QUARANTINE_METADATA.at] } : {}),
    reasonCodes: (decoded(meta[QUARANTINE_METADATA.codes]) ?? '').split(',').filter((c) => c !== ''),
    ...(Number.isInteger(count) ? { reasonCount: count } : {}),
    reasons: reportReasons(report),
    ...(typeof report?.source === 'string' ? { source: report.source } : {}),
  };
}

/**
 * `GET /v1/quarantine`, `DELETE /v1/quarantine/{key}`: import files refused by validation, with
 * their reasons; delete one (and its report) after a confirmation. Admins of the tenant; an
 * operator may name another tenant. Deletions, and refused attempts, are audited.
 */
export function quarantineRoutes(deps: RouteDeps): Route[] {
  return [
    securedRoute({
      method: 'GET',
      url: '/v1/quarantine',
      action: 'tenant:write',
      query: quarantineQuerySchema,
      doc: {
        summary: 'Quarantined import files with their reasons (admins; operators may name a tenant)',
        tags: TAGS,
        responses: { 200: { description: 'the files, oldest key first', schema: quarantineListSchema } },
      },
      async handle({ ctx, query }) {
        const tenant = await actingTenant(deps, ctx, query.tenant, 'quarantine:list');
        const files = filesOf(deps, ctx, tenant);
        const items: Entry[] = [];
        let cursor: string | undefined;
        do {
          const page = await files.list('quarantine', { limit: 100, ...(cursor ? { cursor } : {}) });
          for (const info of page.items) {
            if (items.length >= query.max) break;
            if (info.key.endsWith('.report.json')) continue;
            const entry = await entryOf(files, info.key);
            if (entry) items.push(entry);
          }
          cursor = page.cursor;
        } while (cursor && items.length < query.max);
        if (tenant !== ctx.tenant)
          await auditOperator(deps, ctx, {
            action: 'quarantine:list',
            tenant,
            key: 'quarantine',
            authorized: true,
          });
        return { status: 200, body: { items } };
      },
    }),
    securedRoute({
      method: 'DELETE',
      url: '/v1/quarantine/:key',
      action: 'tenant:write',
      params: quarantineKeyParamsSchema,
      query: quarantineDeleteQuerySchema,
      doc: {
        summary: 'Delete a quarantined file and its report (admins; `confirm=true` required; audited)',
        description: 'Earlier versions stay in the versioned bucket.',
        tags: TAGS,
        responses: { 204: { description: 'deleted' } },
      },
      async handle({ ctx, params }) {
        const named = params.key.split('/')[0] ?? '';
        let kind: string;
        try {
          kind = parseFileKey(params.key, named).kind;
        } catch (error) {
          if (!(error instanceof InvalidKeyError)) throw error;
          kind = '';
        }
        if (kind !== 'quarantine') {
          throw new RequestValidationError([
            { field: 'key', message: 'must be a quarantined file {tenant}/quarantine/{yyyy-mm-dd}/{name}' },
          ]);
        }
        const tenant = await actingTenant(deps, ctx, named, 'quarantine:delete');
        const files = filesOf(deps, ctx, tenant);
        const entry = await entryOf(files, params.key);
        if (!entry) throw new ApiError(404, 'quarantine.notFound', 'no such quarantined file');
        await files.delete(quarantineReportKey(params.key));
        await files.delete(params.key);
        await auditOperator(deps, ctx, {
          action: 'quarantine:delete',
          tenant,
          key: params.key,
          authorized: true,
        });
        deps.log.info({ tenant, user: ctx.user, file: params.key }, 'quarantined file deleted');
        return { status: 204 };
      },
    }),
  ];
}
