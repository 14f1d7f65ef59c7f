import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from '../../src/api/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { runCli } from '../helpers/cli.js';
import { stackEnv } from '../helpers/stack-extras.js';
import { WorkerProcess } from '../helpers/worker-process.js';

const SECRET = 'api-cli-jwt-secret-at-least-32-bytes-long!';

describe('Command: scanq token', () => {
  it('mints a token the API verifier accepts, with the given claims and lifetime', async () => {
    const minted = await runCli(
      ['token', '--tenant', 'acme', '--sub', 'alice', '--roles', 'analyst,readonly', '--ttl', '5m'],
      {
        SCANQ_JWT_SECRET: SECRET,
      },
    );
    expect(minted.code, minted.stderr).toBe(0);
    const verifier = createVerifier({
      jwtSecret: SECRET,
      jwksUrl: undefined,
      issuer: undefined,
      audience: undefined,
    });
    await expect(verifier.verify(minted.stdout.trim())).resolves.toEqual({
      sub: 'alice',
      tenant: 'acme',
      roles: ['analyst', 'readonly'],
    });
  });

  it.each([
    {
      name: 'no secret configured',
      args: ['--tenant', 'a', '--sub', 'b', '--roles', 'admin'],
      env: {},
      code: 2,
    },
    {
      name: 'an unknown role',
      args: ['--tenant', 'a', '--sub', 'b', '--roles', 'root'],
      env: { SCANQ_JWT_SECRET: SECRET },
      code: 1,
    },
    {
      name: 'a bad lifetime',
      args: ['--tenant', 'a', '--sub', 'b', '--roles', 'admin', '--ttl', '90d'],
      env: { SCANQ_JWT_SECRET: SECRET },
      code: 2,
    },
    {
      name: 'a short secret',
      args: ['--tenant', 'a', '--sub', 'b', '--roles', 'admin'],
      env: { SCANQ_JWT_SECRET: 'short' },
      code: 2,
    },
  ])('refuses $name (exit $code) and prints no token', async ({ args, env, code }) => {
    const result = await runCli(['token', ...args], env as Record<string, string>);
    expect(result.code).toBe(code);
    expect(result.stdout).toBe('');
    expect(result.stderr.length).toBeGreaterThan(0);
  });
});

describe('Command: scanq api', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await createTestStack('apicli');
  });
  afterAll(async () => {
    await destroyTestStack(stack);
  });

  it('serves on a free port until SIGTERM, then exits 0', async () => {
    const api = new WorkerProcess(stackEnv(stack, { SCANQ_JWT_SECRET: SECRET }), ['--port', '0'], ['api']);
    const line = await api.waitFor(/scanq api listening on http:\/\/127\.0\.0\.1:\d+/);
    const base = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1] ?? '';
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/v1/jobs`)).status).toBe(401);
    api.kill('SIGTERM');
    expect(await api.exited).toEqual({ code: 0, signal: null });
  });

  it('refuses to start without a way to verify tokens (exit 2)', async () => {
    const api = new WorkerProcess(stackEnv(stack), ['--port', '0'], ['api']);
    expect((await api.exited).code).toBe(2);
    expect(api.lines.join('\n')).toContain('SCANQ_JWT_SECRET');
  });
});
