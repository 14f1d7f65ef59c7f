import type { Logger } from '../lib/logger.js';
import { writeAudit } from './audit.js';
import { type Role, systemContext, type TenantContext } from './context.js';
import { ForbiddenError, InvalidKeyError } from './errors.js';
import { getProfile, PROFILE_KEY, ProfileValidationError, type TenantProfile } from './profile.js';
import { type TableDeps, TenantTable } from './table.js';

/** Everything a caller can ask to do; each API entry point authorizes exactly one of these. */
export const ACTIONS = [
  'job:enqueue',
  'job:read',
  'result:read',
  'upload:create',
  'account:read',
  'account:write',
  'schedule:read',
  'schedule:write',
  'tenant:read',
  'tenant:write',
  'tenant:assume',
  'dlq:manage',
  'job:control',
  'job:delete',
  'tenant:pause',
] as const;
export type Action = (typeof ACTIONS)[number];

const READS = ['job:read', 'result:read', 'account:read', 'schedule:read', 'tenant:read'] as const;

/** The one table of who may do what. A role not listed for an action may not do it. */
export const PERMISSIONS: Readonly<Record<Role, ReadonlySet<Action>>> = {
  admin: new Set(ACTIONS),
  analyst: new Set<Action>([
    ...READS,
    'job:enqueue',
    'job:control',
    'upload:create',
    'schedule:write',
    'tenant:assume',
  ]),
  readonly: new Set<Action>(READS),
  service: new Set<Action>(['job:enqueue', 'job:control', 'job:read', 'result:read']),
};

/**
 * Actions never granted in an assumed context, whatever the role: a delegation must not be able
 * to widen itself (an MSP admin editing the customer's `authorizedUsers`). The customer's own
 * admins keep them.
 */
export const NOT_DELEGATED: ReadonlySet<Action> = new Set<Action>(['tenant:write']);

/** True when one of the context's roles grants `action` (and the context may use it). */
export function can(context: Pick<TenantContext, 'roles' | 'via'>, action: Action): boolean {
  if (context.via === 'assumed' && NOT_DELEGATED.has(action)) return false;
  return context.roles.some((role) => PERMISSIONS[role]?.has(action) === true);
}

/**
 * Throws unless the context may do `action`.
 * @throws ForbiddenError `tenant.forbidden`.
 */
export function authorize(context: TenantContext, action: Action): void {
  if (!can(context, action)) {
    throw new ForbiddenError(
      'tenant.forbidden',
      `user ${context.user} may not ${action} in tenant ${context.tenant}`,
    );
  }
}

/** What `assumeTenant` needs: the table, a logger for its one line per attempt, a clock. */
export interface AssumeDeps extends TableDeps {
  readonly log: Logger;
  /** Clock for audit timestamps. Default `new Date()`. */
  readonly now?: () => Date;
}

/** Why an assumption was denied: logged for operators, never returned or audited (it would leak). */
type DenyReason = 'invalidTenant' | 'noProfile' | 'corruptProfile' | 'role' | 'notAuthorized';

/**
 * Reads the target's profile as scanq itself. `table` is returned only when the tenant exists (has
 * a profile item, even an unusable one); an invalid id or unusable profile is a reason to deny.
 */
async function targetProfile(
  deps: TableDeps,
  targetTenant: string,
): Promise<{ table?: TenantTable; profile?: TenantProfile; reason?: DenyReason }> {
  let table: TenantTable;
  try {
    table = new TenantTable(deps, systemContext(targetTenant, 'access'));
  } catch (error) {
    if (error instanceof InvalidKeyError) return { reason: 'invalidTenant' };
    throw error;
  }
  try {
    const profile = await getProfile(table);
    return profile ? { table, profile } : { reason: 'noProfile' };
  } catch (error) {
    // Fail closed, but the tenant exists: its own trail still records the attempt.
    if (error instanceof ProfileValidationError) return { table, reason: 'corruptProfile' };
    throw error;
  }
}

/**
 * Lets `caller` act in `targetTenant` (MSP account assumption). Their own home tenant is always
 * theirs, without audit. Any other tenant needs `tenant:assume` and the caller's user id in the
 * target's `authorizedUsers`. Every attempt is audited before the answer is given:
 * - into the caller's home partition, allowed or denied (the MSP's own trail of its users);
 * - into the target's partition when it has a profile (the customer sees who acted, or tried to).
 *   A target without a profile gets nothing: a denied probe must not create partitions.
 * The deny reason goes to the log only (operators), never into an audit item a customer reads.
 * One log line per attempt: info when allowed, warn when denied.
 * @throws ForbiddenError `tenant.assumeDenied`, the same whether the tenant is missing, its profile
 *   unusable, the role insufficient or the user not listed, so callers learn nothing about tenants.
 */
export async function assumeTenant(
  deps: AssumeDeps,
  caller: TenantContext,
  targetTenant: string,
): Promise<TenantContext> {
  const { homeTenant, user, roles } = caller;
  if (targetTenant === homeTenant) return { tenant: homeTenant, homeTenant, user, roles, via: 'own' };

  const target = await targetProfile(deps, targetTenant);
  let reason = target.reason;
  if (!reason && !can(caller, 'tenant:assume')) reason = 'role';
  if (!reason && !target.profile?.authorizedUsers.includes(user)) reason = 'notAuthorized';
  const authorized = reason === undefined;

  const event = {
    action: 'tenant:assume',
    callingUser: user,
    callingTenant: homeTenant,
    // An invalid id is attacker-chosen text: bound it before it is stored and logged.
    assumedTenant: reason === 'invalidTenant' ? JSON.stringify(targetTenant).slice(0, 130) : targetTenant,
    key: PROFILE_KEY,
    authorized,
    kind: 'assume',
  };
  const now = (deps.now ?? (() => new Date()))();
  const home = new TenantTable(deps, systemContext(homeTenant, 'access'));
  const trails = target.table ? [home, target.table] : [home];
  await Promise.all(trails.map((table) => writeAudit(table, event, { now })));

  if (!authorized) {
    deps.log.warn({ ...event, reason }, 'tenant assumption denied');
    throw new ForbiddenError('tenant.assumeDenied', `user ${user} may not assume this tenant`);
  }
  deps.log.info(event, 'tenant assumption allowed');
  return { tenant: targetTenant, homeTenant, user, roles: [...roles], via: 'assumed' };
}
