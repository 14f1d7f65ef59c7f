/**
 * Cascade (DESIGN §5): after a job passes, jobs are spawned for its emitted assets and the
 * capabilities that match them, through the producer's conditional insert (so a child already
 * queued, running or freshly passed is not spawned again and the loop ends on its own), within
 * the tenant's cascade settings and the target policy.
 */
import {
  type AssetRecord,
  type CapabilityRegistry,
  checkJobRequest,
  hostOfTarget,
  type NewJob,
  type Resolver,
  resolveTarget,
  type TargetScope,
} from '../jobs/index.js';
import { coerceError, ScanqError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Producer } from '../producer/index.js';
import {
  ConditionFailedError,
  systemContext,
  type TenantProfile,
  type TenantTable,
} from '../tenancy/index.js';
import type { Lease } from './ports.js';

/** The tenant profile's `cascade` settings. */
export type CascadeSettings = TenantProfile['cascade'];

/** The job whose assets may spawn children. */
export interface ParentJob {
  readonly key: string;
  readonly depth: number;
  /** The job a user or schedule started; the parent itself when it has no lineage. */
  readonly root?: string;
}

/** Why spawning stopped for all of a job's matches. */
export type CascadeStop = 'disabled' | 'maxDepth' | 'maxChildren';

/** A match that was not spawned, and why (`capabilityOff`, `invalidTarget`, `maxChildren`, `policy.*`, `recentlyPassed`, …). */
export interface SkippedChild {
  readonly capability: string;
  readonly target: string;
  readonly reason: string;
}

export interface CascadePlan {
  /** Matched (asset, capability) pairs, before any rule. */
  readonly matched: number;
  /** Children to check against the policy and the children limit, in asset order, without duplicates. */
  readonly candidates: readonly NewJob[];
  readonly skipped: readonly SkippedChild[];
  readonly stop?: CascadeStop;
}

/** Every (asset, capability) pair where the capability's `match` accepts the asset. Pure. */
export function matchAssets(
  assets: readonly AssetRecord[],
  registry: CapabilityRegistry,
): { capability: string; target: string }[] {
  const capabilities = registry.names().flatMap((name) => registry.get(name) ?? []);
  return assets.flatMap((asset) =>
    capabilities
      .filter((c) => c.match?.(asset) === true)
      .map((c) => ({ capability: c.name, target: c.cascadeTarget?.(asset) ?? asset.value })),
  );
}

/**
 * Plans the children of `parent`: off when the tenant's cascade is disabled, none beyond
 * `maxDepth` (counted from the root job), only capabilities on the tenant's list, only valid
 * targets, never the parent itself, each child once. Children carry `{parent, root, depth}`.
 * Pure.
 */
export function planChildren(input: {
  parent: ParentJob;
  assets: readonly AssetRecord[];
  settings: CascadeSettings | undefined;
  registry: CapabilityRegistry;
}): CascadePlan {
  const { parent, settings, registry } = input;
  const seen = new Set([parent.key]);
  // The parent matching its own asset (a portscan's host) is the loop closing, not a child; each child once.
  const matches: { capability: string; target: string; job: NewJob | undefined }[] = [];
  for (const match of matchAssets(input.assets, registry)) {
    const checked = checkJobRequest({ capability: match.capability, target: match.target }, registry, '');
    const job = Array.isArray(checked) ? undefined : checked;
    if (job && seen.has(job.key)) continue;
    if (job) seen.add(job.key);
    matches.push({ ...match, job });
  }
  const all = (reason: string) => matches.map(({ capability, target }) => ({ capability, target, reason }));
  if (matches.length === 0) return { matched: 0, candidates: [], skipped: [] };
  if (!settings?.enabled)
    return { matched: matches.length, candidates: [], skipped: all('disabled'), stop: 'disabled' };
  const depth = parent.depth + 1;
  if (depth > settings.maxDepth) {
    return { matched: matches.length, candidates: [], skipped: all('maxDepth'), stop: 'maxDepth' };
  }
  const lineage = { parent: parent.key, root: parent.root ?? parent.key, depth };
  const candidates: NewJob[] = [];
  const skipped: SkippedChild[] = [];
  for (const { capability, target, job } of matches) {
    if (!settings.capabilities.includes(capability))
      skipped.push({ capability, target, reason: 'capabilityOff' });
    else if (!job) skipped.push({ capability, target, reason: 'invalidTarget' });
    else candidates.push({ ...job, lineage });
  }
  return { matched: matches.length, candidates, skipped };
}

/**
 * Admits candidates in order until `maxChildren` are admitted; each must pass `check` (the
 * target policy: a refusal code, or undefined). Later ones are skipped as `maxChildren` without
 * being checked.
 */
export async function admitChildren(
  candidates: readonly NewJob[],
  maxChildren: number,
  check: (job: NewJob) => Promise<string | undefined>,
): Promise<{ admitted: NewJob[]; skipped: SkippedChild[]; capped: boolean }> {
  const admitted: NewJob[] = [];
  const skipped: SkippedChild[] = [];
  for (const job of candidates) {
    const ids = { capability: job.capability, target: job.target };
    if (admitted.length >= maxChildren) {
      skipped.push({ ...ids, reason: 'maxChildren' });
      continue;
    }
    const refused = await check(job);
    if (refused) skipped.push({ ...ids, reason: refused });
    else admitted.push(job);
  }
  return { admitted, skipped, capped: skipped.some((s) => s.reason === 'maxChildren') };
}

/** At most this many spawned keys and skipped entries are kept on the parent (items are ≤ 400 KB). */
export const MAX_RECORDED = 50;

