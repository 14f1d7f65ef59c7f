import type { z } from 'zod';
import type { TargetKind } from './keys.js';

/**
 * What the engine knows of a capability before running it: name, input schema, what its target
 * is, credentials, timeout (sets SQS visibility and the lease) and the retry budget for
 * transient errors. The worker issue adds `run`.
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
  /** Hands off to an outside scanner (`JRA`) and completes when it returns (`JQA`). */
  readonly async?: boolean;
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
