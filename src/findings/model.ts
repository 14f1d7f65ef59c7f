/**
 * The risk lifecycle as pure functions (docs/FINDINGS.md): what a stored risk or asset item looks
 * like, and how one completed run changes it. The I/O that reads and writes the items is in
 * `store.ts`; nothing here touches the table.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AssetRecord, RiskRecord } from '../jobs/capability.js';
import { SEVERITIES, type Severity } from '../jobs/capability.js';

export const RISK_PREFIX = '#risk#';
export const ASSET_PREFIX = '#asset#';
/** Which risks a scope (one capability on one target: a job key) currently reports. */
export const SCOPE_PREFIX = '#riskscope#';
/** Most history entries kept on a risk (the oldest go first). */
export const MAX_HISTORY = 50;
/** Longest sort key DynamoDB takes. */
const MAX_KEY = 1024;

export const RISK_STATUSES = ['open', 'closed', 'reopened'] as const;
export type RiskStatus = (typeof RISK_STATUSES)[number];
export const RISK_CHANGES = ['opened', 'closed', 'reopened', 'severity'] as const;
export type RiskChange = (typeof RISK_CHANGES)[number];

export const assetKey = (asset: Pick<AssetRecord, 'type' | 'value'>) =>
  `${ASSET_PREFIX}${asset.type}#${asset.value}`;
export const riskKey = (risk: Pick<RiskRecord, 'asset' | 'name'>) =>
  `${RISK_PREFIX}${assetKey(risk.asset)}#${risk.name}`;

/** A fixed-length name for a key inside another key (scope links stay well under 1024). Pure. */
export const keyHash = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 24);

/** Prefix of the scope links of one job key. */
export const scopePrefix = (job: string) => `${SCOPE_PREFIX}${keyHash(job)}#`;
/** The link item saying that scope `job` currently reports `risk`. */
export const scopeLinkKey = (job: string, risk: string) => `${scopePrefix(job)}${keyHash(risk)}`;

/** True when a key fits the table (longer ones stay in the result document only). */
export const fitsTable = (key: string) => key.length <= MAX_KEY;

const text = z.string();
const severity = z.enum(SEVERITIES);

/** One lifecycle change of a risk. `job` is the job key of the run; `result` its result document. */
export const historyEntrySchema = z.object({
  at: text,
  change: z.enum(RISK_CHANGES),
  job: text,
  severity: severity.optional(),
  result: text.optional(),
});
export type RiskHistoryEntry = z.output<typeof historyEntrySchema>;

/**
 * A stored risk. Items written before the lifecycle existed (no `status`) read as open since
 * their `updated`, seen once, by their `source` job.
 */
export const storedRiskSchema = z
  .looseObject({
    key: text.startsWith(RISK_PREFIX),
    asset: text,
    name: text,
    severity,
    evidence: z.record(z.string(), z.unknown()).default({}),
    source: text.optional(),
    updated: text.optional(),
    capability: text.optional(),
    status: z.enum(RISK_STATUSES).optional(),
    firstSeen: text.optional(),
    lastSeen: text.optional(),
    seenCount: z.number().int().min(0).optional(),
    lastJob: text.optional(),
    evidenceKey: text.optional(),
    closedBy: text.optional(),
    closedAt: text.optional(),
    scopes: z.array(text).optional(),
    history: z.array(historyEntrySchema).optional(),
    rev: z.number().int().min(0).optional(),
  })
  .transform((r) => {
    const since = r.firstSeen ?? r.updated ?? '';
    const job = r.lastJob ?? r.source ?? '';
    return {
      key: r.key,
      asset: r.asset,
      name: r.name,
      severity: r.severity,
      evidence: r.evidence,
      capability: r.capability ?? capabilityOfJob(job) ?? '',
      status: r.status ?? ('open' as RiskStatus),
      firstSeen: since,
      lastSeen: r.lastSeen ?? r.updated ?? since,
      seenCount: r.seenCount ?? 1,
      lastJob: job,
      ...(r.evidenceKey === undefined ? {} : { evidenceKey: r.evidenceKey }),
      ...(r.closedBy === undefined ? {} : { closedBy: r.closedBy }),
      ...(r.closedAt === undefined ? {} : { closedAt: r.closedAt }),
      scopes: r.scopes ?? (job ? [job] : []),
      history: r.history ?? [],
      rev: r.rev ?? 0,
    };
  });
export type StoredRisk = z.output<typeof storedRiskSchema>;

export const storedAssetSchema = z
  .looseObject({
    key: text.startsWith(ASSET_PREFIX),
    type: text,
    value: text,
    attributes: z.record(z.string(), z.unknown()).default({}),
    source: text.optional(),
    updated: text.optional(),
    firstSeen: text.optional(),
    lastSeen: text.optional(),
  })
  .transform((a) => ({
    key: a.key,
    type: a.type,
    value: a.value,
    attributes: a.attributes,
    firstSeen: a.firstSeen ?? a.updated ?? '',
    lastSeen: a.lastSeen ?? a.updated ?? '',
    ...(a.source === undefined ? {} : { source: a.source }),
  }));
export type StoredAsset = z.output<typeof storedAssetSchema>;

/** `#job#{target}#{capability}` → the capability. */
function capabilityOfJob(job: string): string | undefined {
  const at = job.lastIndexOf('#');
  return job.startsWith('#job#') && at > 4 ? job.slice(at + 1) : undefined;
}

/** One completed run whose finish won: what the lifecycle needs to know of it. */
export interface Run {
  /** The job key: the scope (capability on target) whose earlier reports this run confirms or closes. */
  readonly job: string;
  readonly capability: string;
  /** When the finish won (ISO). */
  readonly at: string;
  /** The run's result document (S3 key, `{tenant}/results/…`): the evidence pointer. */
  readonly resultKey?: string;
}

