/**
 * Bad bodies against the real API server, listening on a loopback port, with a valid admin token:
 * every answer must be < 500, every `reject` case refused, the server alive after each batch, and
 * the tenant's partition unchanged by refused requests (a before/after snapshot per batch).
 */
import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import { type ApiServer, createApiServer, mintToken } from '../../src/api/index.js';
import { createProducer, type Producer } from '../../src/producer/index.js';
import { systemContext, TenantTable } from '../../src/tenancy/index.js';
import type { Stack } from '../bench/endpoint.js';
import type { Progress } from '../bench/progress.js';
import { type ApiCase, apiLabel } from './api-cases.js';
import { TENANT_PROFILE } from './api-endpoints.js';
import { type Answer, type ApiClient, describeAnswer, send, writtenKeys } from './api-http.js';
import { FuzzSetupError } from './errors.js';
import { preview } from './fragment.js';
import { batches, TargetTally } from './tally.js';
import { tallyLog } from './watch.js';

/** The tenant whose token the fuzzer holds. */
export const API_TENANT = 'fuzz-api';
/** Requests between two snapshots of the partition. */
const BATCH = 250;

export interface ApiRun {
  readonly stack: Stack;
  readonly jwtSecret: string;
  readonly concurrency: number;
  readonly progress: Progress;
}

/** Every item of the tenant's partition, as key → hash of the item. */
async function snapshot(table: TenantTable): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor: string | undefined;
  do {
    const page = await table.query({ consistent: true, ...(cursor ? { cursor } : {}) });
    for (const item of page.items) {
      out.set(String(item.key), createHash('sha1').update(JSON.stringify(item)).digest('hex'));
    }
    cursor = page.cursor;
  } while (cursor);
  return out;
}

/** Keys added, changed or removed between two snapshots. */
function changed(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k));
}

async function setUp(run: ApiRun, server: ApiServer): Promise<ApiClient> {
  const base = await server.listen({ port: 0, host: '127.0.0.1' });
  const token = await mintToken({
    secret: run.jwtSecret,
    tenant: API_TENANT,
    sub: 'fuzzer',
    roles: ['admin'],
    ttlMs: 6 * 3_600_000,
  });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const profile = await fetch(`${base}/v1/tenants/${API_TENANT}`, {
    method: 'PUT',
    headers,
    body: JSON.stringify(TENANT_PROFILE),
  });
  const provider = await fetch(`${base}/v1/providers`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: 'aws' }),
  });
  if (profile.status !== 200 || provider.status !== 201) {
    throw new FuzzSetupError(`API set-up refused: profile ${profile.status}, provider ${provider.status}`);
  }
  return { base, token, tenant: API_TENANT };
}

/** What is left on `Object.prototype` that was not there at the start (a pollution). */
function pollution(keysAtStart: readonly string[]): string[] {
  return Object.getOwnPropertyNames(Object.prototype).filter((k) => !keysAtStart.includes(k));
}

function judge(tally: TargetTally, c: ApiCase, index: number, answer: Answer, explained: Set<string>): void {
  const failure = (problem: string) =>
    tally.fail({ index, problem, label: apiLabel(c), detail: describeAnswer(answer), body: preview(c.body) });
  if (!answer.ok) {
    tally.crashes++;
    tally.outcome('no answer');
    failure('noAnswer');
    return;
  }
  tally.outcome(String(answer.status));
  tally.outcome(`${c.expect}:${answer.status < 300 ? '2xx' : answer.status < 500 ? '4xx' : '5xx'}`);
  if (answer.status >= 500) {
    tally.serverErrors++;
    failure('5xx');
    return;
  }
  if (answer.status < 300 && c.expect === 'reject') {
    tally.unaccounted++;
    failure('accepted');
  }
  for (const key of writtenKeys(c, answer.status, answer.text)) explained.add(key);
}

/** Runs the API cases; the server is stopped at the end whatever happens. */
export async function runApiTarget(run: ApiRun, cases: readonly ApiCase[]) {
  const tally = new TargetTally('api');
  const logs = tallyLog();
  const { stack, progress } = run;
  const producer: Producer = await createProducer(stack.config, { clients: stack.clients, log: logs.log });
  const server = await createApiServer(stack.config, {
    clients: stack.clients,
    producer,
    log: logs.log,
    queueUrl: stack.report.queueUrl,
  });
  const table = new TenantTable(
    { doc: stack.clients.doc, tableName: stack.config.resources.table },
    systemContext(API_TENANT, 'fuzz'),
  );
  const protoKeys = Object.getOwnPropertyNames(Object.prototype);
  progress.phase(`api: ${cases.length} bad bodies`);
  try {
    const client = await setUp(run, server);
    const limit = pLimit(run.concurrency);
    for (const [start, end] of batches(cases.length, BATCH)) {
      const before = await snapshot(table);
      const explained = new Set<string>();
      await Promise.all(
        cases
          .slice(start, end)
          .map((c, i) =>
            limit(async () => judge(tally, c, start + i, await send(client, c, start + i), explained)),
          ),
      );
      tally.ran = end;
      await checkBatch(tally, { table, before, explained, client, protoKeys, cases, start, end });
      progress.update(end, cases.length, `5xx ${tally.serverErrors}, partial writes ${tally.partialWrites}`);
    }
  } finally {
    await server.close();
    producer.close();
  }
  return { tally, logs };
}

async function checkBatch(
  tally: TargetTally,
  b: {
    table: TenantTable;
    before: Map<string, string>;
    explained: Set<string>;
    client: ApiClient;
    protoKeys: string[];
    cases: readonly ApiCase[];
    start: number;
    end: number;
  },
): Promise<void> {
  const stray = changed(b.before, await snapshot(b.table)).filter((k) => !b.explained.has(k));
  tally.partialWrites += stray.length;
  for (const key of stray) {
    // A job key carries the case id of the batch body that held it (`ok-c123-0`).
    const index = Number(/-c(\d+)-/.exec(key)?.[1] ?? b.start);
    const c = b.cases[index];
    tally.fail({
      index,
      problem: 'partialWrite',
      label: c ? apiLabel(c) : `batch ${b.start}-${b.end - 1}`,
      detail: `item ${key.slice(0, 200)} written by a refused request`,
      body: c ? preview(c.body) : '',
    });
  }
  const health = await fetch(`${b.client.base}/healthz`).catch(() => undefined);
  if (health?.status !== 200) {
    tally.crashes++;
    tally.fail({
      index: b.end - 1,
      problem: 'crash',
      label: 'GET /healthz',
      detail: `answer ${health?.status ?? 'none'}`,
      body: '',
    });
  }
  const polluted = pollution(b.protoKeys);
  if (polluted.length > 0) {
    // Reported once: later batches compare against the polluted state.
    b.protoKeys.push(...polluted);
    tally.crashes++;
    tally.fail({
      index: b.start,
      problem: 'pollution',
      label: `batch ${b.start}-${b.end - 1}`,
      detail: `Object.prototype gained ${polluted.join(', ')}`,
      body: '',
    });
  }
}
