/**
 * scanq's public API for services that embed it: configuration, the producer, job control, the
 * typed capability API and a worker to run it, and the tenancy types a caller needs to build a
 * context from a verified token.
 */
export { type Config, ConfigError, loadConfig } from './config/index.js';
export {
  type AssetRecord,
  builtinCapabilities,
  type CapabilityDefinition,
  CapabilityDefinitionError,
  CapabilityRegistry,
  type CapabilitySpec,
  defineCapability,
  type Emit,
  JobValidationError,
  PermanentError,
  type RiskRecord,
  type RunContext,
  resolveTarget,
  TargetPolicyError,
  TransientError,
} from './jobs/index.js';
export {
  type CancelResult,
  createJobControl,
  createProducer,
  type DeleteResult,
  type EnqueueAccepted,
  type EnqueueRejected,
  type EnqueueResult,
  type JobControl,
  JobControlError,
  type Producer,
} from './producer/index.js';
export { ownContext, ROLES, type Role, type TenantContext } from './tenancy/index.js';
export {
  createEmbeddedWorker as createWorker,
  type EmbeddedWorker,
  type EmbeddedWorkerOptions,
} from './workers/embed.js';