/** What applying a run to one risk did; `undefined` change: the item was refreshed only. */
export interface Applied {
  readonly item: Record<string, unknown> & { readonly key: string };
  readonly change?: RiskChange;
  /** A change that leaves nothing to write (an older run arriving late). */
  readonly stale?: boolean;
}

const bounded = (history: readonly RiskHistoryEntry[]) => history.slice(-MAX_HISTORY);

function entry(run: Run, change: RiskChange, sev?: Severity): RiskHistoryEntry {
  return {
    at: run.at,
    change,
    job: run.job,
    ...(sev === undefined ? {} : { severity: sev }),
    ...(run.resultKey === undefined ? {} : { result: run.resultKey }),
  };
}

/** The stored form of a risk (what `storedRiskSchema` reads back). */
function riskItem(risk: StoredRisk, run: Run): Record<string, unknown> & { key: string } {
  const { rev, ...rest } = risk;
  return { ...rest, kind: 'risk', source: risk.lastJob, updated: run.at, rev: rev + 1 };
}

/**
 * A risk reported by `run`: opened when new, reopened when closed, its severity change recorded,
 * last seen and count refreshed, `run`'s scope added. A run older than what the item last saw
 * changes nothing (`stale`). Pure.
 */
export function observeRisk(stored: StoredRisk | undefined, reported: RiskRecord, run: Run): Applied {
  const key = riskKey(reported);
  const base = {
    severity: reported.severity,
    evidence: reported.evidence ?? {},
    capability: run.capability,
    lastSeen: run.at,
    lastJob: run.job,
    ...(run.resultKey === undefined ? {} : { evidenceKey: run.resultKey }),
  };
  if (!stored) {
    const risk: StoredRisk = {
      key,
      asset: assetKey(reported.asset),
      name: reported.name,
      ...base,
      status: 'open',
      firstSeen: run.at,
      seenCount: 1,
      scopes: [run.job],
      history: [entry(run, 'opened', reported.severity)],
      rev: 0,
    };
    return { item: riskItem(risk, run), change: 'opened' };
  }
  // Older than what the item saw, or this very run applied already (a retried write): no change.
  const applied = stored.lastSeen === run.at && stored.lastJob === run.job;
  if (applied || stored.lastSeen > run.at || (stored.closedAt !== undefined && stored.closedAt > run.at)) {
    return { item: riskItem(stored, run), stale: true };
  }
  const reopening = stored.status === 'closed';
  const history = [...stored.history];
  if (reopening) history.push(entry(run, 'reopened', reported.severity));
  else if (stored.severity !== reported.severity) history.push(entry(run, 'severity', reported.severity));
  const { closedAt: _at, closedBy: _by, ...open } = stored;
  const risk: StoredRisk = {
    ...open,
    ...base,
    status: reopening ? 'reopened' : stored.status,
    seenCount: stored.seenCount + 1,
    scopes: stored.scopes.includes(run.job) ? stored.scopes : [...stored.scopes, run.job],
    history: bounded(history),
  };
  const change: RiskChange | undefined = reopening
    ? 'reopened'
    : stored.severity !== reported.severity
      ? 'severity'
      : undefined;
  return { item: riskItem(risk, run), ...(change ? { change } : {}) };
}

/**
 * A risk that `run`'s scope reported before and does not report now: the scope lets go of it, and
 * when no other scope still reports it, it is closed by `run`. Already closed, or seen after
 * `run` (a newer run of another scope): nothing but the scope is dropped. Pure.
 */
export function releaseRisk(stored: StoredRisk, run: Run): Applied {
  const scopes = stored.scopes.filter((s) => s !== run.job);
  if (stored.lastSeen > run.at) {
    return { item: riskItem({ ...stored, scopes }, run), stale: true };
  }
  if (stored.status === 'closed' || scopes.length > 0) return { item: riskItem({ ...stored, scopes }, run) };
  const risk: StoredRisk = {
    ...stored,
    status: 'closed',
    closedBy: run.job,
    closedAt: run.at,
    scopes,
    history: bounded([...stored.history, entry(run, 'closed')]),
  };
  return { item: riskItem(risk, run), change: 'closed' };
}

/** An asset reported by `run`: first seen kept, last seen and attributes refreshed. Pure. */
export function observeAsset(
  stored: StoredAsset | undefined,
  reported: AssetRecord,
  run: Run,
): Record<string, unknown> & { key: string } {
  const firstSeen = stored?.firstSeen || run.at;
  const lastSeen = stored && stored.lastSeen > run.at ? stored.lastSeen : run.at;
  return {
    key: assetKey(reported),
    kind: 'asset',
    type: reported.type,
    value: reported.value,
    attributes: reported.attributes ?? {},
    source: run.job,
    updated: run.at,
    firstSeen: firstSeen < run.at ? firstSeen : run.at,
    lastSeen,
  };
}

/**
 * The lifecycle's activity for OCSF and exports: the last change that opened, updated or closed
 * the risk. Pure.
 */
export function lastChange(risk: Pick<StoredRisk, 'history' | 'status'>): RiskChange {
  const last = risk.history.at(-1)?.change;
  if (last) return last;
  return risk.status === 'closed' ? 'closed' : risk.status === 'reopened' ? 'reopened' : 'opened';
}

/**
 * The stored item of a risk `run` reported, as a first report (or, with `closed`, closed right
 * after): for seeding and benchmarks, where there is no earlier item. Pure.
 */
export function observeRiskItem(
  reported: RiskRecord,
  run: Run,
  closed = false,
): Record<string, unknown> & { key: string } {
  const opened = observeRisk(undefined, reported, run).item;
  return closed ? releaseRisk(storedRiskSchema.parse(opened), run).item : opened;
}
