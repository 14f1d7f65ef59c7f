/**
 * The typed way to add a capability: `defineCapability({ name, input, timeout, credentials,
 * match?, run })`. What it returns is a `CapabilityDefinition`, registered with
 * `createWorker({ capabilities })` or exported from a `--plugin` module; both go through
 * `registerCapabilities`, which checks each definition before a worker takes a job of it.
 */
import type { z } from 'zod';
import { parseDuration } from '../config/duration.js';
import type {
  AssetRecord,
  CapabilityDefinition,
  CapabilityRegistry,
  Emit,
  RunContext,
} from './capability.js';
import { JobError } from './errors.js';
import { isCapabilityName, type TargetKind } from './keys.js';

/** A capability definition that breaks the rules below: the worker refuses to start with it. */
export class CapabilityDefinitionError extends JobError {
  constructor(message: string) {
    super('capability.invalid', message);
  }
}

/** Longest timeout of an attempt: the SQS visibility timeout's maximum (12 h) less the lease margin. */
export const MAX_CAPABILITY_TIMEOUT_MS = 11 * 3_600_000;

/** What `defineCapability` takes. `I` is the input schema, `R` the result schema (optional). */
export interface CapabilitySpec<I extends z.ZodType, R extends z.ZodType<Record<string, unknown>>> {
  /** Lowercase letters, digits and `-`, starting with a letter (`tls-expiry`). */
  readonly name: string;
  /** One line for listings and the docs. Default: the name. */
  readonly description?: string;
  /** Validates a job's `input` at enqueue (400 naming the field) and again before each run. */
  readonly input: I;
  /** Hard limit of one attempt: ms, or a duration (`30s`, `5m`); sets the SQS visibility and lease. */
  readonly timeout: number | string;
  /** `aws`: the job's `input.accountId` names a stored account whose credentials `ctx.credentials` holds. */
  readonly credentials?: 'aws';
  /** What a target is: `host`, `url`, `any`, … (normalized at enqueue). Default `any`. */
  readonly target?: TargetKind;
  /** Attempts for transient errors before the job fails. Default 3. */
  readonly maxAttempts?: number;
  /** What a job may ask for with `timeoutSeconds` and `maxAttempts`. Default: this timeout, 10 attempts. */
  readonly bounds?: CapabilityDefinition['bounds'];
  /** Validates what `run` returns; a result that breaks it fails the job (`job.badResult`). Default: any object. */
  readonly result?: R;
  /** `false`: never emits assets or risks, and its runs skip the findings lifecycle (one query less per job). Default true. */
  readonly findings?: boolean;
  /** Cascade: true when this capability should run on an asset another job emitted. */
  readonly match?: (asset: AssetRecord) => boolean;
  /** Cascade: the target of a job spawned for a matched asset. Default the asset's value. */
  readonly cascadeTarget?: (asset: AssetRecord) => string;
  /**
   * Runs one attempt and returns the result document (stored in S3 with the findings). Throw
   * `PermanentError` to fail at once; anything else is retried up to `maxAttempts`. Stop when
   * `ctx.signal` aborts (timeout, cancel, shutdown): the attempt ends then anyway.
   */
  run(ctx: RunContext, input: z.output<I>, emit: Emit): Promise<z.output<R> | undefined>;
}

function timeoutMsOf(name: string, timeout: number | string): number {
  const ms = typeof timeout === 'number' ? timeout : parseDuration(timeout);
  if (ms === undefined || !Number.isFinite(ms) || ms < 1_000 || ms > MAX_CAPABILITY_TIMEOUT_MS)
    throw new CapabilityDefinitionError(
      `capability ${name}: timeout must be 1s to 11h (ms, or a duration such as 30s); got ${JSON.stringify(timeout)}`,
    );
  return Math.round(ms);
}

/**
 * Defines a capability with typed input and result.
 * @throws CapabilityDefinitionError when the name, timeout or attempts break the rules.
 */
export function defineCapability<
  I extends z.ZodType,
  R extends z.ZodType<Record<string, unknown>> = z.ZodType<Record<string, unknown>>,
>(spec: CapabilitySpec<I, R>): CapabilityDefinition<z.output<I>> {
  if (!isCapabilityName(spec.name))
    throw new CapabilityDefinitionError(
      `capability name ${JSON.stringify(spec.name)}: lowercase letters, digits and -, starting with a letter`,
    );
  const maxAttempts = spec.maxAttempts ?? 3;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100)
    throw new CapabilityDefinitionError(`capability ${spec.name}: maxAttempts must be a whole number 1-100`);
  return {
    name: spec.name,
    description: spec.description ?? spec.name,
    targetKind: spec.target ?? 'any',
    input: spec.input as z.ZodType<z.output<I>>,
    ...(spec.credentials ? { credentials: spec.credentials } : {}),
    timeoutMs: timeoutMsOf(spec.name, spec.timeout),
    maxAttempts,
    ...(spec.bounds ? { bounds: spec.bounds } : {}),
    ...(spec.result ? { result: spec.result } : {}),
    ...(spec.findings === false ? { findings: false } : {}),
    ...(spec.match ? { match: spec.match } : {}),
    ...(spec.cascadeTarget ? { cascadeTarget: spec.cascadeTarget } : {}),
    async run(ctx, input, emit) {
      const result = await spec.run(ctx, input, emit);
      return { kind: 'done', result: (result ?? {}) as Readonly<Record<string, unknown>> };
    },
  };
}

/** True when `value` has the shape of a capability definition (what a plugin module exports). */
function problemOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const c = value as Record<string, unknown>;
  if (typeof c.name !== 'string' || !isCapabilityName(c.name)) return 'name: not a capability name';
  if (typeof c.run !== 'function') return 'run: not a function';
  if (typeof c.timeoutMs !== 'number' || c.timeoutMs < 1 || c.timeoutMs > MAX_CAPABILITY_TIMEOUT_MS)
    return 'timeoutMs: not 1 ms to 11 h';
  if (typeof c.maxAttempts !== 'number' || !Number.isInteger(c.maxAttempts) || c.maxAttempts < 1)
    return 'maxAttempts: not a whole number ≥ 1';
  const input = c.input as { safeParse?: unknown } | undefined;
  if (typeof input?.safeParse !== 'function') return 'input: not a zod schema';
  if (c.findings !== undefined && typeof c.findings !== 'boolean') return 'findings: not true or false';
  return undefined;
}

/**
 * Registers capabilities (from `createWorker({ capabilities })` or a `--plugin` module) after
 * checking each: the one path both take.
 * @param source what they came from, for the error message.
 * @throws CapabilityDefinitionError naming the first bad definition; nothing of it is registered.
 */
export function registerCapabilities(
  registry: CapabilityRegistry,
  definitions: readonly unknown[],
  source: string,
): string[] {
  const checked = definitions.map((definition, i) => {
    const problem = problemOf(definition);
    if (problem) throw new CapabilityDefinitionError(`${source}: capability ${i}: ${problem}`);
    const capability = definition as CapabilityDefinition;
    if (registry.get(capability.name))
      throw new CapabilityDefinitionError(`${source}: capability ${capability.name} is already registered`);
    return capability;
  });
  for (const capability of checked) registry.register(capability);
  return checked.map((c) => c.name);
}
