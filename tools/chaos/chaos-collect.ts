/** Reads back everything the chaos audit needs: job items (with their history), result objects, the DLQ. */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { listDlq } from '../../src/workers/index.js';
import type { Stack } from '../bench/endpoint.js';
import { type Enqueued, readItems } from '../bench/workload.js';
import type { AuditInput, ObservedEvent, StoredFinding, StoredJob } from './chaos-check.js';

/** Current (not deleted) object keys under `prefix` in the results bucket. */
async function listResults(stack: Stack, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await stack.clients.s3.send(
      new ListObjectsV2Command({
        Bucket: stack.config.resources.resultsBucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

/** The attempt stamped on a finding item: an asset's `attributes.attempt`, a risk's `evidence.attempt`. */
function stampedAttempt(item: Readonly<Record<string, unknown>>): unknown {
  const stamp = item.attributes ?? item.evidence;
  return typeof stamp === 'object' && stamp !== null ? (stamp as { attempt?: unknown }).attempt : undefined;
}

/**
 * Reads the stored state of `expected`'s tenants; `events` are the topic's (undefined when they
 * could not be watched).
 */
export async function collectAudit(
  stack: Stack,
  expected: readonly Enqueued[],
  events?: readonly ObservedEvent[],
): Promise<AuditInput> {
  const tenants = [...new Set(expected.map((e) => e.tenant))];
  const jobs = new Map<string, StoredJob>();
  const resultObjects = new Set<string>();
  const findings: StoredFinding[] = [];
  for (const tenant of tenants) {
    for (const item of await readItems(stack, tenant, '#job#')) jobs.set(`${tenant} ${item.key}`, item);
    for (const key of await listResults(stack, `${tenant}/results/`)) resultObjects.add(key);
    for (const prefix of ['#asset#', '#risk#']) {
      for (const item of await readItems(stack, tenant, prefix)) {
        findings.push({ tenant, key: item.key, source: item.source, attempt: stampedAttempt(item) });
      }
    }
  }
  const dlq = await listDlq(stack.clients.sqs, stack.report.dlqUrl, { max: 10_000 });
  return {
    expected,
    jobs,
    resultObjects,
    dlq: dlq.map((m) => ({ tenant: m.tenant, key: m.key })),
    findings,
    events,
  };
}

/** How many of `expected` are terminal now (for progress). */
export async function countTerminal(stack: Stack, expected: readonly Enqueued[]): Promise<number> {
  const wanted = new Set(expected.map((e) => `${e.tenant} ${e.key}`));
  let done = 0;
  for (const tenant of new Set(expected.map((e) => e.tenant))) {
    for (const item of await readItems(stack, tenant, '#job#')) {
      if (wanted.has(`${tenant} ${item.key}`) && /^(JP|JF)#/.test(String(item.status))) done++;
    }
  }
  return done;
}
