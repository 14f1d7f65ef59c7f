import { createHash } from 'node:crypto';
import type { AssetRecord, RiskRecord } from '../jobs/index.js';
import type { Item, TenantFiles, TenantTable } from '../tenancy/index.js';
import type { Lease } from './ports.js';

/** What a capability emitted during one attempt. */
export interface Findings {
  readonly assets: AssetRecord[];
  readonly risks: RiskRecord[];
}

export const assetKey = (asset: Pick<AssetRecord, 'type' | 'value'>) => `#asset#${asset.type}#${asset.value}`;
export const riskKey = (risk: RiskRecord) => `#risk#${assetKey(risk.asset)}#${risk.name}`;

/** `{capability}/{hash of key}/{attempt}-{owner hash}.json`: unique per attempt, safe as a file name. */
export function resultName(lease: Pick<Lease, 'key' | 'owner' | 'attempt'>, capability: string): string {
  const job = createHash('sha256').update(lease.key).digest('hex').slice(0, 20);
  const owner = createHash('sha256').update(lease.owner).digest('hex').slice(0, 8);
  return `${capability}/${job}/${lease.attempt}-${owner}.json`;
}

/** The versioned result document written to S3 (docs/RESULTS.md describes it). */
export function resultDocument(
  lease: Pick<Lease, 'key' | 'attempt'>,
  fields: {
    tenant: string;
    capability: string;
    target: string;
    status: 'JP' | 'JF';
    startedAt: string;
    finishedAt: string;
    result?: Readonly<Record<string, unknown>>;
    error?: string;
    findings: Findings;
  },
) {
  return {
    v: 1,
    tenant: fields.tenant,
    key: lease.key,
    capability: fields.capability,
    target: fields.target,
    attempt: lease.attempt,
    status: fields.status,
    startedAt: fields.startedAt,
    finishedAt: fields.finishedAt,
    ...(fields.result ? { result: fields.result } : {}),
    ...(fields.error ? { error: fields.error } : {}),
    assets: fields.findings.assets,
    risks: fields.findings.risks,
  };
}

export async function writeResult(files: TenantFiles, name: string, document: object): Promise<string> {
  return files.put('results', name, JSON.stringify(document), 'application/json');
}

/** Asset and risk items (last writer wins), each pointing at the job that found it. */
export async function writeFindings(
  table: TenantTable,
  findings: Findings,
  source: string,
  at: Date,
): Promise<void> {
  const updated = at.toISOString();
  const items: Item[] = [
    ...findings.assets.map((a) => ({
      key: assetKey(a),
      kind: 'asset',
      type: a.type,
      value: a.value,
      attributes: a.attributes ?? {},
      source,
      updated,
    })),
    ...findings.risks.map((r) => ({
      key: riskKey(r),
      kind: 'risk',
      asset: assetKey(r.asset),
      name: r.name,
      severity: r.severity,
      evidence: r.evidence ?? {},
      source,
      updated,
    })),
  ].filter((item) => item.key.length <= 1024);
  if (items.length > 0) await table.putMany(items);
}
