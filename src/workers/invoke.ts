import {
  type AssetRecord,
  type CapabilityDefinition,
  type Emit,
  type JobCredentials,
  PermanentError,
  type RiskRecord,
  type RunContext,
  type RunOutcome,
  STATUS,
} from '../jobs/index.js';
import { coerceError } from '../lib/errors.js';
import type { EventPublisher } from '../notify/index.js';
import { inSpan, type SpanSource } from '../telemetry/index.js';
import type { TenantContext, TenantProfile } from '../tenancy/index.js';
import type { AttemptInput } from './attempt.js';
import type { Findings } from './outcome.js';

/** Most assets and risks one attempt may emit; more is a runaway capability. */
export const MAX_FINDINGS = 10_000;

/** The `emit` a capability gets, and what it collected. */
export function collector(capability: Pick<CapabilityDefinition, 'name' | 'findings'>): {
  emit: Emit;
  findings: Findings;
} {
  const findings: Findings = { assets: [], risks: [] };
  const room = (what: string) => {
    if (capability.findings === false)
      throw new PermanentError(
        `capability ${capability.name} returned a bad result: emitted ${what} but declares findings: false`,
        { code: 'job.badResult' },
      );
    return findings.assets.length + findings.risks.length < MAX_FINDINGS;
  };
  return {
    findings,
    emit: {
      asset(asset: AssetRecord) {
        if (room('an asset')) findings.assets.push(asset);
      },
      risk(risk: RiskRecord) {
        if (room('a risk')) findings.risks.push(risk);
      },
    },
  };
}

/** What running a capability needs besides the attempt. */
export interface InvokeDeps {
  /** The tenant's stored credentials for an account (cached, tenant-checked). */
  readonly credentialsFor: (ctx: TenantContext, accountId: string) => Promise<JobCredentials>;
  /** The tenant's profile (its allowed scopes), cached. */
  readonly profileOf: (tenant: string) => Promise<Pick<TenantProfile, 'allowedScopes'> | undefined>;
  /** Events a capability publishes (an import quarantined), batched with the job events. */
  readonly events: Pick<EventPublisher, 'publish'>;
  /** Region and endpoints for calls with the tenant's credentials (local endpoints in dev). */
  readonly aws: RunContext['aws'];
  /** Loopback targets are allowed (local development and tests only). */
  readonly allowLoopback: boolean;
  /** A `credentials` span around the look-up. Default: none. */
  readonly spans?: SpanSource;
}

/** The part of an attempt a capability run reads. */
type Invocation = Pick<AttemptInput, 'capability' | 'lease' | 'ctx' | 'table' | 'files' | 'view' | 'log'>;

/** Credentials the capability declared, for the account named in the job input. */
async function credentialsOf(deps: InvokeDeps, a: Invocation): Promise<JobCredentials | undefined> {
  if (!a.capability.credentials) return undefined;
  const accountId = a.lease.record.input.accountId;
  if (typeof accountId !== 'string' || accountId === '')
    throw new PermanentError('input.accountId is required for a capability that uses credentials');
  if (!deps.spans) return deps.credentialsFor(a.ctx, accountId);
  return inSpan(deps.spans, 'credentials', {}, () => deps.credentialsFor(a.ctx, accountId));
}

/** Runs (or, for a returning async job, completes) the capability with its context and input. */
export async function invoke(
  deps: InvokeDeps,
  a: Invocation,
  signal: AbortSignal,
  emit: Emit,
): Promise<RunOutcome> {
  const { lease, capability } = a;
  const credentials = await credentialsOf(deps, a);
  const profile = await deps.profileOf(a.ctx.tenant);
  const runCtx: RunContext = {
    tenant: a.ctx.tenant,
    key: lease.key,
    target: lease.record.target,
    attempt: lease.attempt,
    signal,
    ...(credentials ? { credentials } : {}),
    // A tenant session's clients when there is one: IAM then holds the capability to its tenant.
    files: a.view?.files ?? a.files,
    table: a.view?.table ?? a.table,
    aws: deps.aws,
    scope: { allowLoopback: deps.allowLoopback, allowedScopes: profile?.allowedScopes ?? [] },
    log: a.log,
    publish: (type, fields) =>
      deps.events.publish(
        {
          tenant: a.ctx.tenant,
          key: lease.key,
          capability: capability.name,
          status: fields.status ?? 'info',
          attempt: lease.attempt,
          ...fields,
        },
        type,
      ),
  };
  // The stored input was valid at enqueue; if it no longer is, retrying cannot help.
  const parsed = capability.input.safeParse(lease.record.input);
  if (!parsed.success)
    throw new PermanentError(`stored input no longer valid: ${parsed.error.issues[0]?.message ?? ''}`);
  const input = parsed.data;
  if (lease.phase === STATUS.asyncReturning) {
    if (!capability.complete)
      throw new PermanentError(`capability ${capability.name} cannot complete async jobs`);
    return checkOutcome(
      capability,
      await capability.complete(runCtx, input, lease.record.asyncResult ?? {}, emit),
    );
  }
  return checkOutcome(capability, await capability.run(runCtx, input, emit));
}

/**
 * What a capability returned, checked before anything is written: a result must be a JSON object
 * that its `result` schema (when it declares one) accepts; else the job fails at once with
 * `job.badResult` and the first problem (a retry would return the same).
 */
export function checkOutcome<O extends RunOutcome>(
  capability: Pick<CapabilityDefinition, 'name' | 'result'>,
  outcome: O,
): O {
  const bad = (why: string) =>
    new PermanentError(`capability ${capability.name} returned a bad result: ${why}`, {
      code: 'job.badResult',
    });
  if (typeof outcome !== 'object' || outcome === null) throw bad('not an outcome');
  if (outcome.kind !== 'done') return outcome;
  const { result } = outcome;
  if (typeof result !== 'object' || result === null || Array.isArray(result)) throw bad('not an object');
  try {
    JSON.stringify(result);
  } catch (error) {
    throw bad(`not JSON (${coerceError(error).message.slice(0, 100)})`);
  }
  if (capability.result) {
    const parsed = capability.result.safeParse(result);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw bad(
        `${issue?.path.map(String).join('.') || '(result)'}: ${issue?.message ?? 'breaks its schema'}`,
      );
    }
  }
  return outcome;
}
