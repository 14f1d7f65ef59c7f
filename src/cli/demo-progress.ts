import { setTimeout as sleep } from 'node:timers/promises';
import { type JobRecord, listJobs, TERMINAL } from '../jobs/index.js';
import type { TenantTable } from '../tenancy/index.js';
import { DemoError } from './demo-errors.js';

/** Plain progress lines (no terminal) come at most this often. Default 2 s. */
export const PLAIN_PROGRESS_EVERY_MS = 2_000;

/**
 * The demo's output: lines on stdout; on a terminal, one status line that updates in place (and
 * is cleared before any other line is written); without one, a plain status line now and then.
 */
export class DemoConsole {
  readonly #out: NodeJS.WriteStream;
  readonly #err: NodeJS.WriteStream;
  readonly #tty: boolean;
  #status = '';
  #lastPlain = { at: 0, text: '' };

  constructor(out: NodeJS.WriteStream = process.stdout, err: NodeJS.WriteStream = process.stderr) {
    this.#out = out;
    this.#err = err;
    this.#tty = out.isTTY === true;
  }

  #clear(): void {
    if (this.#tty && this.#status) this.#out.write('\r\x1b[2K');
  }

  #redraw(): void {
    if (this.#tty && this.#status) this.#out.write(this.#status);
  }

  /** A line on stdout. */
  line(text = ''): void {
    this.#clear();
    this.#out.write(`${text}\n`);
    this.#redraw();
  }

  /** A line on stderr (the services' output). */
  note(text: string): void {
    this.#clear();
    this.#err.write(`${text}\n`);
    this.#redraw();
  }

  /** The status line: in place on a terminal; else printed when it changed and enough time passed (or `force`). */
  status(text: string, force = false): void {
    if (this.#tty) {
      this.#status = text;
      this.#out.write(`\r\x1b[2K${text}`);
      return;
    }
    const now = Date.now();
    if (text === this.#lastPlain.text || (!force && now - this.#lastPlain.at < PLAIN_PROGRESS_EVERY_MS))
      return;
    this.#lastPlain = { at: now, text };
    this.#out.write(`${text}\n`);
  }

  /** Leaves the status line where it is and goes on below it. */
  endStatus(): void {
    if (this.#tty && this.#status) this.#out.write('\n');
    this.#status = '';
  }
}

/** Status codes always shown, in flow order; `JRA`/`JQA` are shown when present. */
const SHOWN = ['JQ', 'JR', 'JRA', 'JQA', 'JP', 'JF'];

/** `acme JQ 1 · JR 2 · JP 3 · JF 0` (JRA and JQA only when some jobs are in them). Pure. */
export function formatCounts(tenant: string, jobs: readonly JobRecord[]): string {
  const counts = new Map<string, number>();
  for (const job of jobs) counts.set(job.code, (counts.get(job.code) ?? 0) + 1);
  const parts = SHOWN.filter((code) => !code.endsWith('A') || (counts.get(code) ?? 0) > 0).map(
    (code) => `${code} ${counts.get(code) ?? 0}`,
  );
  return `${tenant} ${parts.join(' · ')}`;
}

/** Every job of a tenant (all pages). */
export async function tenantJobs(table: TenantTable): Promise<JobRecord[]> {
  const jobs: JobRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await listJobs(table, cursor ? { cursor } : {});
    jobs.push(...page.jobs);
    cursor = page.cursor;
  } while (cursor);
  return jobs;
}

/** What `watchJobs` needs. */
export interface WatchOptions {
  readonly tables: readonly TenantTable[];
  readonly console: DemoConsole;
  /** Besides every job being terminal: what else must hold (a cascade recorded, a schedule fired). */
  readonly settled: (jobs: ReadonlyMap<string, JobRecord[]>) => Promise<boolean>;
  /** Throws to stop waiting (a service died, a signal came). */
  readonly check: () => void;
  readonly timeoutMs: number;
  /** Poll period. Default 500 ms. */
  readonly everyMs?: number;
}

/**
 * Shows jobs by status per tenant until every job is terminal and `settled` holds.
 * @returns the jobs of each tenant, by tenant.
 * @throws DemoError `demo.timeout` with the last counts after `timeoutMs`.
 */
export async function watchJobs(options: WatchOptions): Promise<Map<string, JobRecord[]>> {
  const started = Date.now();
  for (;;) {
    options.check();
    const jobs = new Map<string, JobRecord[]>();
    for (const table of options.tables) jobs.set(table.tenant, await tenantJobs(table));
    options.check();
    const elapsed = Math.round((Date.now() - started) / 1000);
    const line = [...jobs].map(([tenant, items]) => formatCounts(tenant, items)).join('  |  ');
    const allDone = [...jobs.values()].every((items) => items.every((job) => TERMINAL.has(job.code)));
    if (allDone && (await options.settled(jobs))) {
      options.console.status(`${line}  (${elapsed} s)`, true);
      options.console.endStatus();
      return jobs;
    }
    options.console.status(`${line}  (${elapsed} s)`);
    if (Date.now() - started > options.timeoutMs) {
      options.console.endStatus();
      throw new DemoError(
        'demo.timeout',
        `jobs did not settle within ${options.timeoutMs / 1000} s: ${line}`,
      );
    }
    await sleep(options.everyMs ?? 500);
  }
}
