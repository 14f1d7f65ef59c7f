import type { Config } from '../../config/index.js';
import { coerceError } from '../../lib/errors.js';
import {
  assertTenantId,
  ForbiddenError,
  systemContext,
  type TenantContext,
  TenantTable,
  writeAudit,
} from '../../tenancy/index.js';
import type { RouteDeps } from '../deps.js';

/**
 * True for an `admin` of the operator tenant (SCANQ_OPERATOR_TENANT) acting in it as themselves,
 * never through an assumed context: operators see every tenant's counts, the queues and the DLQ.
 */
export function isOperator(config: Config, ctx: TenantContext): boolean {
  const operatorTenant = config.board.operatorTenant;
  return (
    operatorTenant !== undefined &&
    ctx.via === 'own' &&
    ctx.tenant === operatorTenant &&
    ctx.roles.includes('admin')
  );
}

/** An operator action (or attempt) to audit: what, on which tenant (if one), which item. */
export interface OperatorEvent {
  readonly action: string;
  /** The tenant acted on; default the caller's own. */
  readonly tenant?: string;
  readonly key: string;
  readonly authorized: boolean;
}

/**
 * Audits an operator action in the caller's home partition and, when it touched another tenant,
 * in that tenant's too (the customer sees who acted). A failed audit write is logged; the action's
 * answer is not changed by it.
 */
export async function auditOperator(
  deps: RouteDeps,
  ctx: TenantContext,
  event: OperatorEvent,
): Promise<void> {
  const tenant = event.tenant ?? ctx.tenant;
  const record = {
    action: event.action,
    callingUser: ctx.user,
    callingTenant: ctx.homeTenant,
    assumedTenant: tenant,
    key: event.key.slice(0, 1024),
    authorized: event.authorized,
  };
  const now = deps.now();
  const tenants = [...new Set([ctx.homeTenant, tenant])];
  await Promise.all(
    tenants.map((t) =>
      writeAudit(new TenantTable(deps.tableDeps, systemContext(t, 'board')), record, { now }),
    ),
  ).catch((error: unknown) =>
    deps.log.error({ error: coerceError(error), tenant: ctx.tenant, user: ctx.user }, 'could not audit'),
  );
}

/**
 * Throws (after auditing the denial) unless the caller is an operator.
 * @throws ForbiddenError `tenant.forbidden`.
 */
export async function requireOperator(
  deps: RouteDeps,
  ctx: TenantContext,
  action: string,
  key: string,
): Promise<void> {
  if (isOperator(deps.config, ctx)) return;
  await auditOperator(deps, ctx, { action, key, authorized: false });
  deps.log.warn({ tenant: ctx.tenant, user: ctx.user, key }, 'operator action denied');
  throw new ForbiddenError(
    'tenant.forbidden',
    `user ${ctx.user} is not an operator (admin of the operator tenant)`,
  );
}

/**
 * The tenant a request may act on: its own, or (operators only) the one it names. A tenant user
 * naming another tenant is denied and audited.
 * @throws ForbiddenError `tenant.forbidden`; InvalidKeyError for a malformed tenant id.
 */
export async function actingTenant(
  deps: RouteDeps,
  ctx: TenantContext,
  named: string | undefined,
  action: string,
): Promise<string> {
  if (named === undefined || named === ctx.tenant) return ctx.tenant;
  const tenant = assertTenantId(named);
  await requireOperator(deps, ctx, action, `tenant:${tenant}`);
  return tenant;
}
