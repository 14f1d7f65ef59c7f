/** Real `scanq worker` / `scanq sweeper` child processes for measurements, with their stats files. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { track } from '../../src/lib/index.js';
import { type CallStatsSnapshot, readCallStats } from '../instrument/call-stats.js';

const run = promisify(execFile);

/** `scanq` with the tools' instruments (call statistics, fault injection): tools/instrument/scanq.ts. */
export const SCANQ_BIN = fileURLToPath(new URL('../bin/scanq-instrumented.js', import.meta.url));

/**
 * `NODE_OPTIONS` of the image (the Dockerfile's `ENV NODE_OPTIONS="…"`), or '' without one. Child
 * processes run with it, so the bench and the chaos run measure workers as they are deployed
 * (V8's heap sizing decides most of a worker's RSS: docs/PERFORMANCE.md, "Footprint").
 */
export function imageNodeOptions(dockerfile: string): string {
  const line = /^ENV NODE_OPTIONS="([^"]*)"\s*$/m.exec(dockerfile);
  return line?.[1] ?? '';
}

let imageOptions: string | undefined;
/** The repository Dockerfile's `NODE_OPTIONS`, read once, on the first process started. */
function childNodeOptions(): string {
  imageOptions ??= imageNodeOptions(readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8'));
  return imageOptions;
}

/** Log lines kept per process for a failure report. */
const KEEP_LINES = 40;
/** Warnings and errors kept per process (pino levels 40 and up). */
const KEEP_PROBLEMS = 500;
const PROBLEM = /"level":(4|5|6)0\b/;

/** A `scanq` child process. */
export class ScanqProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Where it writes its call stats (SCANQ_CALL_STATS). */
  readonly statsFile: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #lines: string[] = [];
  /** Warning and error log lines (the first 500). */
  readonly problems: string[] = [];
  readonly #untrack: () => void;

  constructor(options: {
    name: string;
    args: readonly string[];
    env: Readonly<Record<string, string>>;
    statsDir: string;
    /** Sees every log line (e.g. to add up the sweeper's reports). */
    onLine?: (line: string) => void;
  }) {
    this.name = options.name;
    const nodeOptions = childNodeOptions();
    this.statsFile = join(options.statsDir, `${options.name}.json`);
    this.child = spawn(process.execPath, [SCANQ_BIN, ...options.args], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        LOG_LEVEL: 'info',
        ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
        ...options.env,
        SCANQ_CALL_STATS: this.statsFile,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let buffer = '';
    this.child.stderr?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const line of parts) {
        if (line.length === 0) continue;
        this.#lines.push(line);
        options.onLine?.(line);
        if (this.problems.length < KEEP_PROBLEMS && PROBLEM.test(line)) this.problems.push(line);
      }
      if (this.#lines.length > KEEP_LINES * 4) this.#lines.splice(0, this.#lines.length - KEEP_LINES * 2);
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    this.#untrack = track(`${options.name} (pid ${this.child.pid})`, async () => {
      this.child.kill('SIGKILL');
      await this.exited;
    });
    void this.exited.then(() => this.#untrack());
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last log lines (for a failure message). */
  tail(n = 10): string[] {
    return this.#lines.slice(-n);
  }

  /** Resolves once a log line contains `text` (e.g. `"worker started"`). */
  async waitFor(text: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#lines.some((l) => l.includes(text))) {
      if (!this.running) throw new Error(`${this.name} exited:\n${this.tail().join('\n')}`);
      if (Date.now() > deadline) throw new Error(`${this.name}: no "${text}" within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM (drain) and wait for the exit; SIGKILL after `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL and wait for the exit. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** The last stats the process wrote. */
  stats(): CallStatsSnapshot | undefined {
    return readCallStats(this.statsFile);
  }

  /** Current resident set size in KB (`ps`), or undefined once it has exited. */
  async rssKb(): Promise<number | undefined> {
    if (!this.running) return undefined;
    try {
      const { stdout } = await run('ps', ['-o', 'rss=', '-p', String(this.pid)]);
      const kb = Number(stdout.trim());
      return Number.isFinite(kb) && kb > 0 ? kb : undefined;
    } catch {
      return undefined;
    }
  }
}

/** Starts `count` workers and waits until each has started polling. */
export async function startWorkers(options: {
  count: number;
  concurrency: number;
  env: Readonly<Record<string, string>>;
  statsDir: string;
  label: string;
  waitTimeSeconds?: number;
}): Promise<ScanqProcess[]> {
  const args = ['worker', '--concurrency', String(options.concurrency)];
  if (options.waitTimeSeconds) args.push('--wait-time', String(options.waitTimeSeconds));
  const workers = Array.from(
    { length: options.count },
    (_, i) =>
      new ScanqProcess({
        name: `${options.label}-${i + 1}`,
        args,
        env: options.env,
        statsDir: options.statsDir,
      }),
  );
  try {
    await Promise.all(workers.map((w) => w.waitFor('"worker started"')));
  } catch (error) {
    await Promise.all(workers.map((w) => w.kill()));
    throw error;
  }
  return workers;
}
