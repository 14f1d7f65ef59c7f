/**
 * Bad import files end to end: each uploaded through a presigned PUT, imported by an `import` job
 * enqueued through the producer and run by an in-process worker. Every bad file must end
 * quarantined with a reason (job passed, result `quarantined`, the copy in quarantine carrying its
 * reasons, the upload gone) and no asset may come from it. A valid control file per batch must be
 * imported, so a validator that refused everything would show.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit, { type LimitFunction } from 'p-limit';
import { STATUS, statusCode } from '../../src/jobs/index.js';
import { createProducer, type Producer } from '../../src/producer/index.js';
import { type Item, ownContext, TenantFiles, TenantTable } from '../../src/tenancy/index.js';
import type { Stack } from '../bench/endpoint.js';
import type { Progress } from '../bench/progress.js';
import { FuzzSetupError } from './errors.js';
import { controlFile, type FileCase, fileBytes, fileLabel, SEEDED, seedFile } from './file-cases.js';
import { checkOutcome, type Verdict } from './file-check.js';
import { preview } from './fragment.js';
import { batches, TargetTally } from './tally.js';
import { tallyLog } from './watch.js';
import { startWorker } from './worker.js';

export const FILES_TENANT = 'fuzz-files';
const BATCH = 50;
const CONTROL_ITEMS = 3;
const JOB_TIMEOUT_MS = 120_000;

export interface FileRun {
  readonly stack: Stack;
  readonly progress: Progress;
}

/** Uploads `bytes` as `name` through a presigned PUT; returns the key. */
async function upload(files: TenantFiles, name: string, bytes: Uint8Array): Promise<string> {
  const put = await files.presignPut('uploads', name, { contentType: 'application/json' });
  const response = await fetch(put.url, { method: 'PUT', headers: put.headers, body: bytes });
  if (!response.ok) throw new FuzzSetupError(`upload of ${name} refused: ${response.status}`);
  return put.key;
}

/** Enqueues an import job per key and waits until each is terminal; returns the stored jobs. */
async function importAll(
  producer: Producer,
  table: TenantTable,
  keys: readonly string[],
): Promise<Map<string, Item | undefined>> {
  const ctx = table.context;
  const results = await producer.enqueue(
    ctx,
    keys.map((key) => ({ capability: 'import', target: key, input: { key } })),
  );
  const jobs = new Map<string, Item | undefined>();
  const pending = new Map(results.map((r, i) => [r.key, keys[i] ?? '']));
  const deadline = Date.now() + JOB_TIMEOUT_MS;
  while (pending.size > 0 && Date.now() < deadline) {
    await Promise.all(
      [...pending].map(async ([jobKey, fileKey]) => {
        const item = await table.get(jobKey, { consistent: true });
        const code = statusCode(item?.status);
        if (code === STATUS.passed || code === STATUS.failed) {
          jobs.set(fileKey, item);
          pending.delete(jobKey);
        }
      }),
    );
    if (pending.size > 0) await sleep(250);
  }
  for (const fileKey of pending.values()) jobs.set(fileKey, undefined);
  return jobs;
}

/** Assets written by anything but the seed and control imports. */
async function strayAssets(table: TenantTable, allowed: ReadonlySet<string>): Promise<Item[]> {
  const out: Item[] = [];
  let cursor: string | undefined;
  do {
    const page = await table.query({ prefix: '#asset#', consistent: true, ...(cursor ? { cursor } : {}) });
    out.push(...page.items.filter((a) => !allowed.has(String(a.source))));
    cursor = page.cursor;
  } while (cursor);
  return out;
}

/** What the batches of one run share. */
interface Imports {
  readonly cases: readonly FileCase[];
  readonly files: TenantFiles;
  readonly table: TenantTable;
  readonly producer: Producer;
  readonly tally: TargetTally;
  /** Job keys whose assets are legitimate: the seed's and the control files'. */
  readonly legit: Set<string>;
  readonly limit: LimitFunction;
}

/** Imports the seed file (assets a bad file may repeat); the run stops if it is not imported. */
async function seed(im: Imports): Promise<void> {
  const key = await upload(im.files, 'seed.json', Buffer.from(seedFile()));
  const jobs = await importAll(im.producer, im.table, [key]);
  const verdict = await checkOutcome(im.files, jobs.get(key), key, 'imported', SEEDED.length);
  if (!verdict.ok) throw new FuzzSetupError(`the seed file was not imported: ${verdict.detail}`);
  im.legit.add(String(jobs.get(key)?.key));
}

