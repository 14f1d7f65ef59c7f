import {
  type AssetRecord,
  type Emit,
  type JobCredentials,
  PermanentError,
  type RiskRecord,
  type RunContext,
  type RunOutcome,
  STATUS,
} from '../jobs/index.js';
import type { AttemptInput } from './attempt.js';
import type { Findings } from './outcome.js';

/** Most assets and risks one attempt may emit; more is a runaway capability. */
export const MAX_FINDINGS = 10_000;

/** The `emit` a capability gets, and what it collected. */
export function collector(): { emit: Emit; findings: Findings } {
  const findings: Findings = { assets: [], risks: [] };
  const room = () => findings.assets.length + findings.risks.length < MAX_FINDINGS;
  return {
    findings,
    emit: {
      asset(asset: AssetRecord) {
        if (room()) findings.assets.push(asset);
      },
      risk(risk: RiskRecord) {
        if (room()) findings.risks.push(risk);
      },
    },
  };
}

/** Credentials the capability declared, for the account named in the job input. */
async function credentialsOf(a: AttemptInput): Promise<JobCredentials | undefined> {
  if (!a.capability.credentials) return undefined;
  const input = (a.lease.item.input ?? {}) as Record<string, unknown>;
  const accountId = typeof input.accountId === 'string' ? input.accountId : undefined;
  if (!accountId)
    throw new PermanentError('input.accountId is required for a capability that uses credentials');
  return a.runtime.credentialsFor(a.ctx, accountId);
}

/** Runs (or, for a returning async job, completes) the capability with its context and input. */
export async function invoke(a: AttemptInput, signal: AbortSignal, emit: Emit): Promise<RunOutcome> {
  const { lease, capability } = a;
  const credentials = await credentialsOf(a);
  const { runtime } = a;
  const profile = await runtime.profileOf(a.ctx.tenant);
  const runCtx: RunContext = {
    tenant: a.ctx.tenant,
    key: lease.key,
    target: String(lease.item.target),
    attempt: lease.attempt,
    signal,
    ...(credentials ? { credentials } : {}),
    files: a.files,
    table: a.table,
    aws: { region: runtime.config.region, endpoints: runtime.config.endpoints },
    scope: { allowLoopback: runtime.config.allowLoopback, allowedScopes: profile?.allowedScopes ?? [] },
    log: a.log,
    publish: (type, fields) =>
      runtime.events.publish(
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
  const parsed = capability.input.safeParse(lease.item.input ?? {});
  if (!parsed.success)
    throw new PermanentError(`stored input no longer valid: ${parsed.error.issues[0]?.message ?? ''}`);
  const input = parsed.data;
  if (lease.phase === STATUS.asyncReturning) {
    if (!capability.complete)
      throw new PermanentError(`capability ${capability.name} cannot complete async jobs`);
    return capability.complete(
      runCtx,
      input,
      (lease.item.asyncResult ?? {}) as Record<string, unknown>,
      emit,
    );
  }
  return capability.run(runCtx, input, emit);
}
