/**
 * Reading a tenant's risks and assets: listings in key order through the tenant-scoped table
 * (filters applied to each page, as job listings do), one risk with its history, and the shapes
 * the API and CLI show. Every stored item is parsed once here.
 */
import type { Severity } from '../jobs/capability.js';
import type { Condition, TenantTable } from '../tenancy/index.js';
import {
  ASSET_PREFIX,
  RISK_PREFIX,
  type RiskHistoryEntry,
  type RiskStatus,
  type StoredAsset,
  type StoredRisk,
  storedAssetSchema,
  storedRiskSchema,
} from './model.js';

/** What a risk listing (or export) may be narrowed to. */
export interface RiskFilter {
  readonly status?: RiskStatus;
  readonly severity?: Severity;
  /** An asset key (`#asset#{type}#{value}`): only that asset's risks (a key prefix, not a filter). */
  readonly asset?: string;
  readonly capability?: string;
}

/**
 * The key prefix and filter of a risk listing. Items written before the lifecycle have no
 * `status`: they count as open. Pure.
 */
export function riskListQuery(filter: RiskFilter): { prefix: string; filter?: Condition } {
  const clauses: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const where = (attribute: string, value: string, orMissing = false) => {
    const n = `#f${clauses.length}`;
    const v = `:f${clauses.length}`;
    names[n] = attribute;
    values[v] = value;
    clauses.push(orMissing ? `(${n} = ${v} OR attribute_not_exists(${n}))` : `${n} = ${v}`);
  };
  if (filter.status) where('status', filter.status, filter.status === 'open');
  if (filter.severity) where('severity', filter.severity);
  if (filter.capability) where('capability', filter.capability);
  return {
    prefix: filter.asset ? `${RISK_PREFIX}${filter.asset}#` : RISK_PREFIX,
    ...(clauses.length > 0 ? { filter: { expression: clauses.join(' AND '), names, values } } : {}),
  };
}

/** One page of the tenant's risks in key order; a page may hold fewer than `limit` (filters). */
export async function listRisks(
  table: TenantTable,
  options: RiskFilter & { readonly limit?: number; readonly cursor?: string },
): Promise<{ risks: StoredRisk[]; cursor?: string }> {
  const page = await table.query({
    ...riskListQuery(options),
    ...(options.limit === undefined ? {} : { limit: options.limit }),
    ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
  });
  return {
    risks: page.items.map((item) => storedRiskSchema.parse(item)),
    ...(page.cursor ? { cursor: page.cursor } : {}),
  };
}

/** Every risk matching `filter`, page by page: memory holds one page, whatever the total. */
export async function* eachRisk(
  table: TenantTable,
  filter: RiskFilter = {},
  pageSize = 500,
): AsyncGenerator<StoredRisk> {
  let cursor: string | undefined;
  do {
    const page = await listRisks(table, { ...filter, limit: pageSize, ...(cursor ? { cursor } : {}) });
    yield* page.risks;
    cursor = page.cursor;
  } while (cursor);
}

/** One risk of the tenant, or undefined. Only risk keys are read (a path cannot name other kinds). */
export async function readRisk(table: TenantTable, key: string): Promise<StoredRisk | undefined> {
  if (!key.startsWith(RISK_PREFIX)) return undefined;
  const item = await table.get(key, { consistent: true });
  return item ? storedRiskSchema.parse(item) : undefined;
}

/** One page of the tenant's assets in key order, optionally of one type (a key prefix). */
export async function listAssets(
  table: TenantTable,
  options: { readonly type?: string; readonly limit?: number; readonly cursor?: string },
): Promise<{ assets: StoredAsset[]; cursor?: string }> {
  const page = await table.query({
    prefix: options.type ? `${ASSET_PREFIX}${options.type}#` : ASSET_PREFIX,
    ...(options.limit === undefined ? {} : { limit: options.limit }),
    ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
  });
  return {
    assets: page.items.map((item) => storedAssetSchema.parse(item)),
    ...(page.cursor ? { cursor: page.cursor } : {}),
  };
}

/** A risk as the API and CLI show it. */
export interface RiskView {
  readonly key: string;
  readonly name: string;
  readonly assetKey: string;
  readonly capability: string;
  readonly severity: Severity;
  readonly status: RiskStatus;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly seenCount: number;
  readonly lastJob: string;
  readonly closedBy?: string;
  readonly closedAt?: string;
}

/** A risk with its lifecycle history and evidence. */
export interface RiskDetailView extends RiskView {
  readonly history: readonly RiskHistoryEntry[];
  /** The result document of the run that last reported it (`{tenant}/results/…`). */
  readonly evidenceKey?: string;
  readonly evidence: Readonly<Record<string, unknown>>;
}

/** Pure. */
export function riskView(risk: StoredRisk): RiskView {
  return {
    key: risk.key,
    name: risk.name,
    assetKey: risk.asset,
    capability: risk.capability,
    severity: risk.severity,
    status: risk.status,
    firstSeen: risk.firstSeen,
    lastSeen: risk.lastSeen,
    seenCount: risk.seenCount,
    lastJob: risk.lastJob,
    ...(risk.closedBy === undefined ? {} : { closedBy: risk.closedBy }),
    ...(risk.closedAt === undefined ? {} : { closedAt: risk.closedAt }),
  };
}

/** Pure. */
export function riskDetailView(risk: StoredRisk): RiskDetailView {
  return {
    ...riskView(risk),
    history: risk.history,
    ...(risk.evidenceKey === undefined ? {} : { evidenceKey: risk.evidenceKey }),
    evidence: risk.evidence,
  };
}

/** An asset as the API and CLI show it. */
export interface AssetView {
  readonly key: string;
  readonly type: string;
  readonly name: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
}

/** Pure. */
export function assetView(asset: StoredAsset): AssetView {
  return {
    key: asset.key,
    type: asset.type,
    name: asset.value,
    firstSeen: asset.firstSeen,
    lastSeen: asset.lastSeen,
  };
}
