import { describe, expect, it } from 'vitest';
import { ApiError, AuthError, RequestValidationError, toHttpError } from '../../../src/api/index.js';
import { JobValidationError } from '../../../src/jobs/index.js';
import { ScheduleValidationError } from '../../../src/scheduler/errors.js';
import {
  ConditionFailedError,
  CrossTenantSecretError,
  ForbiddenError,
  InvalidFileRequestError,
  InvalidKeyError,
  ProfileValidationError,
  SecretNotFoundError,
} from '../../../src/tenancy/index.js';

describe('Function: toHttpError', () => {
  const fieldsOf = [{ field: 'target', message: 'must not be empty' }];
  it.each([
    { name: 'ApiError', error: new ApiError(409, 'x.y', 'm'), status: 409, code: 'x.y' },
    {
      name: 'AuthError',
      error: new AuthError('auth.invalidToken', 'm'),
      status: 401,
      code: 'auth.invalidToken',
    },
    {
      name: 'RequestValidationError',
      error: new RequestValidationError(fieldsOf),
      status: 400,
      code: 'request.invalid',
      fields: fieldsOf,
    },
    {
      name: 'JobValidationError',
      error: new JobValidationError(fieldsOf),
      status: 400,
      code: 'job.invalid',
      fields: fieldsOf,
    },
    {
      name: 'ProfileValidationError',
      error: new ProfileValidationError(fieldsOf),
      status: 400,
      code: 'tenant.invalidProfile',
      fields: fieldsOf,
    },
    {
      name: 'ScheduleValidationError',
      error: new ScheduleValidationError(fieldsOf),
      status: 400,
      code: 'schedule.invalid',
      fields: fieldsOf,
    },
    {
      name: 'InvalidKeyError',
      error: new InvalidKeyError('table.invalidCursor', 'cursor: bad'),
      status: 400,
      code: 'table.invalidCursor',
      fields: [{ field: 'cursor', message: 'cursor: bad' }],
    },
    {
      name: 'InvalidKeyError of an unmapped code',
      error: new InvalidKeyError('table.other', 'x: bad'),
      status: 400,
      code: 'table.other',
      fields: [{ field: '(request)', message: 'x: bad' }],
    },
    {
      name: 'InvalidFileRequestError',
      error: new InvalidFileRequestError('files.noSuchUpload', 'm'),
      status: 400,
      code: 'files.noSuchUpload',
      fields: [{ field: 'uploadId', message: 'm' }],
    },
    {
      name: 'ForbiddenError',
      error: new ForbiddenError('tenant.assumeDenied', 'm'),
      status: 403,
      code: 'tenant.assumeDenied',
    },
    {
      name: 'CrossTenantSecretError',
      error: new CrossTenantSecretError('a', '1', 'b'),
      status: 403,
      code: 'tenant.forbidden',
    },
    {
      name: 'SecretNotFoundError',
      error: new SecretNotFoundError('1'),
      status: 404,
      code: 'secrets.notFound',
    },
    {
      name: 'ConditionFailedError',
      error: new ConditionFailedError('#k', undefined),
      status: 409,
      code: 'request.conflict',
    },
  ])('maps $name to $status $code', ({ error, status, code, fields }) => {
    const mapped = toHttpError(error);
    expect(mapped).toMatchObject({ status, code });
    if (fields) expect(mapped?.fields).toEqual(fields);
  });

  it('maps a Fastify body error to a 400 naming the body', () => {
    const error = Object.assign(new Error('Body is not valid JSON'), {
      statusCode: 400,
      code: 'FST_ERR_CTP_INVALID_JSON_BODY',
    });
    expect(toHttpError(error)).toEqual({
      status: 400,
      code: 'request.invalidJson',
      message: 'the body is not valid JSON',
      fields: [{ field: '(body)', message: 'the body is not valid JSON' }],
    });
  });

  it.each([
    new Error('boom'),
    new TypeError('x'),
    'text',
    Object.assign(new Error('x'), { statusCode: 503 }),
  ])('leaves %s unmapped (the server answers 500 and logs it)', (error) => {
    expect(toHttpError(error)).toBeUndefined();
  });
});
