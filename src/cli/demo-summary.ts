import { presignedSchema } from '../api/schemas.js';
import type { AwsClients } from '../aws/index.js';
import type { Config } from '../config/index.js';
import { type JobRecord, SEVERITIES } from '../jobs/index.js';
import { coerceError } from '../lib/errors.js';
import { type Item, TenantFiles, type TenantTable } from '../tenancy/index.js';
import type { DemoApi } from './demo-api.js';
import type { DemoConsole } from './demo-progress.js';

/** Risk names listed in the summary, worst first. Default 15. */
const LISTED_RISKS = 15;

export interface SummaryDeps {
  readonly config: Config;
  readonly clients: AwsClients;
  readonly console: DemoConsole;
  readonly apiUrl: string;
  /** API clients of the main and the other tenant. */
  readonly main: DemoApi;
  readonly other: DemoApi;
  /** Jobs of each tenant, by tenant, main first. */
  readonly jobs: ReadonlyMap<string, JobRecord[]>;
  /** Findings written since then are this run's. */
  readonly started: Date;
  readonly scheduleId: string;
  readonly table: (tenant: string) => TenantTable;
}

const rank = (severity: unknown) => SEVERITIES.indexOf(severity as (typeof SEVERITIES)[number]);

/** `#asset#{type}#{value}` → `{ type, value }`. Pure. */
export function splitAssetKey(key: string): { type: string; value: string } {
  const rest = key.startsWith('#asset#') ? key.slice('#asset#'.length) : key;
  const at = rest.indexOf('#');
  return at < 0 ? { type: '', value: rest } : { type: rest.slice(0, at), value: rest.slice(at + 1) };
}

/** Risks grouped by name, worst severity first, then most frequent: `[severity, name, count, example asset]`. Pure. */
export function riskTable(
  risks: readonly Item[],
): { severity: string; name: string; count: number; example: string }[] {
  const groups = new Map<string, { severity: string; name: string; count: number; example: string }>();
  for (const risk of risks) {
    const name = String(risk.name);
    const group = groups.get(name) ?? { severity: String(risk.severity), name, count: 0, example: '' };
    group.count++;
    group.example ||= splitAssetKey(String(risk.asset)).value;
    groups.set(name, group);
  }
  return [...groups.values()].sort(
    (x, y) => rank(y.severity) - rank(x.severity) || y.count - x.count || x.name.localeCompare(y.name),
  );
}

