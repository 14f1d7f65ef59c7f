import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LocalAwsError } from './errors.js';
import { answersHttp, freePort, type LocalProcess, spawnEmulator, waitHealthy } from './process.js';

const run = promisify(execFile);

/** moto major versions scanq is known to work with. */
const COMPATIBLE_MAJOR = 5;

/**
 * Runs moto's server and exits when the parent that started it is gone (argv[1] = parent pid,
 * 0 for a detached server), so a crashed test run leaves no orphan.
 */
const RUNNER = `
import os, sys, threading, time
parent = int(sys.argv[1])
def watch():
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)
if parent:
    threading.Thread(target=watch, daemon=True).start()
from moto.server import main
main(sys.argv[2:])
`;

export interface MotoOptions {
  /** Project root: holds `requirements-moto.txt` and `.venv`. */
  readonly root: string;
  /** `auto`: the machine's moto if compatible, else the venv; `venv`: always the venv; `system`: never install. */
  readonly mode: 'auto' | 'venv' | 'system';
  readonly detached: boolean;
  readonly logDir: string;
  /** Progress messages (installation can take a minute). */
  readonly say: (line: string) => void;
}

async function motoVersion(python: string): Promise<string | undefined> {
  try {
    const { stdout } = await run(python, ['-c', 'import moto, flask, flask_cors; print(moto.__version__)']);
    return stdout.trim();
  } catch {
    return undefined;
  }
}

const isCompatible = (version: string | undefined) => version?.split('.')[0] === String(COMPATIBLE_MAJOR);

/** Creates `.venv` and installs the pinned moto into it, once per requirements file content. */
async function ensureVenv(options: MotoOptions): Promise<string> {
  const venv = join(options.root, '.venv');
  const python = join(venv, 'bin', 'python');
  const requirements = join(options.root, 'requirements-moto.txt');
  const digest = createHash('sha256').update(readFileSync(requirements)).digest('hex').slice(0, 16);
  const marker = join(venv, `.scanq-moto-${digest}`);
  if (existsSync(marker) && existsSync(python)) return python;
  options.say(`installing pinned moto into ${venv} (first use only)…`);
  try {
    if (!existsSync(python)) await run('python3', ['-m', 'venv', venv]);
    await run(
      python,
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', requirements],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
  } catch (error) {
    throw new LocalAwsError(
      'localAws.install',
      `could not install moto into ${venv}: is Python 3 with the venv module installed and PyPI reachable?`,
      { cause: error },
    );
  }
  const version = await motoVersion(python);
  if (!isCompatible(version)) {
    throw new LocalAwsError('localAws.install', `moto in ${venv} is ${version ?? 'missing'} after install`);
  }
  writeFileSync(marker, `${version}\n`);
  return python;
}

/** Finds (or installs) a Python that can run a compatible moto. */
export async function resolveMotoPython(options: MotoOptions): Promise<{ python: string; version: string }> {
  if (options.mode !== 'venv') {
    const version = await motoVersion('python3');
    if (isCompatible(version) && version) return { python: 'python3', version };
    if (options.mode === 'system') {
      throw new LocalAwsError(
        'localAws.noMoto',
        `SCANQ_MOTO=system but python3 has no compatible moto (found ${version ?? 'none'}; need ${COMPATIBLE_MAJOR}.x with server extras)`,
      );
    }
  }
  const python = await ensureVenv(options);
  return { python, version: (await motoVersion(python)) ?? 'unknown' };
}

/** Starts moto in server mode on a free loopback port and waits until it answers. */
export async function startMoto(options: MotoOptions): Promise<LocalProcess & { version: string }> {
  const { python, version } = await resolveMotoPython(options);
  const port = await freePort();
  const log = join(options.logDir, `moto-${port}.log`);
  const parent = options.detached ? 0 : process.pid;
  const child = spawnEmulator({
    name: 'moto',
    command: python,
    args: ['-c', RUNNER, String(parent), '-H', '127.0.0.1', '-p', String(port)],
    detached: options.detached,
    log,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy('moto', () => answersHttp(`${url}/moto-api/`), child, 60_000, log);
  if (!child.pid) throw new LocalAwsError('localAws.exited', 'moto has no pid');
  return { name: 'moto', pid: child.pid, url, log, version };
}
