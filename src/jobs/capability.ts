import type { z } from 'zod';
import type { TenantFiles } from '../tenancy/files.js';
import type { TenantTable } from '../tenancy/table.js';
import type { TargetKind } from './keys.js';

/** Severity of a risk, lowest to highest. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Something a scan discovered (host, port, URL, bucket, user…). */
export interface AssetRecord {
  readonly type: string;
  readonly value: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/** A problem found on an asset. */
export interface RiskRecord {
  readonly asset: Pick<AssetRecord, 'type' | 'value'>;
  readonly name: string;
  readonly severity: Severity;
  readonly evidence?: Readonly<Record<string, unknown>>;
}

/** How a capability reports what it found while it runs. */
export interface Emit {
  asset(asset: AssetRecord): void;
  risk(risk: RiskRecord): void;
}

/** Static AWS credentials resolved for a job (never logged, never stored outside Secrets Manager). */
export interface JobCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Where a capability may connect: checked before any connection (DESIGN §4). */
export interface TargetScope {
  /** Loopback targets are allowed (dev and tests only; SCANQ_ALLOW_LOOPBACK). */
  readonly allowLoopback: boolean;
  /** The tenant profile's `allowedScopes` (CIDRs and domains); empty = no restriction beyond the policy. */
  readonly allowedScopes: readonly string[];
}

/** Minimal structured logger a capability may use (ids only, never tenant data or secrets). */
export interface CapabilityLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  debug(fields: Record<string, unknown>, message: string): void;
}

/** What a capability gets for one attempt. */
export interface RunContext {
  readonly tenant: string;
  readonly key: string;
  readonly target: string;
  readonly attempt: number;
  /** Fires on timeout, on lease loss and on shutdown; a capability must stop promptly. */
  readonly signal: AbortSignal;
  /** Present when the capability declares `credentials`. */
  readonly credentials?: JobCredentials;
  /** The tenant's files (S3 under `{tenant}/…`) and table (items in the tenant partition). */
  readonly files: TenantFiles;
  readonly table: TenantTable;
  /** Region and endpoints for calls with the tenant's credentials (local endpoints in dev). */
  readonly aws: { readonly region: string; readonly endpoints: Readonly<Record<string, string | undefined>> };
  readonly scope: TargetScope;
  readonly log: CapabilityLog;
  /** Publishes an event on the topic (e.g. an import quarantined), tagged with the tenant. */
  readonly publish: (type: string, fields: Readonly<Record<string, string>>) => Promise<void>;
}

/** How an attempt ended, when it did not throw. */
export type RunOutcome =
  | { readonly kind: 'done'; readonly result: Readonly<Record<string, unknown>> }
  /** Handed to an outside scanner: the job goes `JRA` until it returns or `deadlineMs` passes. */
  | { readonly kind: 'handoff'; readonly asyncRef: string; readonly deadlineMs: number };

/**
 * A capability: name, input schema, what its target is, credentials, timeout (sets SQS visibility
 * and the lease), the retry budget for transient errors, and the code that runs it.
 */
export interface CapabilityDefinition<Input = unknown> {
  readonly name: string;
  readonly description: string;
  readonly targetKind: TargetKind;
  /** Validates `input` of a job request; unknown fields are refused. */
  readonly input: z.ZodType<Input>;
  /** Credentials the capability needs from the tenant's stored accounts. */
  readonly credentials?: 'aws';
  /** Hard limit of one attempt; also the SQS visibility and lease length. */
  readonly timeoutMs: number;
  /** Attempts for transient errors before the job fails. */
  readonly maxAttempts: number;
  /**
   * What a job may ask for with `timeoutSeconds` and `maxAttempts`.
   * @defaultValue `{ maxTimeoutMs: timeoutMs, maxAttempts: max(maxAttempts, 10) }`
   */
  readonly bounds?: { readonly maxTimeoutMs?: number; readonly maxAttempts?: number };
  /** Validates what `run` returns as its result; a result that breaks it fails the job. Default none. */
  readonly result?: z.ZodType;
  /**
   * `false`: the capability never emits assets or risks, so its runs skip the findings lifecycle
   * (no read of the risks an earlier run of the job reported: one query less per job). An emit
   * from it fails the attempt at once (`job.badResult`). Default true.
   */
  readonly findings?: boolean;
  /** Runs one attempt. Throw `PermanentError` to fail at once, anything else is retried. */
  run(ctx: RunContext, input: Input, emit: Emit): Promise<RunOutcome>;
  /** Async capabilities: ingests what the outside scanner returned (`JQA` → `JP`/`JF`). */
  complete?(
    ctx: RunContext,
    input: Input,
    returned: Readonly<Record<string, unknown>>,
    emit: Emit,
  ): Promise<Extract<RunOutcome, { kind: 'done' }>>;
  /** Cascade (DESIGN §5): true when this capability should run on an asset another job emitted. */
  match?(asset: AssetRecord): boolean;
  /** Cascade: the target of the job spawned for a matched asset. Default: the asset's value. */
  cascadeTarget?(asset: AssetRecord): string;
}

/** The capabilities a process knows, by name. */
export class CapabilityRegistry {
  readonly #byName = new Map<string, CapabilityDefinition>();

  constructor(definitions: readonly CapabilityDefinition[] = []) {
    for (const definition of definitions) this.register(definition);
  }

  /** Adds a capability; a second one of the same name is a programming error. */
  register(definition: CapabilityDefinition): this {
    if (this.#byName.has(definition.name)) throw new Error(`capability ${definition.name} registered twice`);
    this.#byName.set(definition.name, definition);
    return this;
  }

  get(name: string): CapabilityDefinition | undefined {
    return this.#byName.get(name);
  }

  names(): string[] {
    return [...this.#byName.keys()].sort();
  }
}
