import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import {
  accountViewSchema,
  enqueueResponseSchema,
  providerViewSchema,
  scheduleViewSchema,
  tenantViewSchema,
} from '../api/schemas.js';
import type { AwsClients } from '../aws/index.js';
import type { Config } from '../config/index.js';
import { type JobRecord, jobKey } from '../jobs/index.js';
import { SEEDED_REGIONS, type SeededAccount, seedWeakAccount } from '../local-aws/demo-account.js';
import { ownContext, TenantTable } from '../tenancy/index.js';
import { DemoApi, demoToken } from './demo-api.js';
import { DemoError } from './demo-errors.js';
import { type DemoConsole, watchJobs } from './demo-progress.js';
import { firedJobs, printSummary } from './demo-summary.js';
import type { DemoTargets } from './demo-targets.js';

/** The demo's tenants: `main` gets the scans and the weak account, `other` a few noop jobs. */
export const DEMO_TENANTS = { main: 'acme', other: 'globex' } as const;

/** Noop jobs enqueued for the other tenant. */
const NOOP_JOBS = 8;

export interface DemoDeps {
  readonly config: Config;
  readonly clients: AwsClients;
  /** The API child's base URL (`http://127.0.0.1:PORT`). */
  readonly apiUrl: string;
  /** The stack's JWT secret: tokens are minted with it; it is never printed. */
  readonly jwtSecret: string;
  readonly targets: DemoTargets;
  readonly console: DemoConsole;
  /** Throws to stop the demo (a service died, a signal came). */
  readonly check: () => void;
  /** Registers what to undo when the stack stops (the seeded account's buckets). */
  readonly defer: (cleanup: () => Promise<void>) => void;
  /** Give up waiting for the jobs after this long. Default 120 s. */
  readonly timeoutMs?: number;
}

/** What the demo enqueued and must see finished. */
interface Enqueued {
  readonly portscan: string;
  readonly posture: string;
  readonly scheduleId: string;
}

async function setUpTenants(deps: DemoDeps, main: DemoApi, other: DemoApi): Promise<void> {
  const { main: a, other: b } = DEMO_TENANTS;
  await main.expect('PUT', `/v1/tenants/${a}`, tenantViewSchema, {
    body: {
      name: 'Acme (demo)',
      allowedScopes: ['127.0.0.1/32'],
      cascade: { enabled: true, maxDepth: 2, maxChildren: 10, capabilities: ['http-probe'] },
    },
  });
  await other.expect('PUT', `/v1/tenants/${b}`, tenantViewSchema, { body: { name: 'Globex (demo)' } });
  deps.console.line(
    `tenants: ${a} (scans may reach 127.0.0.1/32; cascade on for http-probe), ${b} — PUT /v1/tenants/{id}`,
  );
}

async function onboardWeakAccount(deps: DemoDeps, main: DemoApi): Promise<SeededAccount> {
  const account = await seedWeakAccount(deps.config, 'demo');
  deps.defer(() => account.destroy());
  const { buckets, users, groups } = account.assets;
  deps.console.line(
    `seeded a deliberately weak AWS account ${account.accountId} in the local endpoint ` +
      `(${buckets.length} buckets, ${users.length} IAM users, ${groups.length} security groups, ${account.planted.length} planted problems)`,
  );
  const provider = await main.expect('POST', '/v1/providers', providerViewSchema, {
    body: { name: 'aws', description: 'demo' },
  });
  const onboarded = await main.expect('POST', '/v1/accounts', accountViewSchema, {
    body: {
      provider: 'aws',
      accountId: account.accountId,
      name: 'weak demo account',
      // A role scanq assumes with an external id, as a customer would grant it.
      credentials: {
        kind: 'aws-role',
        roleArn: `arn:aws:iam::${account.accountId}:role/scanq-audit`,
        externalId: `demo-${randomBytes(8).toString('hex')}`,
      },
    },
    ok: [201],
  });
  if (onboarded.body.state !== 'active')
    throw new DemoError('demo.api', `the weak account was refused: ${onboarded.body.reason ?? 'no reason'}`);
  deps.console.line(
    `${DEMO_TENANTS.main}: onboarded it through the API: POST /v1/providers → ${provider.status}, ` +
      `POST /v1/accounts → ${onboarded.status} ${onboarded.body.state} (STS-validated role, stored in Secrets Manager)`,
  );
  return account;
}

function acceptedLine(body: z.output<typeof enqueueResponseSchema>): string {
  const reasons = [...new Set(body.results.flatMap((r) => (r.reason ? [r.reason] : [])))];
  return `${body.accepted} accepted, ${body.rejected} rejected${reasons.length > 0 ? ` (${reasons.join(', ')})` : ''}`;
}

