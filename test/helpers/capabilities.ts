/**
 * Capabilities for worker tests, loaded into real worker processes with
 * `scanq worker --plugin test/helpers/capabilities.ts`.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { z } from 'zod';
import {
  builtinCapabilities,
  type CapabilityDefinition,
  type CapabilityRegistry,
  PermanentError,
  TransientError,
} from '../../src/jobs/index.js';

const fail: CapabilityDefinition<Record<string, never>> = {
  name: 'test-fail',
  description: 'always fails permanently',
  targetKind: 'any',
  input: z.strictObject({}),
  timeoutMs: 10_000,
  maxAttempts: 3,
  async run() {
    throw new PermanentError('target refused by test policy');
  },
};

const flaky: CapabilityDefinition<{ succeedOn: number }> = {
  name: 'test-flaky',
  description: 'fails transiently until attempt `succeedOn`',
  targetKind: 'any',
  input: z.strictObject({ succeedOn: z.number().int().min(1) }),
  timeoutMs: 10_000,
  maxAttempts: 3,
  async run(ctx, input) {
    if (ctx.attempt < input.succeedOn) throw new TransientError(`busy (attempt ${ctx.attempt})`);
    return { kind: 'done', result: { attempt: ctx.attempt } };
  },
};

const sleeper: CapabilityDefinition<{ ms: number }> = {
  name: 'test-sleep',
  description: 'sleeps, honouring the abort signal',
  targetKind: 'any',
  input: z.strictObject({ ms: z.number().int().min(0).max(5_000) }),
  timeoutMs: 6_000,
  maxAttempts: 3,
  async run(ctx, input) {
    await sleep(input.ms, undefined, { signal: ctx.signal });
    return { kind: 'done', result: { slept: input.ms } };
  },
};

const crash: CapabilityDefinition<Record<string, never>> = {
  name: 'test-crash',
  description: 'kills its worker process (a poison job)',
  targetKind: 'any',
  input: z.strictObject({}),
  timeoutMs: 10_000,
  maxAttempts: 10,
  async run() {
    process.exit(70);
  },
};

const asyncScan: CapabilityDefinition<{ deadlineMs: number }> = {
  name: 'test-async',
  description: 'hands off to an outside scanner; completes with what it returned',
  targetKind: 'any',
  input: z.strictObject({ deadlineMs: z.number().int().min(1) }),
  timeoutMs: 10_000,
  maxAttempts: 3,
  async run(ctx, input) {
    const asyncRef = `ext-${createHash('sha1').update(ctx.key).digest('hex').slice(0, 12)}`;
    return { kind: 'handoff', asyncRef, deadlineMs: input.deadlineMs };
  },
  async complete(ctx, _input, returned, emit) {
    emit.asset({ type: 'host', value: ctx.target });
    if (returned.verdict !== 'clean')
      throw new PermanentError(`outside scanner said ${String(returned.verdict)}`);
    return { kind: 'done', result: { returned } };
  },
};

const creds: CapabilityDefinition<{ accountId: string }> = {
  name: 'test-creds',
  description: 'calls STS GetCallerIdentity with the tenant account credentials',
  targetKind: 'any',
  input: z.strictObject({ accountId: z.string() }),
  credentials: 'aws',
  timeoutMs: 10_000,
  maxAttempts: 2,
  async run(ctx, _input, emit) {
    if (!ctx.credentials) throw new PermanentError('no credentials');
    const sts = new STSClient({
      region: 'us-east-1',
      endpoint: process.env.AWS_ENDPOINT_URL_STS ?? process.env.AWS_ENDPOINT_URL,
      credentials: ctx.credentials,
    });
    try {
      const identity = await sts.send(new GetCallerIdentityCommand({}), { abortSignal: ctx.signal });
      emit.asset({ type: 'aws-account', value: identity.Account ?? 'unknown' });
      return { kind: 'done', result: { account: identity.Account, arn: identity.Arn } };
    } finally {
      sts.destroy();
    }
  },
};

const finder: CapabilityDefinition<{ ms: number }> = {
  name: 'test-findings',
  description: 'sleeps without watching its signal, then reports an asset and a risk naming its attempt',
  targetKind: 'any',
  input: z.strictObject({ ms: z.number().int().min(0).max(5_000) }),
  timeoutMs: 10_000,
  maxAttempts: 3,
  async run(ctx, input, emit) {
    await sleep(input.ms);
    const asset = { type: 'host', value: ctx.target } as const;
    emit.asset({ ...asset, attributes: { attempt: ctx.attempt } });
    emit.risk({ asset, name: 'test-finding', severity: 'low', evidence: { attempt: ctx.attempt } });
    return { kind: 'done', result: { attempt: ctx.attempt } };
  },
};

export const capabilities = [fail, flaky, sleeper, crash, asyncScan, creds, finder];

/** The built-ins plus these, for producers in tests that enqueue test capabilities. */
export function testRegistry(): CapabilityRegistry {
  const registry = builtinCapabilities();
  for (const capability of capabilities) registry.register(capability as CapabilityDefinition);
  return registry;
}
