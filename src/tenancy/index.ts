export {
  assertTenantId,
  type ContextOrigin,
  ownContext,
  ROLES,
  type Role,
  systemContext,
  type TenantContext,
} from './context.js';
export { ConditionFailedError, ForbiddenError, InvalidKeyError, TenancyError } from './errors.js';
export { buildUpdate, type Condition, type UpdateSpec } from './expressions.js';
export {
  assertItemKey,
  type Item,
  type Page,
  type QueryOptions,
  type TableDeps,
  type TenantIndex,
  TenantTable,
} from './table.js';
