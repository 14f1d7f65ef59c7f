import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/local-aws/index.js';
import { runCli } from '../helpers/cli.js';

describe('Command: scanq local-aws', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'scanq-state-'));
  // No AWS_ENDPOINT_URL: the command must start its own endpoint.
  const env = { SCANQ_STATE_DIR: stateDir, SCANQ_MOTO: process.env.SCANQ_MOTO ?? 'auto' };

  afterAll(async () => {
    await runCli(['local-aws', 'stop'], env);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('starts, reports healthy, bootstraps through it, and stops leaving no process behind', async () => {
    const started = await runCli(['local-aws', 'start', '--json'], env, 180_000);
    expect(started.code, started.stderr).toBe(0);
    const aws = JSON.parse(started.stdout) as {
      processes: { pid: number; url: string }[];
      env: Record<string, string>;
    };
    expect(aws.processes.length).toBeGreaterThan(0);
    const pids = aws.processes.map((p) => p.pid);
    expect(pids.every(isAlive)).toBe(true);

    const status = await runCli(['local-aws', 'status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/healthy/);

    // Without exports, commands find the running endpoint through the state file.
    const boot = await runCli(['bootstrap', '--json'], { ...env, SCANQ_PREFIX: 'clitest' });
    expect(boot.code, boot.stderr).toBe(0);
    expect((JSON.parse(boot.stdout) as { queueUrl: string }).queueUrl).toContain(aws.env.AWS_ENDPOINT_URL);

    const stopped = await runCli(['local-aws', 'stop'], env);
    expect(stopped.code).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);

    const after = await runCli(['local-aws', 'status'], env);
    expect(after.code).toBe(3);
    expect(after.stdout).toMatch(/not running/);
  });

  it('prints the export lines a shell needs', async () => {
    const started = await runCli(['local-aws', 'start'], env, 180_000);
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/^export AWS_ENDPOINT_URL=http:\/\/127\.0\.0\.1:\d+$/m);
    expect(started.stdout).toMatch(/^export AWS_REGION=us-east-1$/m);
    expect((await runCli(['local-aws', 'stop'], env)).code).toBe(0);
  });
});

describe('Command: scanq with bad configuration', () => {
  it('prints one line per problem and exits 2', async () => {
    const result = await runCli(['bootstrap'], {
      SCANQ_QUEUE_URL: 'nope',
      SCANQ_PREFIX: 'UPPER',
      LOG_LEVEL: 'loud',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
    });
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toBe('scanq: invalid configuration');
    expect(lines.slice(1).map((l) => l.trim().split(':')[0])).toEqual([
      'SCANQ_PREFIX',
      'SCANQ_QUEUE_URL',
      'LOG_LEVEL',
    ]);
  });

  it('rejects an unknown profile as a usage error', async () => {
    const result = await runCli(['local-aws', 'start', '--profile', 'turbo'], {
      AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Allowed choices are default, load/);
  });
});
