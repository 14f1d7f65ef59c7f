export { builtinCapabilities, noop } from './capabilities/index.js';
export {
  type AssetRecord,
  type CapabilityDefinition,
  CapabilityRegistry,
  type Emit,
  type JobCredentials,
  type RiskRecord,
  type RunContext,
  type RunOutcome,
  SEVERITIES,
  type Severity,
} from './capability.js';
export { claimCondition, ownerCondition } from './claim.js';
export {
  type FieldIssue,
  IllegalTransitionError,
  JobError,
  JobValidationError,
  PermanentError,
  TransientError,
} from './errors.js';
export {
  acceptingRule,
  INSERT_RULES,
  type InsertRule,
  type InsertThresholds,
  insertCondition,
  type RejectReason,
  rejectReason,
  type StoredJobFacts,
} from './insert-rules.js';
export {
  checkJobRequest,
  type ItemOptions,
  type JobLineage,
  type JobRequest,
  jobItem,
  MAX_INPUT_BYTES,
  type NewJob,
  shardOf,
  sweepKey,
  validateJobRequests,
} from './job.js';
export {
  isCapabilityName,
  JOB_KEY_PREFIX,
  jobKey,
  MAX_KEY_LENGTH,
  MAX_TARGET_LENGTH,
  normalizeTarget,
  parseJobKey,
  type TargetKind,
} from './keys.js';
export {
  type Decoded,
  decodeJobMessage,
  encodeJobMessage,
  type JobMessage,
  jobMessageAttributes,
  jobMessageSchema,
  MESSAGE_VERSION,
} from './message.js';
export { loadPlugins, PluginError } from './plugins.js';
export {
  assertTransition,
  canTransition,
  STATUS,
  STATUS_CODES,
  type StatusCode,
  statusCode,
  statusPrefix,
  statusValue,
  TERMINAL,
} from './status.js';
