/**
 * Bad messages through a real worker's admission path: sent to the stack's jobs queue, received
 * by an in-process worker (`createWorker`, built-in capabilities, the real DLQ move). After each
 * batch a valid probe job must pass (the worker is alive and working), the queue must drain, and
 * no item may appear outside the probe tenant. At the end every case is judged by where it went.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { STATUS, statusCode } from '../../src/jobs/index.js';
import { createProducer, LANE_BUCKET_KEY, type Producer } from '../../src/producer/index.js';
import { ownContext, systemContext, TenantTable } from '../../src/tenancy/index.js';
import type { Stack } from '../bench/endpoint.js';
import type { Progress } from '../bench/progress.js';
import { preview } from './fragment.js';
import { type MessageCase, messageLabel } from './message-cases.js';
import { drainDlq, type Parked, queueDepth, sendCases } from './message-sqs.js';
import { batches, TargetTally } from './tally.js';
import { tallyLog } from './watch.js';
import { startWorker } from './worker.js';

/** The tenant of the probe jobs; no fuzz message names it. */
export const PROBE_TENANT = 'fuzz-probe';
const BATCH = 50;
/**
 * Short, so a message that keeps failing reaches the DLQ by the redrive policy (5 receives) within
 * a batch's wait; long enough that a loaded emulator does not hand a message out twice.
 */
const VISIBILITY_SECONDS = 6;
const BATCH_TIMEOUT_MS = 45_000;

export interface MessageRun {
  readonly stack: Stack;
  readonly progress: Progress;
}

interface State {
  readonly parked: Parked[][];
  readonly refused: Map<number, string>;
  /** Job keys of the probes (the only jobs that may exist). */
  readonly probes: Set<string>;
  /** Items already seen outside the probes (each counted once). */
  readonly stray: Set<string>;
}

/** Waits until the probe is done, the queue empty and the DLQ drained; false if the probe never finished. */
async function settle(
  run: MessageRun,
  table: TenantTable,
  probeKey: string,
  state: State,
  timeoutMs: number,
) {
  const { clients, report } = run.stack;
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  let done = false;
  while (Date.now() < deadline) {
    const parked = await drainDlq(clients.sqs, report.dlqUrl);
    for (const p of parked) state.parked[p.index]?.push(p);
    const code = statusCode((await table.get(probeKey, { consistent: true }))?.status);
    done = code === STATUS.passed || code === STATUS.failed;
    const depth = await queueDepth(clients.sqs, report.queueUrl);
    quiet = done && depth === 0 && parked.length === 0 ? quiet + 1 : 0;
    if (quiet >= 2) return true;
    if (parked.length === 0) await sleep(150);
  }
  return done;
}

/** Items outside the probes' jobs: written for a message that should have written nothing. */
async function strayItems(run: MessageRun, state: State): Promise<string[]> {
  const found: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await run.stack.clients.doc.send(
      new ScanCommand({
        TableName: run.stack.config.resources.table,
        ProjectionExpression: '#t, #k',
        ExpressionAttributeNames: { '#t': 'tenant', '#k': 'key' },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of out.Items ?? []) {
      const id = `${String(item.tenant)} ${String(item.key)}`;
      // The probes are enqueued through the producer: their tenant's lane bucket is theirs too.
      const probeItem =
        item.tenant === PROBE_TENANT && (state.probes.has(String(item.key)) || item.key === LANE_BUCKET_KEY);
      if (!probeItem && !state.stray.has(id)) {
        state.stray.add(id);
        found.push(id);
      }
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return found;
}

/** What the batches of one run share. */
interface Batches {
  readonly run: MessageRun;
  readonly cases: readonly MessageCase[];
  readonly state: State;
  readonly tally: TargetTally;
  readonly producer: Producer;
  readonly probeTable: TenantTable;
}

/** Sends cases `[start, end)` and a probe job; true when the probe finished (the worker works). */
async function runBatch(b: Batches, start: number, end: number): Promise<boolean> {
  const { run, state, tally } = b;
  const { clients, report } = run.stack;
  for (const [i, why] of await sendCases(clients.sqs, report.queueUrl, b.cases, start, end))
    state.refused.set(i, why);
  const probeCtx = ownContext({ tenant: PROBE_TENANT, user: 'fuzzer', roles: ['service'] });
  const [probe] = await b.producer.enqueue(probeCtx, [{ capability: 'noop', target: `probe-${start}` }]);
  const probeKey = probe?.key ?? '';
  state.probes.add(probeKey);
  const alive = await settle(run, b.probeTable, probeKey, state, BATCH_TIMEOUT_MS);
  tally.ran = end;
  const label = `batch ${start}-${end - 1}`;
  if (!alive) {
    tally.crashes++;
    const detail = `probe ${probeKey} not finished in ${BATCH_TIMEOUT_MS / 1000} s`;
    tally.fail({ index: start, problem: 'stalled', label, detail, body: '' });
  }
  for (const id of await strayItems(run, state)) {
    tally.partialWrites++;
    tally.fail({
      index: start,
      problem: 'partialWrite',
      label,
      detail: `item ${id.slice(0, 200)}`,
      body: '',
    });
  }
  return alive;
}

/** Runs the message cases through one in-process worker, stopped at the end whatever happens. */
export async function runMessageTarget(run: MessageRun, cases: readonly MessageCase[]) {
  const tally = new TargetTally('messages');
  const logs = tallyLog();
  const { config, clients, report } = run.stack;
  await clients.sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: report.queueUrl,
      Attributes: { VisibilityTimeout: String(VISIBILITY_SECONDS) },
    }),
  );
  const producer = await createProducer(config, { clients, log: logs.log });
  const state: State = {
    parked: cases.map(() => []),
    refused: new Map(),
    probes: new Set(),
    stray: new Set(),
  };
  const tableDeps = { doc: clients.doc, tableName: config.resources.table };
  const probeTable = new TenantTable(tableDeps, systemContext(PROBE_TENANT, 'fuzz'));
  const b: Batches = { run, cases, state, tally, producer, probeTable };
  run.progress.phase(`messages: ${cases.length} bad messages through a worker`);
  const worker = startWorker(run.stack, logs.log, { queueVisibilityMs: VISIBILITY_SECONDS * 1000 });
  let drained = false;
  try {
    let stalls = 0;
    for (const [start, end] of batches(cases.length, BATCH)) {
      stalls = (await runBatch(b, start, end)) ? 0 : stalls + 1;
      run.progress.update(end, cases.length, `crashes ${tally.crashes}, stray items ${tally.partialWrites}`);
      // A worker that stopped working twice in a row will not come back: the rest counts as not run.
      if (stalls >= 2) break;
    }
    // Stragglers (a message that kept failing) reach the DLQ by the redrive policy.
    drained = await settle(run, probeTable, [...state.probes].at(-1) ?? '', state, BATCH_TIMEOUT_MS);
  } finally {
    await worker.stop({ drainTimeoutMs: 5_000 });
    producer.close();
  }
  judgeAll(tally, cases, state, drained);
  return { tally, logs, accounting: accountingOf(tally) };
}

