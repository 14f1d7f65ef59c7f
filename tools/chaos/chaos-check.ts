/**
 * The end-of-run audit of `scanq chaos`: from what is stored (job items with their history, whose
 * terminal entry is the winning attempt's execution record; result objects; DLQ messages), decide
 * for every job whether it was lost, duplicated or stuck. Pure.
 */

/** A stored job, as read back. */
export interface StoredJob {
  readonly key: string;
  readonly status?: unknown;
  readonly attempt?: unknown;
  readonly created?: unknown;
  readonly resultKey?: unknown;
  readonly history?: unknown;
}

/** Everything the audit reads, per tenant. */
export interface AuditInput {
  /** The jobs the run enqueued (`tenant`, `key`). */
  readonly expected: readonly { readonly tenant: string; readonly key: string }[];
  /** Stored jobs keyed `tenant key`. */
  readonly jobs: ReadonlyMap<string, StoredJob>;
  /** Keys of the current result objects in the results bucket (deleted ones excluded). */
  readonly resultObjects: ReadonlySet<string>;
  /** DLQ messages: the job they name, when they name one. */
  readonly dlq: readonly { readonly tenant?: string | undefined; readonly key?: string | undefined }[];
}

/** The verdict; the first three must be 0. */
export interface AuditReport {
  readonly jobs: number;
  /** Enqueued but no item, or finished without its result object. */
  readonly lost: number;
  /** More than one terminal transition. */
  readonly duplicated: number;
  /** Not terminal at the end. */
  readonly stuck: number;
  readonly passed: number;
  readonly failed: number;
  /** Jobs that needed more than one attempt. */
  readonly retried: number;
  /** Result objects of attempts that did not win (left by killed or failed attempts). */
  readonly orphanResults: number;
  /** Terminal jobs whose terminal history entry is not the execution record of their winning attempt. */
  readonly missingExecutions: number;
  /** DLQ messages naming a job that finished anyway (harmless) … */
  readonly dlqFinished: number;
  /** … and ones naming a job that did not, or naming none: these should not be there. */
  readonly dlqUnexpected: number;
  /** Up to 10 examples per problem, for the report. */
  readonly examples: Readonly<Record<string, readonly string[]>>;
}

const TERMINAL = /^(JP|JF)#/;

interface Entry {
  readonly status: string;
  readonly attempt?: unknown;
  readonly worker?: unknown;
}

function transitions(history: unknown): Entry[] {
  return (Array.isArray(history) ? history : []).filter(
    (h): h is Entry =>
      typeof h === 'object' && h !== null && typeof (h as { status?: unknown }).status === 'string',
  );
}

/** `{tenant}/results/{day}/{capability}/{hash}/` of a result key. */
export function resultPrefix(resultKey: string): string {
  return resultKey.slice(0, resultKey.lastIndexOf('/') + 1);
}

function objectsByPrefix(objects: ReadonlySet<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of objects) {
    const prefix = resultPrefix(key);
    counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
  }
  return counts;
}

/** Audits every expected job. */
export function auditChaos(input: AuditInput): AuditReport {
  const examples: Record<string, string[]> = {};
  const note = (problem: string, id: string) => {
    const list = examples[problem] ?? [];
    if (list.length < 10) list.push(id);
    examples[problem] = list;
  };
  const perPrefix = objectsByPrefix(input.resultObjects);
  const c = { lost: 0, duplicated: 0, stuck: 0, passed: 0, failed: 0, retried: 0, orphans: 0, noExec: 0 };
  const terminalIds = new Set<string>();
  for (const { tenant, key } of input.expected) {
    const id = `${tenant} ${key}`;
    const job = input.jobs.get(id);
    if (!job) {
      c.lost++;
      note('lost (no item)', id);
      continue;
    }
    if (Number(job.attempt) > 1) c.retried++;
    if (typeof job.status !== 'string' || !TERMINAL.test(job.status)) {
      c.stuck++;
      note('stuck', `${id} ${String(job.status)}`);
      continue;
    }
    terminalIds.add(id);
    if (job.status.startsWith('JP#')) c.passed++;
    else c.failed++;
    const terminals = transitions(job.history).filter((h) => h.status === 'JP' || h.status === 'JF');
    if (terminals.length > 1) {
      c.duplicated++;
      note('duplicated', id);
    }
    const resultKey = typeof job.resultKey === 'string' ? job.resultKey : undefined;
    if (!resultKey || !input.resultObjects.has(resultKey)) {
      c.lost++;
      note('lost (result object missing)', `${id} ${resultKey ?? '(no resultKey)'}`);
    } else c.orphans += (perPrefix.get(resultPrefix(resultKey)) ?? 1) - 1;
    const record = terminals.at(-1);
    // The sweeper's expiry of an async job is a JF no attempt wrote: it names no worker.
    const bySweeper = record?.status === 'JF' && !('worker' in record);
    if (!bySweeper && (record?.attempt !== Number(job.attempt) || typeof record?.worker !== 'string')) {
      c.noExec++;
      note('missing execution', id);
    }
  }
  let dlqFinished = 0;
  let dlqUnexpected = 0;
  for (const m of input.dlq) {
    if (m.tenant && m.key && terminalIds.has(`${m.tenant} ${m.key}`)) dlqFinished++;
    else {
      dlqUnexpected++;
      note('unexpected in DLQ', `${m.tenant ?? '?'} ${m.key ?? '?'}`);
    }
  }
  return {
    jobs: input.expected.length,
    lost: c.lost,
    duplicated: c.duplicated,
    stuck: c.stuck,
    passed: c.passed,
    failed: c.failed,
    retried: c.retried,
    orphanResults: c.orphans,
    missingExecutions: c.noExec,
    dlqFinished,
    dlqUnexpected,
    examples,
  };
}
