/**
 * The chaos run's capability, loaded into its workers as a plugin (`scanq worker --plugin`): a
 * `noop` that also finds one asset and one risk, each stamped with the attempt that found it. The
 * audit then tells whose findings the table holds: the finding items of a job must carry the
 * attempt whose finish won (chaos-check.ts, "findings of losing attempts").
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { CapabilityDefinition } from '../../src/jobs/index.js';

/** Asset type (and risk name) the capability emits. */
export const CHAOS_FINDING = 'chaos-finding';

/** Its module, for `--plugin`. */
export const CHAOS_PLUGIN = fileURLToPath(import.meta.url);

const input = z.strictObject({});

export const chaosFinding: CapabilityDefinition<z.infer<typeof input>> = {
  name: CHAOS_FINDING,
  description: 'does nothing but find one asset and one risk stamped with its attempt (chaos runs)',
  targetKind: 'any',
  input,
  timeoutMs: 30_000,
  maxAttempts: 3,
  async run(ctx, _input, emit) {
    const asset = { type: CHAOS_FINDING, value: ctx.key };
    emit.asset({ ...asset, attributes: { attempt: ctx.attempt } });
    emit.risk({ asset, name: CHAOS_FINDING, severity: 'info', evidence: { attempt: ctx.attempt } });
    return { kind: 'done', result: { target: ctx.target, attempt: ctx.attempt } };
  },
};

/** What `--plugin` loads. */
export const capabilities = [chaosFinding];
