/** How one import ended, read back from the job, its result object and the buckets. */
import { STATUS, statusCode } from '../../src/jobs/index.js';
import type { Item, TenantFiles } from '../../src/tenancy/index.js';
import { QUARANTINE_METADATA } from '../../src/tenancy/index.js';

export type Verdict =
  | { readonly ok: true; readonly detail: string }
  | { readonly ok: false; readonly problem: string; readonly detail: string };

const bad = (problem: string, detail: string): Verdict => ({ ok: false, problem, detail });

interface ImportResult {
  readonly outcome?: unknown;
  readonly items?: unknown;
  readonly reasonCount?: unknown;
  readonly reasons?: unknown;
  readonly quarantineKey?: unknown;
}

async function resultOf(files: TenantFiles, job: Item): Promise<ImportResult | undefined> {
  if (typeof job.resultKey !== 'string') return undefined;
  const object = await files.get(job.resultKey);
  if (!object) return undefined;
  const document = JSON.parse(Buffer.from(object.body).toString('utf8')) as { result?: ImportResult };
  return document.result;
}

/** The quarantined copy exists with its reasons, and the upload is gone. */
async function quarantined(files: TenantFiles, fileKey: string, result: ImportResult): Promise<Verdict> {
  const reasons = Array.isArray(result.reasons) ? (result.reasons as { code?: unknown }[]) : [];
  if (!(Number(result.reasonCount) >= 1) || reasons.length === 0 || typeof reasons[0]?.code !== 'string') {
    return bad('noReason', `reasonCount ${String(result.reasonCount)}`);
  }
  const codes = [...new Set(reasons.map((r) => String(r.code)))].join(',');
  if (typeof result.quarantineKey !== 'string') return bad('notInQuarantine', 'no quarantineKey');
  const copy = await files.head(result.quarantineKey);
  if (!copy?.metadata?.[QUARANTINE_METADATA.codes]) {
    return bad('notInQuarantine', `${result.quarantineKey}: ${copy ? 'no reasons on it' : 'missing'}`);
  }
  if (await files.head(fileKey)) return bad('uploadLeft', `${fileKey} still in uploads`);
  return { ok: true, detail: codes };
}

/**
 * Checks that the import of `fileKey` passed with `want` as its outcome: `imported` with `items`
 * items, or `quarantined` with at least one reason, its copy in quarantine and the upload deleted.
 */
export async function checkOutcome(
  files: TenantFiles,
  job: Item | undefined,
  fileKey: string,
  want: 'imported' | 'quarantined',
  items?: number,
): Promise<Verdict> {
  if (!job) return bad('notFinished', `the import of ${fileKey} did not finish in time`);
  if (statusCode(job.status) !== STATUS.passed) {
    return bad('jobFailed', `job ${String(job.status)}: ${String(job.error ?? '').slice(0, 200)}`);
  }
  const result = await resultOf(files, job);
  if (!result) return bad('noResult', `no result object for ${String(job.key)}`);
  if (result.outcome !== want) return bad(`not ${want}`, `outcome ${String(result.outcome)}`);
  if (want === 'imported') {
    return result.items === items
      ? { ok: true, detail: `${items} items` }
      : bad('wrongCount', `${String(result.items)} items, expected ${items}`);
  }
  return quarantined(files, fileKey, result);
}
