/**
 * The product as it ships, without Docker: the Dockerfile's stages replayed on the host (build with
 * dev dependencies, then a production-only install with the compiled dist/) run a job on the local
 * endpoint; and the package packed with `npm pack`, installed into a clean project, gives services a
 * `scanq/producer` that loads neither the API's nor the CLI's nor aws-posture's dependencies.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/index.js';
import { createProducer } from '../../src/producer/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { type ReplayedStage, replayDockerfile } from '../helpers/dockerfile.js';
import { serviceContext, stackEnv, tableOf } from '../helpers/stack-extras.js';
import { eventually, WorkerProcess } from '../helpers/worker-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/**
 * The base image's environment: this Node first on PATH, a HOME for npm's cache, and the machine's
 * way to the registry (a proxy, or a CA that signs the registry's certificate) where it has one.
 */
const NETWORK_ENV = [
  'NODE_EXTRA_CA_CERTS',
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
];
const BASE_ENV: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  ...Object.fromEntries(
    NETWORK_ENV.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])),
  ),
};

/** Packages the test must never see a service's `import('scanq/producer')` load. */
const NOT_IN_PRODUCER = ['fastify', 'commander', '@aws-sdk/client-ec2', '@aws-sdk/client-iam', 'tsx'];

/** Prints the package names an import loads (a module resolve hook), as JSON. */
const TRACE_SCRIPT = `
import { registerHooks } from 'node:module';
const urls = new Set();
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); urls.add(r.url); return r; } });
await import(process.argv[2]);
const names = new Set();
for (const url of urls) {
  const tail = url.split('/node_modules/')[1];
  if (!tail) continue;
  const [scope, name] = tail.split('/');
  names.add(scope.startsWith('@') ? scope + '/' + name : scope);
}
process.stdout.write(JSON.stringify([...names].sort()));
`;

describe('Package: the image and the library as they ship', () => {
  let stack: TestStack;
  let work: string;
  let image: ReplayedStage;

  beforeAll(async () => {
    stack = await createTestStack('pkg');
    work = mkdtempSync(join(tmpdir(), 'scanq-pkg-'));
    writeFileSync(join(work, 'trace.mjs'), TRACE_SCRIPT);
    const stages = replayDockerfile({
      dockerfile: join(ROOT, 'Dockerfile'),
      context: ROOT,
      root: work,
      baseEnv: BASE_ENV,
    });
    const last = [...stages.values()].at(-1);
    if (!last) throw new Error('the Dockerfile has no stage');
    image = last;
  }, 600_000);

  afterAll(async () => {
    await destroyTestStack(stack);
    rmSync(work, { recursive: true, force: true });
  });

  it('the image holds compiled JavaScript and production dependencies only, and runs as a non-root user', () => {
    // Assess
    expect(image.user).toBe('node');
    expect(image.env.NODE_ENV).toBe('production');
    expect(image.env.NODE_OPTIONS).toMatch(/^--max-semi-space-size=\d+ --max-old-space-size=\d+$/);
    expect(existsSync(join(image.workdir, 'dist', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(join(image.workdir, 'src'))).toBe(false);
    expect(existsSync(join(image.workdir, 'tools'))).toBe(false);
    const installed = readdirSync(join(image.workdir, 'node_modules'));
    for (const dev of ['tsx', 'typescript', 'vitest', 'fast-check', '@biomejs'])
      expect(installed).not.toContain(dev);
    expect(installed).toContain('fastify');
  });

  it('the image’s command tree loads neither the API, the demo, nor the EC2 and IAM clients (a worker needs none)', () => {
    // Act: what importing the CLI's commands loads (each command's heavy modules load in its action).
    const loaded = JSON.parse(
      execFileSync(
        process.execPath,
        [join(work, 'trace.mjs'), join(image.workdir, 'dist', 'cli', 'program.js')],
        {
          cwd: image.workdir,
          env: BASE_ENV,
          encoding: 'utf8',
        },
      ),
    ) as string[];

    // Assess
    expect(loaded).toContain('commander');
    expect(loaded).toContain('@aws-sdk/client-sqs');
    for (const name of ['fastify', '@aws-sdk/client-ec2', '@aws-sdk/client-iam'])
      expect(loaded).not.toContain(name);
  });

  it('the image’s entry point starts a worker that runs a job on the local endpoint', async () => {
    // Prepare
    const producer = await createProducer(stack.config, {
      clients: stack.clients,
      log: createLogger({ level: 'silent' }),
    });
    const ctx = serviceContext('image');
    const [job] = await producer.enqueue(ctx, [{ capability: 'noop', target: 'from-the-image' }]);
    producer.close();
    const [node, main] = image.command;
    expect(node).toBe('node');

    // Act: `docker run scanq worker`, as the replayed image would run it.
    const worker = new WorkerProcess(
      { ...stackEnv(stack), ...image.env, LOG_LEVEL: 'info' },
      [],
      [String(main), 'worker', '--wait-time', '1'],
      { bin: 'none' },
    );
    await worker.waitFor(/worker started/, 60_000);
    const done = await eventually(async () => {
      const item = await tableOf(stack, ctx).get(String(job?.key));
      return String(item?.status).startsWith('JP#') ? item : undefined;
    }, 60_000);
    worker.kill('SIGTERM');
    const exit = await worker.exited;

    // Assess
    expect(String(done.status)).toMatch(/^JP#/);
    expect(exit.code).toBe(0);
  }, 120_000);

  it('npm pack → npm install in a clean project: the CLI starts and scanq/producer loads no fastify, commander, EC2 or IAM client', () => {
    // Prepare: the package directory as `npm pack` sees it after `prepack` (npm run build).
    const pkg = join(work, 'package');
    mkdirSync(pkg);
    for (const file of ['package.json', 'README.md', 'bin', 'requirements-moto.txt']) {
      cpSync(join(ROOT, file), join(pkg, file), { recursive: true });
    }
    cpSync(join(image.workdir, 'dist'), join(pkg, 'dist'), { recursive: true });
    const tarball = execFileSync(
      'npm',
      ['pack', '--ignore-scripts', '--silent', '--pack-destination', work],
      {
        cwd: pkg,
        env: BASE_ENV,
        encoding: 'utf8',
      },
    ).trim();
    const consumer = join(work, 'consumer');
    mkdirSync(consumer);
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    writeFileSync(join(consumer, 'trace.mjs'), TRACE_SCRIPT);

    // Act
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, tarball)], {
      cwd: consumer,
      env: BASE_ENV,
      stdio: 'ignore',
      timeout: 300_000,
    });
    const help = execFileSync(join(consumer, 'node_modules', '.bin', 'scanq'), ['--help'], {
      env: BASE_ENV,
      encoding: 'utf8',
    });
    const loaded = JSON.parse(
      execFileSync(process.execPath, ['trace.mjs', 'scanq/producer'], {
        cwd: consumer,
        env: BASE_ENV,
        encoding: 'utf8',
      }),
    ) as string[];

    // Assess
    expect(help).toContain('worker');
    expect(help).not.toMatch(/\bbench\b|\bchaos\b|\bfuzz\b/);
    expect(loaded).toContain('scanq');
    expect(loaded).toContain('@aws-sdk/client-dynamodb');
    expect(loaded).toContain('@aws-sdk/client-sqs');
    for (const name of NOT_IN_PRODUCER) expect(loaded).not.toContain(name);
    expect(existsSync(join(consumer, 'node_modules', 'fast-check'))).toBe(false);
  }, 600_000);
});
