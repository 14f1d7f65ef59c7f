import { JobValidationError } from '../jobs/index.js';
import { ScanqError } from '../lib/errors.js';
import { ScheduleValidationError } from '../scheduler/errors.js';
import {
  ConditionFailedError,
  CrossTenantSecretError,
  ForbiddenError,
  InvalidFileRequestError,
  InvalidKeyError,
  InvalidSecretError,
  ProfileValidationError,
  SecretNotFoundError,
} from '../tenancy/index.js';
import { classifyFailure } from '../workers/failure.js';

/** One field that failed validation, named as the caller wrote it (`jobs[2].target`, `(body)`). */
export interface FieldMessage {
  readonly field: string;
  readonly message: string;
}

/** An error the API answers with a status, a stable code and (for bad input) the fields at fault. */
export class ApiError extends ScanqError {
  readonly status: number;
  readonly fields: readonly FieldMessage[] | undefined;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { fields?: readonly FieldMessage[]; cause?: unknown } = {},
  ) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.fields = options.fields;
  }
}

/** Missing, malformed, badly signed or expired bearer token: 401. */
export class AuthError extends ApiError {
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(401, code, message, options);
  }
}

/** Input that breaks a schema: 400 with every field named. */
export class RequestValidationError extends ApiError {
  constructor(fields: readonly FieldMessage[], code = 'request.invalid') {
    super(400, code, fields.map((f) => `${f.field}: ${f.message}`).join('; ') || 'invalid request', {
      fields,
    });
  }
}

/** What the API answers for a failed request. */
export interface HttpError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly fields?: readonly FieldMessage[];
}

/** The JSON body of every error response. */
export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly fields?: readonly FieldMessage[];
  };
  readonly requestId: string;
}

const FASTIFY_CODES: Readonly<Record<string, { code: string; message: string }>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'request.invalidJson', message: 'the body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'request.invalidJson', message: 'the body is empty' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'request.tooLarge', message: 'the body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'request.unsupportedMediaType',
    message: 'send the body as application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'request.invalidLength',
    message: 'the content-length does not match the body',
  },
};

/** A 4xx raised by Fastify itself (body parsing, content type). */
function fastifyClientError(error: unknown): HttpError | undefined {
  if (!(error instanceof Error)) return undefined;
  const { statusCode, code } = error as { statusCode?: unknown; code?: unknown };
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500) return undefined;
  const known = typeof code === 'string' ? FASTIFY_CODES[code] : undefined;
  // JSON bodies are parsed by secure-json-parse: a prototype-poisoning key is a bad body too.
  const fallback = { code: 'request.invalid', message: 'the request could not be read' };
  const { code: ours, message } = known ?? fallback;
  return { status: statusCode, code: ours, message, fields: [{ field: '(body)', message }] };
}

const fieldsOf = (issues: readonly FieldMessage[]) =>
  issues.map(({ field, message }) => ({ field, message }));

/**
 * The request field behind a domain error that names no field itself, by its stable code (a key,
 * file name or cursor refused by the tenancy layer after the request's own schema passed).
 */
const FIELD_OF_CODE: Readonly<Record<string, string>> = {
  'files.invalidName': 'name',
  'files.invalidContentType': 'contentType',
  'files.invalidExpiry': 'expiresInSeconds',
  'files.invalidKey': 'key',
  'files.crossTenant': 'key',
  'files.unknownKind': 'key',
  'files.invalidPart': 'partNumbers',
  'files.noSuchUpload': 'uploadId',
  'files.invalidParts': 'parts',
  'table.invalidCursor': 'cursor',
  'table.invalidKey': 'key',
  'secrets.invalidAccountId': 'accountId',
  'secrets.invalid': 'credentials',
  'tenant.invalidId': 'tenant',
};

/** Bad input raised by the domain modules: 400 with the fields they named. */
function validationError(error: unknown): HttpError | undefined {
  if (
    error instanceof JobValidationError ||
    error instanceof ProfileValidationError ||
    error instanceof ScheduleValidationError
  ) {
    const fields = fieldsOf(error.issues);
    return { status: 400, code: error.code, message: error.message, fields };
  }
  // Their messages name fields and rules only, never the value (secrets included).
  if (
    error instanceof InvalidKeyError ||
    error instanceof InvalidFileRequestError ||
    error instanceof InvalidSecretError
  ) {
    const field = FIELD_OF_CODE[error.code] ?? '(request)';
    return {
      status: 400,
      code: error.code,
      message: error.message,
      fields: [{ field, message: error.message }],
    };
  }
  return undefined;
}

/**
 * Maps an error to its HTTP answer by type (never by message text). Undefined means it is not a
 * known failure of the caller's making: the server answers 500 and logs it.
 */
export function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof ApiError) {
    return {
      status: error.status,
      code: error.code,
      message: error.message,
      ...(error.fields ? { fields: fieldsOf(error.fields) } : {}),
    };
  }
  const invalid = validationError(error);
  if (invalid) return invalid;
  if (error instanceof CrossTenantSecretError) {
    return { status: 403, code: 'tenant.forbidden', message: 'this account is not available to this tenant' };
  }
  if (error instanceof ForbiddenError) return { status: 403, code: error.code, message: error.message };
  if (error instanceof SecretNotFoundError) return { status: 404, code: error.code, message: error.message };
  if (error instanceof ConditionFailedError) {
    return {
      status: 409,
      code: 'request.conflict',
      message: 'the item changed meanwhile; read it and retry',
    };
  }
  return fastifyClientError(error) ?? unavailable(error);
}

/** Failures of a dependency that a later retry may not meet (throttling, 5xx, network). */
const UNAVAILABLE_CODES = new Set(['aws.throttled', 'aws.server', 'net.error']);

/** A dependency (DynamoDB, S3, SQS, …) throttled or did not answer: 503, answered with Retry-After. */
function unavailable(error: unknown): HttpError | undefined {
  if (!UNAVAILABLE_CODES.has(classifyFailure(error).code)) return undefined;
  return { status: 503, code: 'service.unavailable', message: 'a dependency is unavailable; retry later' };
}
