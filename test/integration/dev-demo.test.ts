import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/local-aws/index.js';
import { runCli } from '../helpers/cli.js';

/** The whole `dev --once` run may take this long before the child is killed (it usually needs ~25 s). */
const RUN_BOUND_MS = 110_000;

describe('Command: dev --once', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'scanq-dev-'));

  afterAll(() => {
    rmSync(stateDir, { recursive: true, force: true });
  });

  it(
    'runs the demo to completion with a clean environment, prints its findings, and leaves no process behind',
    async () => {
      // Prepare: no endpoint configured, so `dev` starts (and must stop) its own moto.
      const env = {
        SCANQ_STATE_DIR: stateDir,
        SCANQ_PREFIX: `dev${randomBytes(3).toString('hex')}`,
        ...(process.env.SCANQ_MOTO ? { SCANQ_MOTO: process.env.SCANQ_MOTO } : {}),
      };

      // Act
      const run = await runCli(['dev', '--once', '--timeout', '80s'], env, RUN_BOUND_MS);

      // Assess: completed, every job settled, the cascade and the schedule ran.
      console.info(run.stdout);
      expect(run.code, run.stderr.slice(-4_000)).toBe(0);
      expect(run.stdout).toMatch(
        /acme\s+4 passed, 0 failed — .*\(1 spawned by the cascade, 1 fired by the schedule\)/,
      );
      expect(run.stdout).toMatch(/globex\s+8 passed, 0 failed — noop 8/);
      expect(run.stdout).toMatch(/POST \/v1\/accounts → 201 active/);

      // Findings of the weak account (through aws-posture) and of the http-probe the portscan spawned.
      expect(run.stdout).toMatch(/findings \(acme\): \d+ risks — /);
      expect(run.stdout).toMatch(/medium\s+s3-no-default-encryption\s+×1\s+arn:aws:s3:::demo-\d{6}-noenc/);
      expect(run.stdout).toMatch(/high\s+iam-user-no-mfa\s+×1\s+arn:aws:iam::\d{12}:user\/console-no-mfa/);
      expect(run.stdout).toMatch(/medium\s+http-missing-csp\s+×2\s+http:\/\/127\.0\.0\.1:\d+\//);
      expect(run.stdout).toMatch(/s3:\/\/dev[0-9a-f]{6}-results\/acme\/results\/\S+\.json/);
      expect(run.stdout).toMatch(/fetched: HTTP 200, \d+ assets and 14 risks/);

      // Isolation, and the generated JWT secret (64 hex digits) never printed.
      expect(run.stdout).toMatch(/acme reading globex's result object → refused/);
      expect(run.stdout).toMatch(/X-Assume-Tenant: globex → HTTP 403/);
      expect(`${run.stdout}\n${run.stderr}`).not.toMatch(/[0-9a-f]{64}/);

      // Every process it started (moto and the five services) said how it stopped, and none is alive.
      expect(run.stdout.match(/\(pid \d+\) exit 0/g)).toHaveLength(5);
      const pids = [...new Set([...run.stdout.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1])))];
      expect(pids.length).toBeGreaterThanOrEqual(6);
      expect(pids.filter((pid) => isAlive(pid))).toEqual([]);
    },
    RUN_BOUND_MS + 10_000,
  );
});
