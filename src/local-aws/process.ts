import { type ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalAwsError } from './errors.js';

/** A local emulator process: what it serves and how to reach and stop it. */
export interface LocalProcess {
  /** `moto`, `elasticmq` or `dynamodb-local`. */
  readonly name: string;
  readonly pid: number;
  readonly url: string;
  /** Log file of a detached process. */
  readonly log?: string;
}

/** Asks the OS for a free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

export interface SpawnOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  /** Outlive this process (CLI `local-aws start`): own process group, output to `log`. */
  readonly detached: boolean;
  readonly log: string;
}

/** Starts an emulator; a non-detached one dies with this process's process group. */
export function spawnEmulator(options: SpawnOptions): ChildProcess {
  const out = openSync(options.log, 'a');
  const child = spawn(options.command, [...options.args], {
    cwd: options.cwd,
    detached: options.detached,
    stdio: ['ignore', out, out],
  });
  if (options.detached) child.unref();
  return child;
}

/** Polls `probe` until it resolves true, the child exits, or `timeoutMs` passes. */
export async function waitHealthy(
  name: string,
  probe: () => Promise<boolean>,
  child: ChildProcess,
  timeoutMs: number,
  log: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new LocalAwsError(
        'localAws.exited',
        `${name} exited during start-up (code ${child.exitCode}); see ${log}`,
      );
    }
    if (await probe().catch(() => false)) return;
    await sleep(100);
  }
  killTree(child.pid);
  throw new LocalAwsError(
    'localAws.unhealthy',
    `${name} did not become healthy within ${timeoutMs} ms; see ${log}`,
  );
}

/** True when an HTTP GET to `url` answers at all (any status below 500). */
export async function answersHttp(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await response.body?.cancel();
  return response.status < 500;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends a signal to a process group when the pid leads one, else to the process. */
export function killTree(pid: number | undefined, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (!pid) return;
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
      return;
    } catch {
      // not a group leader, or already gone: try the pid itself, then give up
    }
  }
}

/** Stops a process: SIGTERM, then SIGKILL after `graceMs`. Resolves once it is gone. */
export async function stopProcess(pid: number, graceMs = 5_000): Promise<void> {
  killTree(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) {
    killTree(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(20);
  }
}
