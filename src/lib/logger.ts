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

/** The JSON logger; field names are fixed: tenant, user, key, capability, attempt, queue, table, … */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      ...(options.name ? { name: options.name } : {}),
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { error: pino.stdSerializers.err },
    },
    options.destination ?? pino.destination(2),
  );
}
