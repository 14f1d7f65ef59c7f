import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { CapabilityDefinition } from '../capability.js';

/** Does nothing (optionally for `sleepMs`): the engine's own cost, for benchmarks and smoke tests. */
export const noop: CapabilityDefinition<{ sleepMs?: number | undefined }> = {
  name: 'noop',
  description: 'does nothing (benchmarks, smoke tests)',
  targetKind: 'any',
  input: z.strictObject({ sleepMs: z.number().int().min(0).max(60_000).optional() }),
  timeoutMs: 30_000,
  maxAttempts: 3,
  findings: false,
  async run(ctx, input) {
    if (input.sleepMs) await sleep(input.sleepMs, undefined, { signal: ctx.signal });
    return { kind: 'done', result: { target: ctx.target, slept: input.sleepMs ?? 0 } };
  },
};
