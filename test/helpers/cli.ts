import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SCANQ_BIN = fileURLToPath(new URL('../../bin/scanq.js', import.meta.url));
/** The measurement tools' entry point (bench, chaos, fuzz), as `npm run fuzz` runs it. */
export const TOOLS_BIN = fileURLToPath(new URL('../../tools/bin/scanq-tools.js', import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `scanq …` in a child process with exactly `env` (plus PATH and HOME); `bin` picks another
 * entry point (`TOOLS_BIN`).
 */
export function runCli(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
  bin = SCANQ_BIN,
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error && typeof error.code === 'number' ? error.code : error ? 1 : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
