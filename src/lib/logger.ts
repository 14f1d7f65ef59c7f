import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino censors in every log line. Credentials must never reach a log, even by accident
 * (a whole error or options object logged at debug level). Each name is censored at the top level
 * and two levels down (`{attempt: {runCtx: {credentials}}}`, array elements `{accounts: [{…}]}`,
 * an SDK error's modelled fields under `error`), in our spelling and in the SDK's (STS
 * `Credentials.SecretAccessKey`, Secrets Manager `SecretString`/`SecretBinary`). Deeper values are
 * not covered: log ids, not objects. A cause that is an `Error` adds only its message and stack
 * (pino's error serializer), so error messages must never carry a value.
 */
export const REDACT_PATHS: readonly string[] = [
  'secret',
  'secretValue',
  'credentials',
  'password',
  'token',
  'authorization',
  'accessKeyId',
  'secretAccessKey',
  'sessionToken',
  'SecretString',
  'SecretBinary',
  'Credentials',
  'AccessKeyId',
  'SecretAccessKey',
  'SessionToken',
].flatMap((name) => [name, `*.${name}`, `*.*.${name}`]);

export interface LoggerOptions {
  readonly level: string;
  /** Process role, on every line (`worker`, `api`, …). */
  readonly name?: string;
  /** Where lines go; default stderr, so stdout stays for command output. */
  readonly destination?: DestinationStream;
}

/** What a log line's `error` field holds: the error's class, its stable code, its message. */
export interface ErrorFields {
  /** The error's class name (`JobConflictError`, `ConditionalCheckFailedException`, `Error`). */
  readonly type: string;
  /** The stable code of a scanq error (`job.conflict`) or an SDK error's `Code`; absent otherwise. */
  readonly code?: string;
  readonly message: string;
}

/**
 * The one set of field names scanq's log lines use (DESIGN §7). Ids only, never tenant data or a
 * credential; `trace_id`/`span_id` on the lines of a job whose trace is known.
 */
export interface LogFields {
  readonly tenant?: string;
  readonly user?: string;
  readonly key?: string;
  readonly capability?: string;
  readonly attempt?: number;
  readonly queue?: string;
  readonly table?: string;
  readonly bucket?: string;
  readonly file?: string;
  readonly requestId?: string;
  readonly error?: ErrorFields;
  readonly trace_id?: string;
  readonly span_id?: string;
}

/**
 * `{type, code, message}` of anything thrown (the `error` serializer of every logger). Nothing
 * else of the error is kept: no stack, no modelled fields of an SDK exception, no cause, so no
 * value an error carries (credentials, a request) can reach a line.
 */
export function errorFields(value: unknown): ErrorFields {
  if (value instanceof Error) {
    const raw =
      (value as Error & { code?: unknown; Code?: unknown }).code ?? (value as { Code?: unknown }).Code;
    const code = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : undefined;
    return { type: value.name, ...(code ? { code } : {}), message: value.message };
  }
  if (typeof value === 'string') return { type: 'Error', message: value };
  if (typeof value === 'object' && value !== null) {
    const { type, code, message } = value as Record<string, unknown>;
    if (typeof message === 'string')
      return {
        type: typeof type === 'string' ? type : 'Error',
        ...(typeof code === 'string' ? { code } : {}),
        message,
      };
  }
  return { type: typeof value, message: String(value) };
}

/** The JSON logger; field names are fixed ({@link LogFields}); `error` is always `{type, code, message}`. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      ...(options.name ? { name: options.name } : {}),
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // An error passed as the first argument lands under `error` too: one name for one field.
      errorKey: 'error',
      serializers: { error: errorFields, err: errorFields },
    },
    options.destination ?? pino.destination(2),
  );
}
