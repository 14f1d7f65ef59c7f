import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testEnv } from '../helpers/aws.js';
import { runCli, TOOLS_BIN } from '../helpers/cli.js';

/** The pinned Schemathesis of scripts/ensure-schemathesis.sh (CI installs it in .ci/run). */
const VERSION = /SCANQ_SCHEMATHESIS_VERSION:-([\d.]+)/.exec(
  readFileSync(fileURLToPath(new URL('../../scripts/ensure-schemathesis.sh', import.meta.url)), 'utf8'),
)?.[1];
const ST = fileURLToPath(new URL(`../../.tools/schemathesis-${VERSION}/bin/st`, import.meta.url));
/** Outside CI a machine without Schemathesis skips; in CI a missing one fails. */
const skip = !existsSync(ST) && !process.env.CI;

describe('Command: fuzz-api (smoke)', () => {
  it.skipIf(skip)(
    'runs Schemathesis from the API document over the job and upload operations: no 5xx, no undocumented status, no schema break',
    async () => {
      // Prepare / Act: `npm run fuzz:api` in small, against this run's endpoint.
      const cli = await runCli(
        // The job and upload operations: bodies, path keys, cursors, multipart (the full run is npm run fuzz:api).
        [
          'fuzz-api',
          '--max-examples',
          '3',
          // One worker: Hypothesis builds its filters through CPython's `ast`, which is not
          // thread-safe on Python 3.11 (tools/fuzz/schemathesis.ts); a clean-clone run with two
          // once counted a run error with no failed check.
          '--workers',
          '1',
          '--seed',
          '1',
          '--paths',
          '^/v1/(jobs|uploads)',
          '--st',
          ST,
          '--quiet',
        ],
        testEnv(),
        150_000,
        TOOLS_BIN,
      );

      // Assess
      const summary = cli.stdout.trimEnd().split('\n').slice(-4);
      process.stdout.write(`${summary.join('\n')}\n`);
      expect(cli.code, `${cli.stdout.slice(-3000)}\n${cli.stderr.slice(-3000)}`).toBe(0);
      expect(summary.at(-1)).toBe('fuzz:api OK');
      const counted = /schemathesis: (\d+) cases over (\d+) operations/.exec(summary.join('\n'));
      expect(Number(counted?.[1])).toBeGreaterThanOrEqual(100);
      expect(Number(counted?.[2])).toBeGreaterThanOrEqual(8);
      expect(summary.join('\n')).toContain('failed checks: 0 (none); run errors: 0');
    },
    180_000,
  );
});
