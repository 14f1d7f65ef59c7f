export { coerceError, errorName, ScanqError } from './errors.js';
export { type Running, stillRunning, stopAll, track } from './lifecycle.js';
export {
  createLogger,
  type ErrorFields,
  errorFields,
  type LogFields,
  type Logger,
  type LoggerOptions,
  REDACT_PATHS,
} from './logger.js';
export { type ProcessState, type StatusServer, startStatusServer } from './status-server.js';
export { TtlCache } from './ttl-cache.js';
