import { setTimeout as sleep } from 'node:timers/promises';
import type { AwsClients } from '../aws/clients.js';
import type { Config } from '../config/index.js';
import { coerceError } from '../lib/errors.js';
import type { EnqueueResult, Producer } from '../producer/index.js';
import { type Item, type TenantContext, TenantFiles, TenantTable } from '../tenancy/index.js';
import { out } from './context.js';

export interface DemoDeps {
  readonly config: Config;
  readonly clients: AwsClients;
  readonly producer: Producer;
  readonly contexts: readonly TenantContext[];
  /** Jobs per tenant. Default 25. */
  readonly jobsPerTenant?: number;
  /** Give up waiting after this long. Default 120 s. */
  readonly timeoutMs?: number;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

async function terminalJobs(table: TenantTable): Promise<Item[]> {
  const items: Item[] = [];
  for (const prefix of ['JP#', 'JF#']) {
    let cursor: string | undefined;
    do {
      const page = await table.query({
        index: 'by-status',
        sortPrefix: prefix,
        ...(cursor ? { cursor } : {}),
      });
      items.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
  }
  return items;
}

/**
 * The demo: enqueue jobs for two tenants (with a repeat that the insert rules reject), watch
 * workers finish them, then show a result, a status history, and a cross-tenant read refused.
 */
export async function runDemo(deps: DemoDeps): Promise<void> {
  const perTenant = deps.jobsPerTenant ?? 25;
  const tableDeps = { doc: deps.clients.doc, tableName: deps.config.resources.table };
  const results = new Map<string, EnqueueResult[]>();
  for (const ctx of deps.contexts) {
    const requests = Array.from({ length: perTenant }, (_, i) => ({
      capability: 'noop',
      target: `${ctx.tenant}-asset-${i}.example.com`,
      input: { sleepMs: 50 + ((i * 37) % 200) },
    }));
    const first = await deps.producer.enqueue(ctx, requests);
    const repeat = await deps.producer.enqueue(ctx, requests.slice(0, 5));
    results.set(ctx.tenant, [...first, ...repeat]);
    out(
      `${ctx.tenant}: ${first.filter((r) => r.accepted).length} jobs accepted; ` +
        `re-sent 5 → ${repeat.filter((r) => !r.accepted).length} rejected by the insert rules (already queued)`,
    );
  }
  const deadline = Date.now() + (deps.timeoutMs ?? 120_000);
  const finished = new Map<string, Item[]>();
  for (;;) {
    for (const ctx of deps.contexts)
      finished.set(ctx.tenant, await terminalJobs(new TenantTable(tableDeps, ctx)));
    const done = [...finished.values()].reduce((n, items) => n + items.length, 0);
    process.stderr.write(`\rfinished ${done}/${perTenant * deps.contexts.length}`);
    if (done >= perTenant * deps.contexts.length) break;
    if (Date.now() > deadline)
      throw new Error('demo: jobs did not finish in time (are the workers running?)');
    await sleep(300);
  }
  process.stderr.write('\n');
  out('\ntenant     passed  failed  enqueue→finish p50  p99');
  for (const [tenant, items] of finished) {
    const spans = items.map((i) => Date.parse(String(i.finished)) - Date.parse(String(i.created)));
    const passed = items.filter((i) => String(i.status).startsWith('JP#')).length;
    out(
      `${tenant.padEnd(10)} ${String(passed).padStart(6)}  ${String(items.length - passed).padStart(6)}  ` +
        `${`${percentile(spans, 50)} ms`.padStart(18)}  ${percentile(spans, 99)} ms`,
    );
  }
  const [first, second] = deps.contexts;
  const sample = first ? finished.get(first.tenant)?.[0] : undefined;
  if (!first || !sample) return;
  const buckets = {
    results: deps.config.resources.resultsBucket,
    uploads: deps.config.resources.uploadsBucket,
    quarantine: deps.config.resources.quarantineBucket,
  };
  const files = new TenantFiles({ s3: deps.clients.s3, buckets }, first);
  const result = await files.get(String(sample.resultKey));
  out(`\nstatus history of ${sample.key}:`);
  for (const h of (sample.history ?? []) as { status: string; at: string }[]) out(`  ${h.at}  ${h.status}`);
  out(`result object s3://${buckets.results}/${String(sample.resultKey)}:`);
  out(`  ${result ? Buffer.from(result.body).toString('utf8').slice(0, 300) : '(missing)'}`);
  const foreign = second ? finished.get(second.tenant)?.[0]?.resultKey : undefined;
  if (foreign) {
    const denied = await files.get(String(foreign)).then(
      () => 'READ (this would be a bug)',
      (error: unknown) => `refused: ${coerceError(error).message}`,
    );
    out(`\n${first.tenant} reading ${second?.tenant}'s result → ${denied}`);
  }
}
