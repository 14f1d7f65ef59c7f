import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { track } from '../../src/lib/lifecycle.js';
import { SCANQ_BIN as INSTRUMENTED_BIN } from '../../tools/bench/processes.js';
import { SCANQ_BIN } from './cli.js';

export const TEST_PLUGIN = fileURLToPath(new URL('./capabilities.ts', import.meta.url));

/** A `scanq worker` child process whose JSON log lines are collected. */
export class WorkerProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #untrack: () => void;

  /**
   * `scanq worker` with the test plugin by default; `command` runs another long-lived command
   * (`sweeper`). `bin` picks the entry point: `scanq` (bin/scanq.js, the default), `instrumented`
   * (the tools' entry point, which alone reads SCANQ_FAULT_* and SCANQ_CALL_STATS), or `none`
   * (`command` starts with the script to run, e.g. an installed dist/cli/main.js).
   */
  constructor(
    env: Record<string, string>,
    args: readonly string[] = [],
    command?: readonly string[],
    options: { readonly bin?: 'scanq' | 'instrumented' | 'none' } = {},
  ) {
    const argv = command ?? ['worker', '--plugin', TEST_PLUGIN, '--wait-time', '1'];
    const bin = { scanq: [SCANQ_BIN], instrumented: [INSTRUMENTED_BIN], none: [] }[options.bin ?? 'scanq'];
    this.child = spawn(process.execPath, [...bin, ...argv, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'debug', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffer = '';
    const collect = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      this.lines.push(...parts.filter((l) => l.length > 0));
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    this.#untrack = track(`${argv[0]} process ${this.child.pid}`, async () => {
      this.child.kill('SIGKILL');
      await this.exited;
    });
    void this.exited.then(() => this.#untrack());
  }

  /** Resolves once a log line matches (e.g. 'worker started'). */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find((l) => pattern.test(l));
      if (hit) return hit;
      if (Date.now() > deadline)
        throw new Error(
          `no log line matching ${pattern} within ${timeoutMs} ms:\n${this.lines.slice(-20).join('\n')}`,
        );
      if (this.child.exitCode !== null)
        throw new Error(`worker exited (${this.child.exitCode}):\n${this.lines.slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Parsed JSON log lines. */
  json(): Record<string, unknown>[] {
    return this.lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }
}

/** Polls `check` until it returns a value that is not undefined. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
