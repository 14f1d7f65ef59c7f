/** Enqueueing `noop` work through the real producer, waiting for it, and reading back what happened. */
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { queueDepth as sqsQueueDepth } from '../../src/aws/index.js';
import type { EnqueueResult, Producer } from '../../src/producer/index.js';
import { type Item, ownContext, systemContext, TenantTable } from '../../src/tenancy/index.js';
import type { Stack } from './endpoint.js';
import { type Timeline, timelineOf } from './stats.js';

/** A job the producer accepted. */
export interface Enqueued {
  readonly tenant: string;
  readonly key: string;
  /** When the enqueue call that sent it returned (epoch ms): its message was on the queue by then. */
  readonly sentAt?: number;
}

/** Tenants `{label}-t0 … {label}-t{count-1}`. */
export function tenantNames(label: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${label}-t${i}`);
}

/** A realistic host-like target, unique per label and index. */
export function targetOf(label: string, i: number): string {
  return `h${String(i).padStart(6, '0')}.${label}.example.com`;
}

function serviceContext(tenant: string) {
  return ownContext({ tenant, user: `bench@${tenant}`, roles: ['service'] });
}

/** Keeps what was accepted and sent; counts the rest (a benchmark must not silently lose jobs). */
function collect(
  results: readonly EnqueueResult[],
  tenant: string,
  into: Enqueued[],
  sentAt?: number,
): number {
  let problems = 0;
  for (const r of results) {
    if (r.accepted && r.enqueued)
      into.push({ tenant, key: r.key, ...(sentAt === undefined ? {} : { sentAt }) });
    else problems++;
  }
  return problems;
}

/**
 * Enqueues `count` `noop` jobs round-robin over `tenants`, in calls of `batch` jobs, `parallel`
 * calls at once. Throws when any job was rejected or not sent.
 */
export async function enqueueMany(
  producer: Producer,
  options: {
    tenants: readonly string[];
    count: number;
    label: string;
    input?: Readonly<Record<string, unknown>>;
    batch?: number;
    parallel?: number;
    onProgress?: (done: number) => void;
  },
): Promise<Enqueued[]> {
  const batch = options.batch ?? 50;
  const limit = pLimit(options.parallel ?? 4);
  const perTenant = new Map<string, number[]>();
  for (let i = 0; i < options.count; i++) {
    const tenant = options.tenants[i % options.tenants.length] ?? 'bench';
    const list = perTenant.get(tenant) ?? [];
    list.push(i);
    perTenant.set(tenant, list);
  }
  const out: Enqueued[] = [];
  let problems = 0;
  const calls: Promise<void>[] = [];
  // Calls alternate between tenants, as when several tenants submit at once.
  const rounds = Math.ceil(Math.max(...[...perTenant.values()].map((l) => l.length)) / batch);
  for (let round = 0; round < rounds; round++) {
    for (const [tenant, indexes] of perTenant) {
      const slice = indexes.slice(round * batch, (round + 1) * batch);
      if (slice.length === 0) continue;
      calls.push(
        limit(async () => {
          const requests = slice.map((n) => ({
            capability: 'noop',
            target: targetOf(options.label, n),
            ...(options.input ? { input: options.input } : {}),
          }));
          problems += collect(await producer.enqueue(serviceContext(tenant), requests), tenant, out);
          options.onProgress?.(out.length);
        }),
      );
    }
  }
  await Promise.all(calls);
  if (problems > 0) throw new Error(`${problems} of ${options.count} jobs were not accepted and sent`);
  return out;
}

/**
 * Enqueues `count` single-job calls for `tenant` at `perSecond` (on a fixed schedule, not after
 * each call), the way a light trickle of work arrives.
 */
export async function enqueuePaced(
  producer: Producer,
  options: { tenant: string; count: number; perSecond: number; label: string; offset?: number },
): Promise<Enqueued[]> {
  const out: Enqueued[] = [];
  const start = Date.now();
  const calls: Promise<void>[] = [];
  let problems = 0;
  for (let i = 0; i < options.count; i++) {
    const due = start + (i * 1000) / options.perSecond;
    await sleep(Math.max(0, due - Date.now()));
    const request = { capability: 'noop', target: targetOf(options.label, (options.offset ?? 0) + i) };
    calls.push(
      producer.enqueue(serviceContext(options.tenant), [request]).then((results) => {
        problems += collect(results, options.tenant, out, Date.now());
      }),
    );
  }
  await Promise.all(calls);
  if (problems > 0) throw new Error(`${problems} of ${options.count} paced jobs were not accepted and sent`);
  return out;
}

/** Messages in a queue (default: both lanes' queues): waiting, in flight, delayed. */
export async function queueDepth(stack: Stack, queueUrl?: string): Promise<number> {
  if (queueUrl) return sqsQueueDepth(stack.clients.sqs, queueUrl);
  const lanes = await laneDepths(stack);
  return lanes.jobs + lanes.bulk;
}

/** Messages on each lane's queue (visible, in flight and delayed). */
export async function laneDepths(stack: Stack): Promise<{ jobs: number; bulk: number }> {
  const [jobs, bulk] = await Promise.all([
    sqsQueueDepth(stack.clients.sqs, stack.report.queueUrl),
    sqsQueueDepth(stack.clients.sqs, stack.report.bulkQueueUrl),
  ]);
  return { jobs, bulk };
}

/** Every item of a tenant whose key starts with `prefix` (`#job#`, `#execution#`). */
export async function readItems(stack: Stack, tenant: string, prefix: string): Promise<Item[]> {
  const table = new TenantTable(
    { doc: stack.clients.doc, tableName: stack.config.resources.table },
    systemContext(tenant, 'bench'),
  );
  const items: Item[] = [];
  let cursor: string | undefined;
  do {
    const page = await table.query({ prefix, consistent: true, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return items;
}

/** The stored job items of `jobs`, keyed `tenant key`. */
export async function readJobs(stack: Stack, jobs: readonly Enqueued[]): Promise<Map<string, Item>> {
  const tenants = [...new Set(jobs.map((j) => j.tenant))];
  const wanted = new Set(jobs.map((j) => `${j.tenant} ${j.key}`));
  const found = new Map<string, Item>();
  for (const tenant of tenants) {
    for (const item of await readItems(stack, tenant, '#job#')) {
      const id = `${tenant} ${item.key}`;
      if (wanted.has(id)) found.set(id, item);
    }
  }
  return found;
}

/** Timelines of `jobs`; jobs without an item get none. */
export async function readTimelines(stack: Stack, jobs: readonly Enqueued[]): Promise<Timeline[]> {
  return [...(await readTimelinesByJob(stack, jobs)).values()];
}

/** Timelines of `jobs` keyed `{tenant} {key}` (as `readJobs`). */
export async function readTimelinesByJob(
  stack: Stack,
  jobs: readonly Enqueued[],
): Promise<Map<string, Timeline>> {
  const items = await readJobs(stack, jobs);
  return new Map([...items].map(([id, item]) => [id, timelineOf(item.history)]));
}

/**
 * Waits until every one of `jobs` is terminal: watches the queue (cheap) and then confirms from the
 * table. Throws after `timeoutMs` naming how many are left.
 */
export async function waitForJobs(
  stack: Stack,
  jobs: readonly Enqueued[],
  options: { timeoutMs: number; onProgress?: (done: number, total: number) => void },
): Promise<Timeline[]> {
  const deadline = Date.now() + options.timeoutMs;
  let settled = 0;
  while (Date.now() < deadline) {
    const depth = await queueDepth(stack);
    options.onProgress?.(Math.max(0, jobs.length - depth), jobs.length);
    settled = depth === 0 ? settled + 1 : 0;
    if (settled >= 2) {
      const timelines = await readTimelines(stack, jobs);
      const done = timelines.filter((t) => t.terminal !== undefined).length;
      if (done === jobs.length) return timelines;
      options.onProgress?.(done, jobs.length);
    }
    await sleep(500);
  }
  const timelines = await readTimelines(stack, jobs);
  const left = jobs.length - timelines.filter((t) => t.terminal !== undefined).length;
  throw new Error(`${left} of ${jobs.length} jobs were not finished within ${options.timeoutMs} ms`);
}
