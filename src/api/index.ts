export {
  bearerToken,
  CLOCK_TOLERANCE_SECONDS,
  createVerifier,
  ExpiredTokenError,
  type MintOptions,
  mintToken,
  type TokenClaims,
  type TokenVerifier,
} from './auth.js';
export {
  ApiError,
  AuthError,
  type ErrorBody,
  type FieldMessage,
  RequestValidationError,
  toHttpError,
} from './errors.js';
export { accountKey } from './onboarding.js';
export { API_VERSION, buildOpenApi } from './openapi.js';
export { type Access, type ApiReply, fieldIssues, type Route } from './routing.js';
export { type ApiServer, type ApiServerDeps, BODY_LIMIT_BYTES, createApiServer } from './server.js';
