/**
 * Capabilities written with `defineCapability`, loaded into real worker processes with
 * `scanq worker --plugin test/helpers/defined-capabilities.ts`: one that works, and one for each
 * way a capability can misbehave (throw, hang past its timeout ignoring its signal, return a
 * result that breaks its schema).
 */
import { z } from 'zod';
import { defineCapability } from '../../src/jobs/index.js';

const empty = z.strictObject({});

const ok = defineCapability({
  name: 'def-ok',
  input: z.strictObject({ n: z.number().int().default(1) }),
  result: z.strictObject({ doubled: z.number() }),
  timeout: '5s',
  async run(ctx, { n }, emit) {
    emit.asset({ type: 'host', value: ctx.target });
    return { doubled: n * 2 };
  },
});

const throws = defineCapability({
  name: 'def-throws',
  input: empty,
  timeout: '5s',
  maxAttempts: 1,
  async run() {
    throw new Error('the scanner blew up');
  },
});

const hangs = defineCapability({
  name: 'def-hangs',
  input: empty,
  timeout: '1s',
  maxAttempts: 1,
  // Ignores its signal on purpose: the attempt must end on time anyway.
  run: () => new Promise<undefined>(() => {}),
});

const badResult = defineCapability({
  name: 'def-bad-result',
  input: empty,
  result: z.strictObject({ count: z.number() }),
  timeout: '5s',
  async run() {
    return { count: 'many' } as unknown as { count: number };
  },
});

export const capabilities = [ok, throws, hangs, badResult];
