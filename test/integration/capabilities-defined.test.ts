import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCapabilities } from '../../src/jobs/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { createProducer, type EnqueueAccepted, type Producer } from '../../src/producer/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { testRegistry } from '../helpers/capabilities.js';
import { capabilities } from '../helpers/defined-capabilities.js';
import { readResult, serviceContext, stackEnv, tableOf } from '../helpers/stack-extras.js';
import { eventually, WorkerProcess } from '../helpers/worker-process.js';

const DEFINED = fileURLToPath(new URL('../helpers/defined-capabilities.ts', import.meta.url));

/**
 * Capabilities made with `defineCapability` and loaded with `--plugin`, in a real worker process:
 * one that works, and one that throws, one that hangs past its timeout and one whose result breaks
 * its schema — each fails its job with a reason naming what went wrong, and the worker keeps going.
 */
describe('Function: defineCapability — misbehaving capabilities in a real worker', () => {
  let stack: TestStack;
  let producer: Producer;
  let worker: WorkerProcess;

  beforeAll(async () => {
    stack = await createTestStack('defcap');
    const registry = testRegistry();
    registerCapabilities(registry, capabilities, 'test');
    producer = await createProducer(stack.config, {
      clients: stack.clients,
      log: createLogger({ level: 'silent' }),
      registry,
    });
    worker = new WorkerProcess(stackEnv(stack), [], ['worker', '--plugin', DEFINED, '--wait-time', '1']);
    await worker.waitFor(/worker started/);
  });
  afterAll(async () => {
    worker.kill('SIGTERM');
    await worker.exited;
    producer.close();
    await destroyTestStack(stack);
  });

  it('fails each misbehaving job with a clear reason, and the worker runs the next job', async () => {
    // Prepare
    const ctx = serviceContext('defcap');
    const jobs = (await producer.enqueue(ctx, [
      { capability: 'def-throws', target: 't1' },
      { capability: 'def-hangs', target: 't2' },
      { capability: 'def-bad-result', target: 't3' },
    ])) as EnqueueAccepted[];
    const table = tableOf(stack, ctx);
    const ended = (key: string) =>
      eventually(
        async () => {
          const item = await table.get(key, { consistent: true });
          return /^J[PF]#/.test(String(item?.status)) ? item : undefined;
        },
        30_000,
        `${key} to end`,
      );

    // Act
    const [thrown, hung, bad] = await Promise.all(jobs.map((j) => ended(j.key)));
    const [after] = (await producer.enqueue(ctx, [
      { capability: 'def-ok', target: 't4', input: { n: 21 } },
    ])) as EnqueueAccepted[];
    const passed = await ended(String(after?.key));

    // Assess
    expect(String(thrown?.status)).toMatch(/^JF#/);
    expect(thrown?.error).toBe('gave up after 1 attempts: the scanner blew up');
    expect(String(hung?.status)).toMatch(/^JF#/);
    expect(hung?.error).toBe('gave up after 1 attempts: capability def-hangs timed out after 1000 ms');
    expect(String(bad?.status)).toMatch(/^JF#/);
    expect(bad?.error).toBe(
      'capability def-bad-result returned a bad result: count: Invalid input: expected number, received string',
    );
    expect(String(passed?.status)).toMatch(/^JP#/);
    expect(await readResult(stack, String(passed?.resultKey))).toMatchObject({ result: { doubled: 42 } });
    expect(worker.child.exitCode).toBeNull();
  });

  it('refuses a malformed capability module at start-up with one line naming it', async () => {
    // `registerCapabilities` checks before registering: a second definition of a built-in's name.
    const registry = testRegistry();
    expect(() => registerCapabilities(registry, [{ ...capabilities[0], name: 'noop' }], 'm.ts')).toThrow(
      'm.ts: capability noop is already registered',
    );
    expect(() => registerCapabilities(registry, [{ name: 'x-y', run: 1 }], 'm.ts')).toThrow(
      'm.ts: capability 0: run: not a function',
    );
  });
});
