import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import type { CapabilityDefinition } from '../capability.js';

/** Longest sleep a job may ask for (ms); the capability's timeout leaves room above it. */
export const MAX_SLEEP_MS = 60_000;

/**
 * `sleep`: waits `ms` (default 1000, at most 60000), honouring the abort signal — for heartbeat,
 * drain and benchmark runs that need jobs of a known length.
 */
export const sleep: CapabilityDefinition<{ ms: number }> = {
  name: 'sleep',
  description: 'sleeps for `ms` (heartbeat, drain and benchmark runs)',
  targetKind: 'any',
  input: z.strictObject({ ms: z.number().int().min(0).max(MAX_SLEEP_MS).default(1_000) }),
  timeoutMs: MAX_SLEEP_MS + 5_000,
  maxAttempts: 3,
  findings: false,
  async run(ctx, input) {
    const started = Date.now();
    try {
      await delay(input.ms, undefined, { signal: ctx.signal });
    } catch (error) {
      // Report why it stopped (timeout, drain), not the timer's generic AbortError.
      ctx.signal.throwIfAborted();
      throw error;
    }
    return {
      kind: 'done',
      result: { target: ctx.target, slept_ms: input.ms, elapsed_ms: Date.now() - started },
    };
  },
};
