import { createHash } from 'node:crypto';
import { assetKey, type Run, recordRun, riskKey } from '../findings/index.js';
import type { AssetRecord, RiskRecord } from '../jobs/index.js';
import { type EventPublisher, RISK_EVENT_TYPES } from '../notify/index.js';
import type { TenantFiles, TenantTable } from '../tenancy/index.js';
import type { Lease } from './ports.js';

/** What a capability emitted during one attempt. */
export interface Findings {
  readonly assets: AssetRecord[];
  readonly risks: RiskRecord[];
}

export { assetKey, riskKey };

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

/**
 * Applies a passed run's findings to the tenant's assets and risks (src/findings: first/last seen,
 * open → closed → reopened) and publishes each risk that opened, closed or reopened. Called only
 * after the run's finish won, so a fenced attempt changes nothing.
 */
export async function writeFindings(
  table: TenantTable,
  findings: Findings,
  run: Run,
  events?: Pick<EventPublisher, 'publishRisk'>,
): Promise<void> {
  const recorded = await recordRun(table, run, findings);
  if (!events) return;
  await Promise.all(
    recorded.transitions.map((t) =>
      events.publishRisk(
        {
          tenant: table.tenant,
          key: t.key,
          capability: t.capability,
          severity: t.severity,
          job: t.job,
          at: t.at,
        },
        RISK_EVENT_TYPES[t.change],
      ),
    ),
  );
}