/** Uploads and imports cases `[start, end)` and a control file, then judges each. */
async function runBatch(im: Imports, start: number, end: number): Promise<void> {
  const { files, tally, limit } = im;
  const control = await upload(
    files,
    `control-${start}.json`,
    Buffer.from(controlFile(`b${start}`, CONTROL_ITEMS)),
  );
  const keys = await Promise.all(
    im.cases
      .slice(start, end)
      .map((c, i) => limit(() => upload(files, `c${start + i}.json`, fileBytes(c, `c${start + i}`)))),
  );
  const jobs = await importAll(im.producer, im.table, [control, ...keys]);
  im.legit.add(String(jobs.get(control)?.key));
  const controlVerdict = await checkOutcome(files, jobs.get(control), control, 'imported', CONTROL_ITEMS);
  if (controlVerdict.ok) tally.outcome('control imported');
  else {
    tally.unaccounted++;
    tally.fail({
      index: start,
      problem: 'controlNotImported',
      label: `control file of batch ${start}`,
      detail: controlVerdict.detail,
      body: '',
    });
  }
  const verdicts = await Promise.all(
    keys.map((key) => limit(() => checkOutcome(files, jobs.get(key), key, 'quarantined'))),
  );
  for (const [i, verdict] of verdicts.entries()) judge(tally, im.cases, start + i, verdict);
  tally.ran = end;
  for (const asset of await strayAssets(im.table, im.legit)) {
    tally.partialWrites++;
    // The asset's source is its job's key, which holds the file name `c{index}.json`.
    const index = Number(/\/c(\d+)\.json/.exec(String(asset.source))?.[1] ?? start);
    const c = im.cases[index];
    tally.fail({
      index,
      problem: 'partialWrite',
      label: c ? fileLabel(c) : 'unknown',
      detail: `${String(asset.key)} from ${String(asset.source)}`,
      body: c?.content.t === 'text' ? preview(c.content.body) : '',
    });
    im.legit.add(String(asset.source));
  }
}

/** Runs the file cases; the worker is stopped at the end whatever happens. */
export async function runFileTarget(run: FileRun, cases: readonly FileCase[]) {
  const tally = new TargetTally('files');
  const logs = tallyLog();
  const { config, clients } = run.stack;
  const r = config.resources;
  const ctx = ownContext({ tenant: FILES_TENANT, user: 'fuzzer', roles: ['service'] });
  const buckets = { results: r.resultsBucket, uploads: r.uploadsBucket, quarantine: r.quarantineBucket };
  const producer = await createProducer(config, { clients, log: logs.log });
  const im: Imports = {
    cases,
    files: new TenantFiles({ s3: clients.s3, buckets }, ctx),
    table: new TenantTable({ doc: clients.doc, tableName: r.table }, ctx),
    producer,
    tally,
    legit: new Set(),
    limit: pLimit(8),
  };
  run.progress.phase(`files: ${cases.length} bad import files`);
  const worker = startWorker(run.stack, logs.log);
  try {
    await seed(im);
    for (const [start, end] of batches(cases.length, BATCH)) {
      await runBatch(im, start, end);
      run.progress.update(
        end,
        cases.length,
        `not quarantined ${tally.unaccounted}, stray assets ${tally.partialWrites}`,
      );
    }
  } finally {
    await worker.stop({ drainTimeoutMs: 5_000 });
    producer.close();
  }
  const n = (k: string) => tally.outcomes[k] ?? 0;
  return {
    tally,
    logs,
    accounting: `quarantined with a reason ${n('quarantined')}/${tally.ran}, control files imported ${n('control imported')}`,
  };
}

function judge(tally: TargetTally, cases: readonly FileCase[], index: number, verdict: Verdict): void {
  const c = cases[index];
  if (!c) return;
  tally.outcome(verdict.ok ? 'quarantined' : verdict.problem);
  if (verdict.ok) return;
  tally.unaccounted++;
  tally.fail({
    index,
    problem: verdict.problem,
    label: fileLabel(c),
    detail: verdict.detail,
    body: c.content.t === 'text' ? preview(c.content.body) : c.content.t,
  });
}