type Disposition = 'dlq+reason' | 'dlq+reason, twice' | 'dlq, no reason' | 'acked' | 'unknown';

/**
 * Where a message went. Two copies, each with its reason, are at-least-once delivery (a message
 * handed out again before its first copy was deleted): nothing lost, so not a failure, but shown.
 */
function dispositionOf(parked: readonly Parked[], drained: boolean): Disposition {
  if (parked.length === 0) return drained ? 'acked' : 'unknown';
  if (!parked.every((p) => p.reason)) return 'dlq, no reason';
  return parked.length > 1 ? 'dlq+reason, twice' : 'dlq+reason';
}

const WANTED: Readonly<Record<MessageCase['expect'], readonly Disposition[]>> = {
  dlq: ['dlq+reason', 'dlq+reason, twice'],
  ack: ['acked'],
  settled: ['dlq+reason', 'dlq+reason, twice', 'acked'],
};

function judgeAll(tally: TargetTally, cases: readonly MessageCase[], state: State, drained: boolean): void {
  for (let i = 0; i < tally.ran; i++) {
    const c = cases[i];
    if (!c) continue;
    const refused = state.refused.get(i);
    if (refused) {
      tally.outcome('refused by SQS');
      continue;
    }
    const disposition = dispositionOf(state.parked[i] ?? [], drained);
    tally.outcome(`${c.expect}: ${disposition}`);
    if (!WANTED[c.expect].includes(disposition)) {
      tally.unaccounted++;
      tally.fail({
        index: i,
        problem: `${c.expect}, got ${disposition}`,
        label: messageLabel(c),
        detail: (state.parked[i] ?? []).map((p) => p.reason).join(' | '),
        body: preview(c.body),
      });
    }
  }
}

/** `DLQ with reason 1380/1380, orphans acked 120/120, …` */
function accountingOf(tally: TargetTally): string {
  const o = tally.outcomes;
  const n = (k: string) => o[k] ?? 0;
  const total = (prefix: string) =>
    Object.entries(o)
      .filter(([k]) => k.startsWith(prefix))
      .reduce((s, [, v]) => s + v, 0);
  return [
    `DLQ with reason ${n('dlq: dlq+reason') + n('dlq: dlq+reason, twice')}/${total('dlq: ')}` +
      ` (${n('dlq: dlq+reason, twice') + n('settled: dlq+reason, twice')} parked twice)`,
    `orphans acked ${n('ack: acked')}/${total('ack: ')}`,
    `odd-but-valid settled ${total('settled: ') - n('settled: dlq, no reason') - n('settled: unknown')}/${total('settled: ')}`,
    `refused by SQS ${n('refused by SQS')}`,
  ].join(', ');
}
