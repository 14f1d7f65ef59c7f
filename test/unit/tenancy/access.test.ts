import { describe, expect, it } from 'vitest';
import {
  ACTIONS,
  type Action,
  authorize,
  can,
  ForbiddenError,
  ownContext,
  ROLES,
  type Role,
  type TenantContext,
} from '../../../src/tenancy/index.js';

/**
 * The expected matrix, written out by hand (not derived from PERMISSIONS) so a change to the
 * table in access.ts has to be made here too, on purpose.
 */
const EXPECTED: Record<Role, Record<Action, boolean>> = {
  admin: {
    'job:enqueue': true,
    'job:read': true,
    'result:read': true,
    'upload:create': true,
    'account:read': true,
    'account:write': true,
    'schedule:read': true,
    'schedule:write': true,
    'tenant:read': true,
    'tenant:write': true,
    'tenant:assume': true,
    'dlq:manage': true,
    'job:control': true,
    'job:delete': true,
    'tenant:pause': true,
  },
  analyst: {
    'job:enqueue': true,
    'job:read': true,
    'result:read': true,
    'upload:create': true,
    'account:read': true,
    'account:write': false,
    'schedule:read': true,
    'schedule:write': true,
    'tenant:read': true,
    'tenant:write': false,
    'tenant:assume': true,
    'dlq:manage': false,
    'job:control': true,
    'job:delete': false,
    'tenant:pause': false,
  },
  readonly: {
    'job:enqueue': false,
    'job:read': true,
    'result:read': true,
    'upload:create': false,
    'account:read': true,
    'account:write': false,
    'schedule:read': true,
    'schedule:write': false,
    'tenant:read': true,
    'tenant:write': false,
    'tenant:assume': false,
    'dlq:manage': false,
    'job:control': false,
    'job:delete': false,
    'tenant:pause': false,
  },
  service: {
    'job:enqueue': true,
    'job:read': true,
    'result:read': true,
    'upload:create': false,
    'account:read': false,
    'account:write': false,
    'schedule:read': false,
    'schedule:write': false,
    'tenant:read': false,
    'tenant:write': false,
    'tenant:assume': false,
    'dlq:manage': false,
    'job:control': true,
    'job:delete': false,
    'tenant:pause': false,
  },
};

const context = (roles: Role[], via: TenantContext['via'] = 'own'): TenantContext => ({
  ...ownContext({ tenant: 't1', user: 'u1', roles }),
  via,
});

const matrix = ROLES.flatMap((role) =>
  ACTIONS.map((action) => [role, action, EXPECTED[role][action]] as const),
);

describe('Function: can', () => {
  it('has an expectation for every role and action', () => {
    expect(matrix).toHaveLength(ROLES.length * ACTIONS.length);
    expect(matrix.every(([, , allowed]) => typeof allowed === 'boolean')).toBe(true);
  });

  it.each(matrix)('%s → %s: %s', (role, action, allowed) => {
    expect(can(context([role]), action)).toBe(allowed);
  });

  it('grants the union of several roles', () => {
    const both = context(['readonly', 'service']);
    expect(can(both, 'job:enqueue')).toBe(true);
    expect(can(both, 'schedule:read')).toBe(true);
    expect(can(both, 'schedule:write')).toBe(false);
  });

  it('grants nothing to a context without roles, or for an unknown action', () => {
    expect(ACTIONS.some((action) => can(context([]), action))).toBe(false);
    expect(can(context(['admin']), 'root:everything' as Action)).toBe(false);
  });

  it('never grants tenant:write in an assumed context, so a delegation cannot widen itself', () => {
    expect(can(context(['admin'], 'assumed'), 'tenant:write')).toBe(false);
    expect(can(context(['admin'], 'assumed'), 'account:write')).toBe(true);
    expect(can(context(['admin'], 'own'), 'tenant:write')).toBe(true);
  });
});

describe('Function: authorize', () => {
  it.each(matrix)('%s → %s: throws unless %s', (role, action, allowed) => {
    const act = () => authorize(context([role]), action);
    if (allowed) {
      expect(act).not.toThrow();
    } else {
      expect(act).toThrow(ForbiddenError);
      expect(act).toThrow(expect.objectContaining({ code: 'tenant.forbidden' }));
    }
  });
});