async function enqueueScans(deps: DemoDeps, main: DemoApi, other: DemoApi, account: SeededAccount) {
  const { web, banner } = deps.targets;
  deps.console.line(
    `local targets: ${web.url} (web server without security headers), 127.0.0.1:${banner.port} (SSH banner)`,
  );
  const scans = [
    // Repeatable, so running the demo again on the same endpoint scans again.
    {
      capability: 'portscan',
      target: '127.0.0.1',
      input: { ports: [web.port, banner.port], bannerMs: 300 },
      allowRepeat: true,
    },
    {
      capability: 'aws-posture',
      target: account.accountId,
      // The local endpoint cannot backdate a key: a limit of 0 days shows the "old key" check.
      input: { accountId: account.accountId, regions: [...SEEDED_REGIONS], accessKeyMaxAgeDays: 0 },
      allowRepeat: true,
    },
  ];
  const mainAnswer = await main.expect('POST', '/v1/jobs', enqueueResponseSchema, { body: { jobs: scans } });
  deps.console.line(
    `${DEMO_TENANTS.main}: POST /v1/jobs → ${mainAnswer.status}: portscan of 127.0.0.1 (ports ${web.port}, ${banner.port}) ` +
      `and aws-posture of ${account.accountId}: ${acceptedLine(mainAnswer.body)}`,
  );
  const noops = Array.from({ length: NOOP_JOBS }, (_, i) => ({
    capability: 'noop',
    target: `host-${i + 1}.globex.example`,
    input: { sleepMs: 100 + ((i * 137) % 400) },
  }));
  const first = await other.expect('POST', '/v1/jobs', enqueueResponseSchema, { body: { jobs: noops } });
  const again = await other.expect('POST', '/v1/jobs', enqueueResponseSchema, { body: { jobs: noops } });
  deps.console.line(
    `${DEMO_TENANTS.other}: POST /v1/jobs → ${first.status}: ${NOOP_JOBS} noop jobs, ${acceptedLine(first.body)}; ` +
      `the same again → ${again.status}: ${acceptedLine(again.body)} by the insert rules`,
  );
  return { portscan: jobKey('127.0.0.1', 'portscan'), posture: jobKey(account.accountId, 'aws-posture') };
}

async function createSchedule(deps: DemoDeps, main: DemoApi): Promise<string> {
  const firstRun = new Date(Date.now() + 3_000);
  const answer = await main.expect('POST', '/v1/schedules', scheduleViewSchema, {
    body: {
      capability: 'http-probe',
      targets: [`${deps.targets.web.url}admin`],
      interval: '1h',
      startAt: firstRun.toISOString(),
    },
    ok: [201],
  });
  deps.console.line(
    `${DEMO_TENANTS.main}: POST /v1/schedules → ${answer.status}: ${answer.body.id}, http-probe of ` +
      `${answer.body.targets.join(', ')} every hour, first run at ${firstRun.toISOString().slice(11, 19)} UTC`,
  );
  return answer.body.id;
}

/**
 * True once the portscan recorded its cascade, the aws-posture scan's risks are all written (they
 * land after its JP: findings follow a won finish) and the schedule's first run is on record.
 */
function settledWhen(deps: DemoDeps, main: TenantTable, enqueued: Enqueued, plantedRisks: number) {
  return async (jobs: ReadonlyMap<string, JobRecord[]>): Promise<boolean> => {
    const portscan = jobs.get(DEMO_TENANTS.main)?.find((job) => job.key === enqueued.portscan);
    if (!portscan || (portscan.code === 'JP' && portscan.cascade === undefined)) return false;
    const posture = jobs.get(DEMO_TENANTS.main)?.find((job) => job.key === enqueued.posture);
    if (posture?.code === 'JP') {
      const risks = await main.query({ prefix: '#risk#', consistent: true, limit: 1000 });
      if (risks.items.filter((risk) => risk.lastJob === enqueued.posture).length < plantedRisks) return false;
    }
    // The scheduler writes the run's execution item after enqueueing its jobs, but `jobs` may have
    // been read before that: the run counts once the jobs it accepted are in `jobs` (so terminal).
    const runs = await main.query({ prefix: `#execution#schedule#${enqueued.scheduleId}#`, limit: 1 });
    deps.check();
    const run = runs.items[0];
    if (!run) return false;
    const known = new Set(jobs.get(DEMO_TENANTS.main)?.map((job) => job.key));
    return firedJobs(run).every(
      (job) => job.accepted !== true || (typeof job.key === 'string' && known.has(job.key)),
    );
  };
}

/**
 * The demo: two tenants set up through the API, a weak AWS account seeded and onboarded, a
 * portscan of the local targets (its web port cascades into an http-probe), an aws-posture scan,
 * noop jobs for the other tenant and a schedule that fires once; progress until everything
 * settled, then a summary of findings, results, and a cross-tenant read refused.
 * @throws DemoError when the API refuses a step, a service dies, or the jobs do not settle in time.
 */
export async function runDemo(deps: DemoDeps): Promise<void> {
  const started = new Date();
  const { main: a, other: b } = DEMO_TENANTS;
  const main = new DemoApi(deps.apiUrl, await demoToken(deps.config, deps.jwtSecret, a));
  const other = new DemoApi(deps.apiUrl, await demoToken(deps.config, deps.jwtSecret, b));
  await setUpTenants(deps, main, other);
  const account = await onboardWeakAccount(deps, main);
  deps.check();
  const keys = await enqueueScans(deps, main, other, account);
  const enqueued: Enqueued = { ...keys, scheduleId: await createSchedule(deps, main) };
  const tableDeps = { doc: deps.clients.doc, tableName: deps.config.resources.table };
  const table = (tenant: string) =>
    new TenantTable(tableDeps, ownContext({ tenant, user: `demo-admin@${tenant}`, roles: ['admin'] }));
  deps.console.line('');
  const jobs = await watchJobs({
    tables: [table(a), table(b)],
    console: deps.console,
    settled: settledWhen(deps, table(a), enqueued, account.planted.length),
    check: deps.check,
    timeoutMs: deps.timeoutMs ?? 120_000,
  });
  await printSummary({ ...deps, main, other, jobs, started, scheduleId: enqueued.scheduleId, table });
}