async function since(table: TenantTable, prefix: string, started: Date): Promise<Item[]> {
  const items: Item[] = [];
  const filter = {
    expression: '#u >= :u',
    names: { '#u': 'updated' },
    values: { ':u': started.toISOString() },
  };
  let cursor: string | undefined;
  do {
    const page = await table.query({ prefix, filter, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return items;
}

function jobsSection(deps: SummaryDeps): void {
  deps.console.line('jobs');
  for (const [tenant, jobs] of deps.jobs) {
    const passed = jobs.filter((j) => j.code === 'JP').length;
    const by = new Map<string, number>();
    for (const job of jobs) by.set(job.capability, (by.get(job.capability) ?? 0) + 1);
    const spawned = jobs.filter((j) => j.source === 'system:cascade').length;
    const scheduled = jobs.filter((j) => j.source === 'system:scheduler').length;
    const kinds = [...by].map(([capability, n]) => `${capability} ${n}`).join(', ');
    const origins = [
      spawned ? `${spawned} spawned by the cascade` : '',
      scheduled ? `${scheduled} fired by the schedule` : '',
    ]
      .filter(Boolean)
      .join(', ');
    deps.console.line(
      `  ${tenant.padEnd(8)} ${passed} passed, ${jobs.length - passed} failed — ${kinds}${origins ? ` (${origins})` : ''}`,
    );
  }
}

async function findingsSection(deps: SummaryDeps, tenant: string): Promise<void> {
  const table = deps.table(tenant);
  const [risks, assets] = await Promise.all([
    since(table, '#risk#', deps.started),
    since(table, '#asset#', deps.started),
  ]);
  const bySeverity = [...SEVERITIES].reverse().flatMap((s) => {
    const n = risks.filter((r) => r.severity === s).length;
    return n > 0 ? [`${n} ${s}`] : [];
  });
  deps.console.line(`\nfindings (${tenant}): ${risks.length} risks — ${bySeverity.join(', ') || 'none'}`);
  const rows = riskTable(risks);
  const width = Math.max(0, ...rows.map((row) => row.name.length));
  for (const row of rows.slice(0, LISTED_RISKS))
    deps.console.line(
      `  ${row.severity.padEnd(8)} ${row.name.padEnd(width)}  ×${String(row.count).padEnd(3)} ${row.example}`,
    );
  if (rows.length > LISTED_RISKS) deps.console.line(`  … and ${rows.length - LISTED_RISKS} more kinds`);
  const types = new Map<string, number>();
  for (const asset of assets) types.set(String(asset.type), (types.get(String(asset.type)) ?? 0) + 1);
  deps.console.line(
    `assets discovered (${tenant}): ${[...types].map(([t, n]) => `${n} ${t}`).join(', ') || 'none'}`,
  );
}

async function resultsSection(deps: SummaryDeps, main: string, other: string): Promise<void> {
  const bucket = deps.config.resources.resultsBucket;
  deps.console.line(`\nwhere the results are (table ${deps.config.resources.table}, bucket ${bucket})`);
  const mainJobs = deps.jobs.get(main) ?? [];
  for (const job of mainJobs) {
    if (job.resultKey === undefined) continue;
    deps.console.line(`  ${job.capability.padEnd(12)} ${job.target}`);
    deps.console.line(`    s3://${bucket}/${job.resultKey}`);
  }
  const others = (deps.jobs.get(other) ?? []).filter((j) => j.resultKey !== undefined);
  deps.console.line(`  ${other}: ${others.length} result objects under s3://${bucket}/${other}/results/`);
  const posture = mainJobs.find((j) => j.capability === 'aws-posture' && j.resultKey !== undefined);
  if (!posture) return;
  const path = `/v1/jobs/${encodeURIComponent(posture.key)}/result`;
  const answer = await deps.main.expect('GET', path, presignedSchema);
  const document = await fetch(answer.body.url, {
    headers: answer.body.headers,
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await document.json().catch(() => ({}))) as { risks?: unknown[]; assets?: unknown[] };
  deps.console.line(
    `  API: GET ${deps.apiUrl}${path} → ${answer.status}, a presigned URL (expires ${answer.body.expiresAt}); ` +
      `fetched: HTTP ${document.status}, ${body.assets?.length ?? 0} assets and ${body.risks?.length ?? 0} risks`,
  );
  deps.console.line(
    `  API: GET ${deps.apiUrl}/v1/jobs?status=JP lists ${main}'s passed jobs (bearer token of ${main})`,
  );
}

/** The per-target answers a schedule run's execution item recorded (scheduler/runs.ts `RunJob`). Pure. */
export function firedJobs(run: Item): { key?: unknown; accepted?: unknown; reason?: unknown }[] {
  return Array.isArray(run.jobs)
    ? (run.jobs as { key?: unknown; accepted?: unknown; reason?: unknown }[])
    : [];
}

async function scheduleSection(deps: SummaryDeps, main: string): Promise<void> {
  const runs = await deps.table(main).query({ prefix: `#execution#schedule#${deps.scheduleId}#` });
  for (const run of runs.items) {
    const jobs = firedJobs(run);
    const what = jobs.map(
      (j) => `${String(j.key)} ${j.accepted ? 'enqueued' : `refused (${String(j.reason)})`}`,
    );
    deps.console.line(
      `\nschedule ${deps.scheduleId} fired at ${String(run.firedAt)}: ${what.join('; ') || 'no jobs'}`,
    );
  }
}

async function isolationSection(deps: SummaryDeps, main: string, other: string): Promise<void> {
  const r = deps.config.resources;
  const buckets = { results: r.resultsBucket, uploads: r.uploadsBucket, quarantine: r.quarantineBucket };
  const files = new TenantFiles({ s3: deps.clients.s3, buckets }, deps.table(main).context);
  const foreign = (deps.jobs.get(other) ?? []).find((j) => j.resultKey !== undefined)?.resultKey;
  if (typeof foreign === 'string') {
    const read = await files.get(foreign).then(
      () => 'READ (this would be a bug)',
      (error: unknown) => `refused: ${coerceError(error).message}`,
    );
    deps.console.line(`\nisolation: ${main} reading ${other}'s result object → ${read}`);
  }
  const assumed = await deps.main.request('GET', '/v1/jobs', { headers: { 'x-assume-tenant': other } });
  const code = (assumed.body as { error?: { code?: unknown } } | undefined)?.error?.code;
  deps.console.line(
    `isolation: ${main}'s token with X-Assume-Tenant: ${other} → HTTP ${assumed.status}${code ? ` ${String(code)}` : ''} (audited in both tenants)`,
  );
}

/** Prints the demo's closing summary: jobs, findings, where the results are, the schedule, isolation. */
export async function printSummary(deps: SummaryDeps): Promise<void> {
  const [main = '', other = ''] = [...deps.jobs.keys()];
  const seconds = Math.round((Date.now() - deps.started.getTime()) / 1000);
  deps.console.line(`\n── summary (demo took ${seconds} s) ──`);
  jobsSection(deps);
  await findingsSection(deps, main);
  await resultsSection(deps, main, other);
  await scheduleSection(deps, main);
  await isolationSection(deps, main, other);
}
