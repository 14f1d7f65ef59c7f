import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DemoError } from './demo-errors.js';

const BIN = fileURLToPath(new URL('../../bin/scanq.js', import.meta.url));

/**
 * Preloaded into every child: once its parent is gone (the child was re-parented), it stops
 * itself with SIGTERM (a drain). Children run in their own process groups so that only `scanq dev`
 * signals them, once; without this, a `kill -9` of `scanq dev` would leave them polling forever.
 */
const WATCHDOG = `data:text/javascript,${encodeURIComponent(
  "const p=process.ppid;setInterval(()=>{if(process.ppid!==p)process.kill(process.pid,'SIGTERM')},1000).unref();",
)}`;

/** How long a stopping service may drain before it is killed. Default 15 s. */
export const STOP_GRACE_MS = 15_000;

interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

/** How a service ended when the group stopped it. */
export interface Stopped {
  readonly name: string;
  readonly pid: number;
  /** `exit 0`, `exit 130`, `SIGKILL` … */
  readonly how: string;
}

/**
 * The `scanq` child processes of `scanq dev` (api, workers, scheduler, sweeper): each output line
 * goes to `write` prefixed with the service name; an exit the group did not ask for is a failure.
 */
export class ServiceGroup {
  readonly #services: Service[] = [];
  readonly #write: (line: string) => void;
  #stopping = false;
  #failure: DemoError | undefined;
  readonly #failed: Promise<DemoError>;
  #fail: (error: DemoError) => void = () => {};

  /** @param write where prefixed output lines of the children go. */
  constructor(write: (line: string) => void) {
    this.#write = write;
    this.#failed = new Promise((resolve) => {
      this.#fail = resolve;
    });
  }

  /** Starts `scanq <args>` as `name` with exactly `env`; returns its pid. */
  start(name: string, args: readonly string[], env: Record<string, string | undefined>): number {
    const child = spawn(process.execPath, ['--import', WATCHDOG, BIN, ...args], {
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      if (stream)
        createInterface({ input: stream }).on('line', (line) => line && this.#write(`[${name}] ${line}`));
    }
    const exited = new Promise<void>((resolve) => {
      child.once('error', (error) => {
        this.#unexpected(new DemoError('demo.serviceExited', `${name} could not start`, { cause: error }));
        resolve();
      });
      child.once('exit', (code, signal) => {
        this.#unexpected(
          new DemoError(
            'demo.serviceExited',
            `${name} exited (${signal ?? `code ${code}`}) while the demo ran`,
          ),
        );
        resolve();
      });
    });
    this.#services.push({ name, child, exited });
    return child.pid ?? 0;
  }

  #unexpected(error: DemoError): void {
    if (this.#stopping || this.#failure) return;
    this.#failure = error;
    this.#fail(error);
  }

  /** The running services, in start order. */
  list(): { name: string; pid: number }[] {
    return this.#services.map((s) => ({ name: s.name, pid: s.child.pid ?? 0 }));
  }

  /** @throws DemoError `demo.serviceExited` when a service has died on its own. */
  check(): void {
    if (this.#failure) throw this.#failure;
  }

  /** Settles with the error when a service dies on its own (never, once the group is stopping). */
  failed(): Promise<DemoError> {
    return this.#failed;
  }

  /**
   * Asks every service to drain (one SIGTERM each), waits, and kills what is left after `graceMs`.
   * @param graceMs default `STOP_GRACE_MS`.
   */
  async stop(graceMs = STOP_GRACE_MS): Promise<Stopped[]> {
    this.#stopping = true;
    const running = this.#services.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
    for (const s of running) s.child.kill('SIGTERM');
    const done = new AbortController();
    const killer = sleep(graceMs, undefined, { signal: done.signal }).then(
      () => {
        for (const s of running)
          if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
      },
      () => {},
    );
    await Promise.all(running.map((s) => s.exited));
    done.abort();
    await killer;
    return this.#services.map((s) => ({
      name: s.name,
      pid: s.child.pid ?? 0,
      how: s.child.signalCode ?? `exit ${s.child.exitCode ?? '?'}`,
    }));
  }
}
