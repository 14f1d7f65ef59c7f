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

/** An asset or risk item as read back: the job that found it (`source`) and the attempt stamped on it. */
export interface StoredFinding {
  readonly tenant: string;
  /** The item's key (`#asset#…`, `#risk#…`). */
  readonly key: string;
  readonly source?: unknown;
  /** The attempt the capability stamped on it (chaos-capability.ts). */
  readonly attempt?: unknown;
}

/** An event taken off the topic (chaos-events.ts); fields absent when the body lacked them. */
export interface ObservedEvent {
  readonly type?: string | undefined;
  readonly tenant?: string | undefined;
  readonly key?: string | undefined;
  readonly status?: string | undefined;
  readonly attempt?: number | undefined;
  readonly resultKey?: string | undefined;
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
  /** Asset and risk items of the tenants. */
  readonly findings: readonly StoredFinding[];
  /** Every event published on the run's topic; undefined when they could not be watched. */
  readonly events?: readonly ObservedEvent[] | undefined;
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
  /**
   * Asset and risk items of attempts that did not win: stamped with another attempt than the one
   * whose finish the job records, found for a job that did not pass, or naming no audited job.
   */
  readonly losingFindings: number;
  /** Asset and risk items audited. */
  readonly findings: number;
  /**
   * Job events of attempts that did not win (another attempt or result object than the job
   * records, or a job that is not terminal or not audited); undefined when events were not watched.
   */
  readonly losingEvents: number | undefined;
  /** Job events seen on the topic; undefined when not watched. */
  readonly events: number | undefined;
  /** Terminal jobs with no event (a worker killed between its finish and its publish). */
  readonly jobsWithoutEvent: number | undefined;
  /** Events of a winning attempt seen more than once (a publish retried after it took effect). */
  readonly repeatedEvents: number | undefined;
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
  const findings = auditFindings(input, note);
  const events = input.events ? auditEvents(input, input.events, terminalIds, note) : undefined;
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
    losingFindings: findings,
    findings: input.findings.length,
    losingEvents: events?.losing,
    events: events?.seen,
    jobsWithoutEvent: events?.jobsWithout,
    repeatedEvents: events?.repeated,
    dlqFinished,
    dlqUnexpected,
    examples,
  };
}

type Note = (problem: string, id: string) => void;

/** The attempt whose finish a terminal job records (its last terminal history entry's), if any. */
function winningAttempt(job: StoredJob | undefined): number | undefined {
  if (typeof job?.status !== 'string' || !TERMINAL.test(job.status)) return undefined;
  const record = transitions(job.history)
    .filter((h) => h.status === 'JP' || h.status === 'JF')
    .at(-1);
  return typeof record?.attempt === 'number' ? record.attempt : Number(job.attempt);
}

/** Findings that are not the winning attempt's: only a passed job's winner writes findings. */
function auditFindings(input: AuditInput, note: Note): number {
  let losing = 0;
  for (const f of input.findings) {
    const job = typeof f.source === 'string' ? input.jobs.get(`${f.tenant} ${f.source}`) : undefined;
    const passed = typeof job?.status === 'string' && job.status.startsWith('JP#');
    if (!passed || Number(f.attempt) !== winningAttempt(job)) {
      losing++;
      note('finding of a losing attempt', `${f.tenant} ${f.key} (attempt ${String(f.attempt)})`);
    }
  }
  return losing;
}

/** Job events that are not the winning attempt's, terminal jobs without one, and repeats. */
function auditEvents(
  input: AuditInput,
  events: readonly ObservedEvent[],
  terminalIds: ReadonlySet<string>,
  note: Note,
) {
  let losing = 0;
  let repeated = 0;
  const seen = new Set<string>();
  for (const e of events) {
    // Only job events carry an attempt; other types (an import's quarantine) are no attempt's.
    if (e.type !== undefined && e.type !== 'job.finished') continue;
    const id = `${e.tenant ?? '?'} ${e.key ?? '?'}`;
    const job = input.jobs.get(id);
    const winner = winningAttempt(job);
    const resultKey = typeof job?.resultKey === 'string' ? job.resultKey : undefined;
    if (winner === undefined || e.attempt !== winner || e.resultKey !== resultKey) {
      losing++;
      note('event of a losing attempt', `${id} (attempt ${String(e.attempt)}, ${e.status ?? '?'})`);
    } else if (seen.has(id)) repeated++;
    else seen.add(id);
  }
  let jobsWithout = 0;
  for (const id of terminalIds) {
    if (seen.has(id)) continue;
    jobsWithout++;
    note('finished without an event', id);
  }
  return { seen: events.length, losing, jobsWithout, repeated };
}
