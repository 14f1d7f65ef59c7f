import { z } from 'zod';
import type { CapabilityDefinition } from '../capability.js';

/** Does nothing: the engine's own cost, for benchmarks and smoke tests. */
export const noop: CapabilityDefinition<{ sleepMs?: number | undefined }> = {
  name: 'noop',
  description: 'does nothing (benchmarks, smoke tests)',
  targetKind: 'any',
  input: z.strictObject({ sleepMs: z.number().int().min(0).max(60_000).optional() }),
  timeoutMs: 30_000,
  maxAttempts: 3,
};
