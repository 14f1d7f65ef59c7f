import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  builtinCapabilities,
  CapabilityDefinitionError,
  defineCapability,
  isPaused,
  JobValidationError,
  PermanentError,
  pauseKey,
  pauseStateOf,
  validateJobRequests,
} from '../../../src/jobs/index.js';
import { pausedStep, pauseHideSeconds } from '../../../src/workers/decide.js';
import { checkOutcome, collector } from '../../../src/workers/invoke.js';

describe('Function: defineCapability', () => {
  const base = { name: 'my-scan', input: z.strictObject({}), run: async () => ({}) };

  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    [2_500, 2_500],
  ] as const)('takes the timeout %s as %i ms', (timeout, ms) => {
    expect(defineCapability({ ...base, timeout }).timeoutMs).toBe(ms);
  });

  it.each([
    [{ timeout: '0s' }, /timeout must be 1s to 11h/],
    [{ timeout: 'soon' }, /timeout must be 1s to 11h/],
    [{ timeout: '12h' }, /timeout must be 1s to 11h/],
    [{ timeout: '1m', name: 'My Scan' }, /lowercase letters, digits and -/],
    [{ timeout: '1m', maxAttempts: 0 }, /maxAttempts must be a whole number 1-100/],
  ] as const)('refuses %o', (over, message) => {
    expect(() => defineCapability({ ...base, ...over })).toThrow(CapabilityDefinitionError);
    expect(() => defineCapability({ ...base, ...over })).toThrow(message);
  });

  it('wraps what run returns as a done outcome, {} for nothing', async () => {
    const cap = defineCapability({ ...base, timeout: '1m', run: async () => undefined });
    expect(await cap.run({} as never, {}, { asset() {}, risk() {} })).toEqual({ kind: 'done', result: {} });
    expect(cap).toMatchObject({ targetKind: 'any', maxAttempts: 3, description: 'my-scan' });
  });
});

describe('Function: checkOutcome', () => {
  const capability = { name: 'c', result: z.strictObject({ n: z.number() }) };
  it.each([
    [{ kind: 'done', result: { n: 1 } }, undefined],
    [{ kind: 'done', result: { n: 'x' } }, /returned a bad result: n: /],
    [{ kind: 'done', result: [1] }, /returned a bad result: not an object/],
    [{ kind: 'done', result: { big: 1n } }, /not JSON/],
    [{ kind: 'handoff', asyncRef: 'a', deadlineMs: 1 }, undefined],
  ] as const)('%o → %s', (outcome, error) => {
    const check = () => checkOutcome(capability, outcome as never);
    if (error) expect(check).toThrow(error);
    else expect(check()).toBe(outcome);
  });
});

describe('Function: collector', () => {
  const asset = { type: 'host', value: 'h1' } as const;
  const risk = { asset, name: 'r1', severity: 'low' } as const;

  it('collects what a capability emits', () => {
    const { emit, findings } = collector({ name: 'c' });
    emit.asset(asset);
    emit.risk(risk as never);
    expect(findings).toEqual({ assets: [asset], risks: [risk] });
  });

  it('fails the attempt at once when a capability that declares findings: false emits', () => {
    const { emit, findings } = collector(
      defineCapability({
        name: 'my-scan',
        input: z.strictObject({}),
        timeout: '1m',
        findings: false,
        run: async () => ({}),
      }),
    );
    expect(() => emit.asset(asset)).toThrow(
      /my-scan returned a bad result: emitted an asset but declares findings: false/,
    );
    expect(() => emit.risk(risk as never)).toThrow(PermanentError);
    expect(findings).toEqual({ assets: [], risks: [] });
  });

  it('noop and sleep declare no findings; every other built-in may report some', () => {
    const registry = builtinCapabilities();
    const none = registry.names().filter((name) => registry.get(name)?.findings === false);
    expect(none.sort()).toEqual(['noop', 'sleep']);
  });
});

describe('Function: validateJobRequests — per-job options', () => {
  const registry = builtinCapabilities();

  it('stores a start delay, a timeout and a budget within the capability’s bounds', () => {
    const [job] = validateJobRequests(
      [{ capability: 'sleep', target: 't', delaySeconds: 900, timeoutSeconds: 10, maxAttempts: 10 }],
      registry,
    );
    expect(job?.options).toEqual({ delaySeconds: 900, timeoutMs: 10_000, maxAttempts: 10 });
  });

  it.each([
    [{ delaySeconds: 901 }, 'delaySeconds'],
    [{ timeoutSeconds: 66 }, 'timeoutSeconds'],
    [{ maxAttempts: 11 }, 'maxAttempts'],
    [{ timeoutSeconds: 0 }, 'timeoutSeconds'],
  ] as const)('refuses %o naming %s', (options, field) => {
    try {
      validateJobRequests([{ capability: 'sleep', target: 't', ...options }], registry);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(JobValidationError);
      expect((error as JobValidationError).issues.map((i) => i.field)).toEqual([field]);
    }
  });
});

describe('Function: pauseStateOf, isPaused', () => {
  it('reads the whole tenant and single capabilities from the pause items', () => {
    const state = pauseStateOf([pauseKey({ capability: 'portscan' }), '#pause#Bad Name', '#job#x#noop']);
    expect(state).toEqual({ all: false, capabilities: ['portscan'] });
    expect(isPaused(state, 'portscan')).toBe(true);
    expect(isPaused(state, 'noop')).toBe(false);
    expect(isPaused(pauseStateOf([pauseKey({})]), 'noop')).toBe(true);
  });
});

describe('Function: pausedStep, pauseHideSeconds', () => {
  it.each([
    [1, { kind: 'hide', seconds: 60 }],
    [3, { kind: 'hide', seconds: 60 }],
    [4, { kind: 'resend' }],
    [5, { kind: 'resend' }],
    [Number.NaN, { kind: 'resend' }],
  ] as const)('receive %d of at most 5 → %o', (receives, step) => {
    expect(pausedStep(receives, 5, 60)).toEqual(step);
  });

  it('hides for the pause cache TTL, between 1 s and 5 min', () => {
    expect([pauseHideSeconds(0), pauseHideSeconds(1_500), pauseHideSeconds(3_600_000)]).toEqual([1, 2, 300]);
  });
});
