export {
  ACTIONS,
  type Action,
  type AssumeDeps,
  assumeTenant,
  authorize,
  can,
  NOT_DELEGATED,
  PERMISSIONS,
} from './access.js';
export {
  AUDIT_PREFIX,
  AUDIT_TTL_DAYS,
  type AuditEvent,
  type AuditRecord,
  auditItem,
  listAudit,
  writeAudit,
} from './audit.js';
export {
  assertTenantId,
  assertUserId,
  type ContextOrigin,
  isRole,
  isUserId,
  ownContext,
  ROLES,
  type Role,
  systemContext,
  type TenantContext,
} from './context.js';
export { ConditionFailedError, ForbiddenError, InvalidKeyError, TenancyError } from './errors.js';
export { buildUpdate, type Condition, type UpdateSpec } from './expressions.js';
export {
  assertFileKind,
  assertFileName,
  type BucketRole,
  CrossTenantKeyError,
  FILE_BUCKET,
  FILE_KINDS,
  type FileKind,
  fileKey,
  isFileKind,
  LOOKALIKE_SEPARATORS,
  MAX_FILE_NAME_LENGTH,
  type ParsedFileKey,
  parseFileKey,
} from './file-keys.js';
export {
  type FileInfo,
  type FileListing,
  type FileObject,
  type FilesDeps,
  InvalidFileRequestError,
  PRESIGN_EXPIRY,
  type PresignedUrl,
  type PresignOptions,
  type PresignPutOptions,
  TenantFiles,
} from './files.js';
export {
  CASCADE_DEFAULTS,
  getProfile,
  PROFILE_KEY,
  type ProfileInput,
  type ProfileIssue,
  ProfileValidationError,
  parseProfileInput,
  putProfile,
  type TenantProfile,
} from './profile.js';
export { QUARANTINE_METADATA, type QuarantineReason, quarantineReportKey } from './quarantine.js';
export {
  type AccountCredentials,
  accountCredentialsSchema,
  accountSecretName,
  CrossTenantSecretError,
  InvalidSecretError,
  putAccountSecret,
  readAccountSecret,
  SecretNotFoundError,
  type SecretsDeps,
} from './secrets.js';
export {
  isShardedKey,
  MAX_SHARDS,
  partitionOf,
  partitionsFor,
  shardOfKey,
  splitPartition,
} from './shards.js';
export { type OpenRef, queryOpenIndex } from './system-index.js';
export {
  assertItemKey,
  type CursorState,
  type Item,
  mergePages,
  type Page,
  type PartitionPage,
  type QueryOptions,
  type TableDeps,
  TenantTable,
} from './table.js';
