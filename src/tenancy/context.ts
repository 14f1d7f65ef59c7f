import { InvalidKeyError } from './errors.js';

/** Roles, from least to most privileged; what each may do is decided in `access.ts` only. */
export const ROLES = ['readonly', 'service', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** How a context was obtained. */
export type ContextOrigin = 'own' | 'assumed' | 'system';

/**
 * Who is acting, and in which tenant. `tenant` is the partition every read and write uses;
 * `homeTenant` is the caller's own tenant (they differ when an MSP user assumed a customer).
 * Built only by this module and `access.ts`, never from a request body or message field.
 */
export interface TenantContext {
  readonly tenant: string;
  readonly homeTenant: string;
  readonly user: string;
  readonly roles: readonly Role[];
  readonly via: ContextOrigin;
}

/** Tenant ids: safe as a DynamoDB partition and as the first S3 key segment. */
const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;
const USER_ID = /^[\x21-\x7e]{1,256}$/;

/** Validates a tenant id (no `/`, `#`, `..`, control characters; ≤ 128 chars). */
export function assertTenantId(tenant: unknown, field = 'tenant'): string {
  if (typeof tenant !== 'string' || !TENANT_ID.test(tenant) || tenant.includes('..')) {
    throw new InvalidKeyError(
      'tenant.invalidId',
      `${field}: must be 1-128 characters of letters, digits and . _ @ + -`,
    );
  }
  return tenant;
}

/** User ids (token `sub`): 1-256 printable ASCII characters, no spaces. */
export function isUserId(user: unknown): user is string {
  return typeof user === 'string' && USER_ID.test(user);
}

export function assertUserId(user: unknown): string {
  if (!isUserId(user)) {
    throw new InvalidKeyError(
      'tenant.invalidUser',
      'user: must be 1-256 printable characters without spaces',
    );
  }
  return user;
}

export function isRole(role: unknown): role is Role {
  return (ROLES as readonly unknown[]).includes(role);
}

/** The context of a caller acting in their own tenant (from a verified token). Unknown roles are refused. */
export function ownContext(input: { tenant: string; user: string; roles: readonly string[] }): TenantContext {
  const tenant = assertTenantId(input.tenant);
  const unknown = input.roles.filter((r) => !isRole(r));
  if (unknown.length > 0)
    throw new InvalidKeyError('tenant.unknownRole', `roles: unknown role ${unknown.join(', ')}`);
  return {
    tenant,
    homeTenant: tenant,
    user: assertUserId(input.user),
    roles: input.roles.filter(isRole),
    via: 'own',
  };
}

/**
 * The context of a scanq component (worker, sweeper, scheduler) acting on a tenant's items it
 * found in the table itself or claimed from it; `component` names it in audit and logs.
 */
export function systemContext(tenant: string, component: string): TenantContext {
  const id = assertTenantId(tenant);
  return { tenant: id, homeTenant: id, user: `system:${component}`, roles: ['service'], via: 'system' };
}
