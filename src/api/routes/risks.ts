import { Readable } from 'node:stream';
import {
  EXPORT_CONTENT_TYPES,
  exportRisks,
  listRisks,
  type RiskFilter,
  readRisk,
  riskDetailView,
  riskView,
} from '../../findings/index.js';
import { type RouteDeps, tableFor } from '../deps.js';
import { ApiError } from '../errors.js';
import { type Route, securedRoute } from '../routing.js';
import {
  riskDetailSchema,
  riskExportQuerySchema,
  riskKeyParamsSchema,
  riskListQuerySchema,
  riskListSchema,
} from '../schemas.js';

const TAGS = ['findings'];

/** File name extensions of the export formats. */
const EXTENSION = { sarif: 'sarif', ocsf: 'ocsf.jsonl', defectdojo: 'defectdojo.json' } as const;

function filterOf(query: {
  status?: RiskFilter['status'];
  severity?: RiskFilter['severity'];
  asset?: string;
  capability?: string;
}): RiskFilter {
  return {
    ...(query.status ? { status: query.status } : {}),
    ...(query.severity ? { severity: query.severity } : {}),
    ...(query.asset ? { asset: query.asset } : {}),
    ...(query.capability ? { capability: query.capability } : {}),
  };
}

function listRoute(deps: RouteDeps): Route {
  return securedRoute({
    method: 'GET',
    url: '/v1/risks',
    action: 'result:read',
    query: riskListQuerySchema,
    doc: {
      summary: 'Risks of the tenant in key order, optionally of one status, severity, asset and capability',
      description:
        "Reads the tenant's risks in key order (`#risk#{assetKey}#{name}`: an asset's risks are together). " +
        'The asset filter narrows the key range; status, severity and capability filter each page, so a page ' +
        'may hold fewer than `limit` risks, even none, and still carry a `cursor`; follow `cursor` until it is absent.',
      tags: TAGS,
      responses: { 200: { description: 'one page', schema: riskListSchema } },
    },
    async handle({ query, ctx }) {
      const page = await listRisks(tableFor(deps, ctx), {
        ...filterOf(query),
        limit: query.limit,
        ...(query.cursor ? { cursor: query.cursor } : {}),
      });
      return {
        status: 200,
        body: { items: page.risks.map(riskView), ...(page.cursor ? { cursor: page.cursor } : {}) },
      };
    },
  });
}

function getRoute(deps: RouteDeps): Route {
  return securedRoute({
    method: 'GET',
    url: '/v1/risks/:key',
    action: 'result:read',
    params: riskKeyParamsSchema,
    doc: {
      summary: 'A risk with its lifecycle history (opened, closed, reopened, severity changes)',
      tags: TAGS,
      responses: { 200: { description: 'the risk', schema: riskDetailSchema } },
    },
    async handle({ params, ctx }) {
      const risk = await readRisk(tableFor(deps, ctx), params.key);
      if (!risk) throw new ApiError(404, 'risk.notFound', 'no such risk in this tenant');
      return { status: 200, body: riskDetailView(risk) };
    },
  });
}

function exportRoute(deps: RouteDeps): Route {
  return securedRoute({
    method: 'GET',
    url: '/v1/risks/export',
    action: 'result:read',
    query: riskExportQuerySchema,
    doc: {
      summary:
        'Every risk of the tenant as SARIF 2.1.0, OCSF Vulnerability Finding (NDJSON) or DefectDojo import JSON',
      description:
        'Streamed as it is read, a page of risks at a time (flat memory whatever the number of risks); the same ' +
        'filters as the listing. `sarif`: one run per capability (application/sarif+json). `ocsf`: OCSF 1.5.0 class ' +
        '2002, one event a line, activity from the lifecycle (application/x-ndjson). `defectdojo`: Generic Findings ' +
        'Import with a stable `unique_id_from_tool` (application/json). A failure after the first bytes ends the ' +
        'response early: a client must check that the document is complete.',
      tags: TAGS,
      responses: { 200: { description: 'the export, streamed' } },
    },
    async handle({ query, ctx }) {
      const chunks = exportRisks(tableFor(deps, ctx), query.format, filterOf(query));
      return {
        status: 200,
        body: Readable.from(chunks, { objectMode: false }),
        contentType: EXPORT_CONTENT_TYPES[query.format],
        headers: {
          'content-disposition': `attachment; filename="${ctx.tenant}-risks.${EXTENSION[query.format]}"`,
        },
      };
    },
  });
}

/** `GET /v1/risks`, `GET /v1/risks/export`, `GET /v1/risks/{key}`. */
export function riskRoutes(deps: RouteDeps): Route[] {
  return [listRoute(deps), exportRoute(deps), getRoute(deps)];
}
