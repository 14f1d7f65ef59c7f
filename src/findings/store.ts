/**
 * Writes one completed run's findings through the tenant-scoped table: assets get first/last seen,
 * reported risks are opened, refreshed or reopened, and risks the same scope (capability on
 * target) reported before and no longer does are closed. Each item is read, changed by the pure
 * rules of `model.ts`, and written back on the condition that nobody wrote it meanwhile (`rev`),
 * so concurrent runs of different scopes never lose each other's changes.
 */
import pLimit from 'p-limit';
import type { AssetRecord, RiskRecord } from '../jobs/capability.js';
import { ScanqError } from '../lib/errors.js';
import {
  type Condition,
  ConditionFailedError,
  type Item,
  parseFileKey,
  type TenantTable,
} from '../tenancy/index.js';
import {
  type Applied,
  assetKey,
  fitsTable,
  observeAsset,
  observeRisk,
  type RiskChange,
  type Run,
  releaseRisk,
  riskKey,
  type StoredRisk,
  scopeLinkKey,
  scopePrefix,
  storedAssetSchema,
  storedRiskSchema,
} from './model.js';

/** A findings write that could not be done (contention past the retries, a foreign evidence key). */
export class FindingsError extends ScanqError {}

/** How many items of one run are read and written at once. */
const CONCURRENCY = 8;
/** Tries of one item's read-change-write before giving up (others kept writing it). */
const MAX_TRIES = 6;

/** A lifecycle change that subscribers hear about (`risk.opened`, `risk.closed`, `risk.reopened`). */
export interface RiskTransition {
  readonly key: string;
  readonly change: Exclude<RiskChange, 'severity'>;
  readonly severity: StoredRisk['severity'];
  readonly capability: string;
  readonly asset: string;
  readonly name: string;
  readonly job: string;
  readonly at: string;
}

/** What one run did to the tenant's findings. */
export interface RecordedRun {
  readonly assets: number;
  readonly observed: number;
  readonly transitions: readonly RiskTransition[];
  readonly skipped: number;
}

const unchanged: Condition = { expression: 'attribute_not_exists(#rk)', names: { '#rk': 'key' } };
const sameRev = (rev: unknown): Condition =>
  typeof rev === 'number'
    ? { expression: '#rv = :rv', names: { '#rv': 'rev' }, values: { ':rv': rev } }
    : {
        expression: 'attribute_exists(#rk) AND attribute_not_exists(#rv)',
        names: { '#rk': 'key', '#rv': 'rev' },
      };

/**
 * Reads `key`, lets `change` decide the new item, writes it unless someone wrote the item since
 * the read (then reads again). `change` returning undefined writes nothing.
 */
async function readChangeWrite<T>(
  table: TenantTable,
  key: string,
  change: (stored: Item | undefined) => { item: Item; result: T } | undefined,
): Promise<T | undefined> {
  for (let attempt = 1; ; attempt++) {
    const stored = await table.get(key, { consistent: true });
    const next = change(stored);
    if (!next) return undefined;
    try {
      await table.put(next.item, { condition: stored ? sameRev(stored.rev) : unchanged });
      return next.result;
    } catch (error) {
      if (!(error instanceof ConditionFailedError) || attempt >= MAX_TRIES) throw error;
    }
  }
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T> {
  const out = new Map<string, T>();
  for (const item of items) {
    const k = key(item);
    if (fitsTable(k)) out.set(k, item);
  }
  return out;
}

/** Every risk key the scope `job` currently reports (its link items). */
async function linkedRisks(table: TenantTable, job: string): Promise<Map<string, string>> {
  const linked = new Map<string, string>();
  let cursor: string | undefined;
  do {
    const page = await table.query({
      prefix: scopePrefix(job),
      consistent: true,
      ...(cursor ? { cursor } : {}),
    });
    for (const item of page.items) if (typeof item.risk === 'string') linked.set(item.risk, item.key);
    cursor = page.cursor;
  } while (cursor);
  return linked;
}

function transitionOf(applied: Applied, run: Run): RiskTransition | undefined {
  const { change, item } = applied;
  if (applied.stale || change === undefined || change === 'severity') return undefined;
  const risk = storedRiskSchema.parse(item);
  return {
    key: risk.key,
    change,
    severity: risk.severity,
    capability: risk.capability,
    asset: risk.asset,
    name: risk.name,
    job: run.job,
    at: run.at,
  };
}

/**
 * Applies one completed run (its finish won) to the tenant's assets and risks. The evidence
 * pointer must be a file of this tenant.
 * @throws FindingsError when the evidence key is another tenant's or an item stays contended.
 */
export async function recordRun(
  table: TenantTable,
  run: Run,
  findings: { readonly assets: readonly AssetRecord[]; readonly risks: readonly RiskRecord[] },
): Promise<RecordedRun> {
  if (run.resultKey !== undefined) {
    try {
      parseFileKey(run.resultKey, table.tenant);
    } catch (error) {
      throw new FindingsError('findings.foreignEvidence', 'evidence key is not a file of this tenant', {
        cause: error,
      });
    }
  }
  const limit = pLimit(CONCURRENCY);
  const assets = uniqueBy(findings.assets, assetKey);
  const risks = uniqueBy(findings.risks, riskKey);
  const skipped = findings.assets.length + findings.risks.length - assets.size - risks.size;
  const before = await linkedRisks(table, run.job);

  await Promise.all(
    [...assets].map(([key, asset]) =>
      limit(() =>
        readChangeWrite(table, key, (stored) => {
          const current = stored ? storedAssetSchema.parse(stored) : undefined;
          if (current && current.lastSeen > run.at) return undefined;
          return { item: { ...observeAsset(current, asset, run), rev: revOf(stored) + 1 }, result: true };
        }),
      ),
    ),
  );

  const observed = await Promise.all(
    [...risks].map(([key, risk]) =>
      limit(async () => {
        const applied = await readChangeWrite(table, key, (stored) => {
          const result = observeRisk(stored ? storedRiskSchema.parse(stored) : undefined, risk, run);
          return result.stale ? undefined : { item: result.item, result };
        });
        if (!before.has(key)) {
          await table.put({ key: scopeLinkKey(run.job, key), kind: 'riskscope', job: run.job, risk: key });
        }
        return applied;
      }),
    ),
  );

  const gone = [...before].filter(([key]) => !risks.has(key));
  const released = await Promise.all(
    gone.map(([key, link]) =>
      limit(async () => {
        const applied = await readChangeWrite(table, key, (stored) => {
          if (!stored) return undefined;
          const result = releaseRisk(storedRiskSchema.parse(stored), run);
          return { item: result.item, result };
        });
        await table.delete(link);
        return applied;
      }),
    ),
  );

  const transitions = [...observed, ...released].flatMap((applied) => {
    const t = applied ? transitionOf(applied, run) : undefined;
    return t ? [t] : [];
  });
  return { assets: assets.size, observed: risks.size, transitions, skipped };
}

const revOf = (item: Item | undefined) => (typeof item?.rev === 'number' ? item.rev : 0);
