/**
 * scanq's public API for services that embed it: configuration, the producer, and the tenancy
 * types a caller needs to build a context from a verified token.
 */
export { type Config, ConfigError, loadConfig } from './config/index.js';
export {
  builtinCapabilities,
  type CapabilityDefinition,
  CapabilityRegistry,
  JobValidationError,
} from './jobs/index.js';
export {
  createProducer,
  type EnqueueAccepted,
  type EnqueueRejected,
  type EnqueueResult,
  type Producer,
} from './producer/index.js';
export { ownContext, ROLES, type Role, type TenantContext } from './tenancy/index.js';