/** What the parent job records as `cascade`. */
export interface CascadeRecord {
  readonly depth: number;
  readonly spawned: readonly string[];
  readonly skipped: readonly SkippedChild[];
  readonly spawnedCount: number;
  readonly skippedCount: number;
  readonly reason?: CascadeStop;
  readonly at: string;
}

/** The `cascade` attribute of the parent, lists bounded. Pure. */
export function cascadeRecord(fields: {
  depth: number;
  spawned: readonly string[];
  skipped: readonly SkippedChild[];
  reason?: CascadeStop | undefined;
  at: Date;
}): CascadeRecord {
  return {
    depth: fields.depth,
    spawned: fields.spawned.slice(0, MAX_RECORDED),
    skipped: fields.skipped.slice(0, MAX_RECORDED),
    spawnedCount: fields.spawned.length,
    skippedCount: fields.skipped.length,
    ...(fields.reason ? { reason: fields.reason } : {}),
    at: fields.at.toISOString(),
  };
}

/** What spawning needs. */
export interface CascadeDeps {
  readonly producer: Pick<Producer, 'insert'>;
  readonly registry: CapabilityRegistry;
  /** The parent's tenant table. */
  readonly table: TenantTable;
  readonly settings: CascadeSettings | undefined;
  readonly scope: TargetScope;
  /** The parent job's logger (its lines carry tenant, key, capability and attempt). */
  readonly log: Logger;
  readonly now: () => Date;
  /** Resolver for the policy check of child targets; default the system's. */
  readonly resolve?: Resolver;
}

async function policyRefusal(deps: CascadeDeps, job: NewJob): Promise<string | undefined> {
  const kind = deps.registry.get(job.capability)?.targetKind ?? 'any';
  const host = hostOfTarget(kind, job.target);
  if (host === undefined) return undefined;
  try {
    await resolveTarget(host, deps.scope, deps.resolve ? { resolve: deps.resolve } : {});
    return undefined;
  } catch (error) {
    return error instanceof ScanqError ? error.code : 'policy.error';
  }
}

/**
 * Spawns the children of a passed job and records on it what was spawned or why not (a plain
 * update, conditional only on it still being the same run). Nothing is written when no asset
 * matched any capability. Returns the record.
 */
export async function spawnChildren(
  deps: CascadeDeps,
  parent: ParentJob & { readonly created: string },
  assets: readonly AssetRecord[],
): Promise<CascadeRecord | undefined> {
  const plan = planChildren({ parent, assets, settings: deps.settings, registry: deps.registry });
  if (plan.matched === 0) return undefined;
  const depth = parent.depth + 1;
  const admission = await admitChildren(plan.candidates, deps.settings?.maxChildren ?? 0, (job) =>
    policyRefusal(deps, job),
  );
  const spawned: string[] = [];
  const skipped = [...plan.skipped, ...admission.skipped];
  if (admission.admitted.length > 0) {
    const results = await deps.producer.insert(
      systemContext(deps.table.tenant, 'cascade'),
      admission.admitted,
    );
    for (const r of results) {
      if (r.accepted) spawned.push(r.key);
      else skipped.push({ capability: r.capability, target: r.target, reason: r.reason });
    }
  }
  const reason = plan.stop ?? (admission.capped ? 'maxChildren' : undefined);
  const record = cascadeRecord({ depth, spawned, skipped, reason, at: deps.now() });
  try {
    await deps.table.update(
      parent.key,
      { set: { cascade: record } },
      {
        condition: {
          expression: '#cc = :cc',
          names: { '#cc': 'created' },
          values: { ':cc': parent.created },
        },
      },
    );
  } catch (error) {
    // A newer run replaced the job meanwhile: this run's record no longer belongs anywhere.
    if (!(error instanceof ConditionFailedError)) throw error;
  }
  // The job's logger already names tenant, key and capability: a second `key` would repeat it.
  deps.log.info(
    { spawned: record.spawnedCount, skipped: record.skippedCount, reason: reason ?? null },
    'cascade',
  );
  return record;
}

/** What the worker's cascade hook uses. */
export interface CascadeHook {
  /** Inserts the spawned jobs (the producer's conditional insert). */
  readonly producer: Pick<Producer, 'insert'>;
  readonly registry: CapabilityRegistry;
  /** The tenant's profile (cascade settings, allowed scopes), cached. */
  readonly profileOf: (tenant: string) => Promise<TenantProfile | undefined>;
  /** Loopback targets are allowed (local development and tests only). */
  readonly allowLoopback: boolean;
  readonly now: () => Date;
}

/**
 * The worker's hook after a won `JP`: spawns children of the assets this run emitted. Risks never
 * spawn (a closed one, or an open one), nor do assets known only from earlier runs
 * (docs/FINDINGS.md). Never throws: the parent already passed, and a cascade failure is logged,
 * not retried.
 */
export async function cascadeAfterPass(
  hook: CascadeHook,
  a: { table: TenantTable; lease: Lease; log: Logger },
  assets: readonly AssetRecord[],
): Promise<void> {
  const { lease } = a;
  if (assets.length === 0) return;
  try {
    const profile = await hook.profileOf(a.table.tenant);
    await spawnChildren(
      {
        producer: hook.producer,
        registry: hook.registry,
        table: a.table,
        settings: profile?.cascade,
        scope: { allowLoopback: hook.allowLoopback, allowedScopes: profile?.allowedScopes ?? [] },
        log: a.log,
        now: hook.now,
      },
      {
        key: lease.key,
        depth: lease.record.depth,
        ...(lease.record.root === undefined ? {} : { root: lease.record.root }),
        created: lease.record.created,
      },
      assets,
    );
  } catch (error) {
    a.log.warn({ error: coerceError(error) }, 'cascade failed; the job stays passed');
  }
}
