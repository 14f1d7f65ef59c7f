import { describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../src/lib/logger.js';

// Distinctive values: if any of them appears anywhere in a line, a credential leaked.
const ACCESS_KEY_ID = 'AKIAREDACTIONTEST0001';
const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI-redaction-secret-0001';
const SESSION_TOKEN = 'FwoGZXIvYXdzEredaction-session-0001';
const SECRETS = [ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN] as const;

/** The shape we pass around in code (`JobCredentials`, resolved STS keys). */
const keys = { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, sessionToken: SESSION_TOKEN };
/** The stored secret value (`AccountCredentials`). */
const accountCredentials = { kind: 'aws-keys', ...keys, region: 'eu-west-1' };
/** What the SDK returns: STS `Credentials`, Secrets Manager `SecretString`, with `$metadata`. */
const metadata = { httpStatusCode: 200, requestId: 'req-1', attempts: 1, totalRetryDelay: 0 };
const stsCredentials = {
  AccessKeyId: ACCESS_KEY_ID,
  SecretAccessKey: SECRET_ACCESS_KEY,
  SessionToken: SESSION_TOKEN,
  Expiration: new Date('2030-01-01T00:00:00Z'),
};
const assumeRoleOutput = {
  $metadata: metadata,
  Credentials: stsCredentials,
  AssumedRoleUser: { Arn: 'arn:aws:sts::123456789012:assumed-role/scan/scanq-a', AssumedRoleId: 'AROA:x' },
};
const getSecretValueOutput = {
  $metadata: metadata,
  ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:p/a/account/1-AbCdEf',
  Name: 'p/a/account/1',
  VersionId: 'v1',
  SecretString: JSON.stringify(accountCredentials),
  SecretBinary: new TextEncoder().encode(JSON.stringify(accountCredentials)),
};

/** An AWS SDK service exception: an Error with `$metadata`, `$fault` and modelled fields. */
function sdkError(extra: Record<string, unknown>): Error {
  return Object.assign(new Error('The security token included in the request is invalid'), {
    name: 'UnrecognizedClientException',
    $fault: 'client',
    $metadata: { ...metadata, httpStatusCode: 400 },
    ...extra,
  });
}

/**
 * How a shape is kept clean: `redaction` — a path in REDACT_PATHS censors it (the line shows
 * `[redacted]`); `serializer` — the `error` serializer keeps only `{type, code, message}` of an error.
 */
type Via = 'redaction' | 'serializer';
type Shape = readonly [label: string, via: Via, write: (log: Logger) => void];

const SHAPES: readonly Shape[] = [
  ['top level (the object is the log object)', 'redaction', (log) => log.info(keys, 'resolved')],
  ['top level, the stored value', 'redaction', (log) => log.info(accountCredentials, 'read')],
  ['under a `credentials` field', 'redaction', (log) => log.info({ tenant: 'a', credentials: keys }, 'x')],
  ['nested one level (`value`)', 'redaction', (log) => log.info({ value: accountCredentials }, 'put')],
  [
    'nested one level (run context)',
    'redaction',
    (log) => log.debug({ runCtx: { tenant: 'a', credentials: keys } }, 'run'),
  ],
  [
    'nested two levels',
    'redaction',
    (log) => log.debug({ attempt: { runCtx: { tenant: 'a', credentials: keys } } }, 'x'),
  ],
  ['keys two levels down', 'redaction', (log) => log.debug({ attempt: { resolved: { ...keys } } }, 'x')],
  [
    'in an array',
    'redaction',
    (log) => log.info({ accounts: [{ accountId: '1', credentials: keys }] }, 'listed'),
  ],
  [
    'keys in an array element',
    'redaction',
    (log) => log.info({ accounts: [{ accountId: '1', ...keys }] }, 'listed'),
  ],
  ['STS AssumeRole output', 'redaction', (log) => log.debug({ output: assumeRoleOutput }, 'assumed')],
  ['STS Credentials at top level', 'redaction', (log) => log.debug(assumeRoleOutput, 'assumed')],
  [
    'STS Credentials, keys two levels down',
    'redaction',
    (log) => log.debug({ sts: { output: { ...stsCredentials } } }, 'x'),
  ],
  ['GetSecretValue output', 'redaction', (log) => log.debug({ output: getSecretValueOutput }, 'read')],
  ['GetSecretValue output at top level', 'redaction', (log) => log.debug(getSecretValueOutput, 'read')],
  [
    'CreateSecret input',
    'redaction',
    (log) => log.debug({ input: { Name: 'p/a/account/1', SecretString: JSON.stringify(keys) } }, 'create'),
  ],
  [
    'an Authorization header',
    'redaction',
    (log) =>
      log.debug(
        {
          request: {
            headers: {
              authorization: `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY_ID}/x, ${SECRET_ACCESS_KEY}`,
            },
          },
        },
        'request',
      ),
  ],
  [
    'an error carrying credentials (`error` field)',
    'serializer',
    (log) => log.error({ error: Object.assign(new Error('failed'), { credentials: keys }) }, 'failed'),
  ],
  [
    'an error passed as the first argument (`err`)',
    'serializer',
    (log) => log.error(Object.assign(new Error('x'), keys)),
  ],
  [
    'an error with an enumerable, plain-object cause',
    'serializer',
    (log) => log.error({ error: Object.assign(new Error('x'), { cause: { credentials: keys } }) }, 'x'),
  ],
  [
    'an error whose cause is an object with credentials',
    'serializer',
    (log) => log.error({ error: new Error('assume failed', { cause: { credentials: keys } }) }, 'failed'),
  ],
  [
    'an error whose cause is an error with keys',
    'serializer',
    (log) => log.error({ error: new Error('failed', { cause: Object.assign(new Error('c'), keys) }) }, 'x'),
  ],
  [
    'an `err` whose cause carries credentials',
    'serializer',
    (log) => log.error(new Error('assume failed', { cause: { credentials: keys } }), 'failed'),
  ],
  [
    'an AWS SDK-like error with $metadata and STS Credentials',
    'serializer',
    (log) => log.warn({ error: sdkError({ Credentials: stsCredentials }) }, 'sdk call failed'),
  ],
  [
    'an AWS SDK-like error as the cause of ours',
    'serializer',
    (log) =>
      log.warn(
        { error: new Error('read failed', { cause: sdkError({ SecretString: JSON.stringify(keys) }) }) },
        'x',
      ),
  ],
  [
    'child logger bindings',
    'redaction',
    (log) => log.child({ tenant: 'a', credentials: keys, value: accountCredentials }).info('bound'),
  ],
];

function collect(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = createLogger({ level: 'trace', destination: { write: (line: string) => lines.push(line) } });
  return { log, lines };
}

describe('Function: createLogger (redaction)', () => {
  it.each(SHAPES)('leaves no credential in the line: %s (by %s)', (_label, via, write) => {
    // Prepare
    const { log, lines } = collect();

    // Act
    write(log);

    // Assess: one line was written, censored where a path applies, and no secret survives anywhere.
    expect(lines).toHaveLength(1);
    const line = lines[0] ?? '';
    if (via === 'redaction') expect(line).toContain('[redacted]');
    for (const secret of SECRETS) expect(line).not.toContain(secret);
  });

  it('writes every error as {type, code, message}, an error passed first under `error` too', () => {
    const { log, lines } = collect();
    const coded = Object.assign(new Error('job taken'), { name: 'JobConflictError', code: 'job.conflict' });

    log.error({ error: coded }, 'failed');
    log.error(coded, 'failed again');
    log.warn({ error: 'transient: throttled' }, 'retrying');

    const errors = lines.map((line) => (JSON.parse(line) as { error?: unknown; err?: unknown }).error);
    expect(errors).toEqual([
      { type: 'JobConflictError', code: 'job.conflict', message: 'job taken' },
      { type: 'JobConflictError', code: 'job.conflict', message: 'job taken' },
      { type: 'Error', message: 'transient: throttled' },
    ]);
    for (const line of lines) expect(line).not.toContain('"err"');
  });

  it('keeps ids and the message, so redaction does not blank the whole line', () => {
    const { log, lines } = collect();

    log.info({ tenant: 'tenant-a', accountId: '123', credentials: keys }, 'credentials resolved');

    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      tenant: 'tenant-a',
      accountId: '123',
      credentials: '[redacted]',
      msg: 'credentials resolved',
    });
  });

  it('does not censor a value merely because it looks secret under an unlisted key (the test can fail)', () => {
    // Redaction is by path, not content: this is the limit the paths above must cover.
    const { log, lines } = collect();

    log.info({ note: SECRET_ACCESS_KEY }, 'unlisted');

    expect(lines[0]).toContain(SECRET_ACCESS_KEY);
  });
});
