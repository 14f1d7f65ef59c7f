/** Job status codes (compatible with Chariot's). */
export const STATUS = {
  queued: 'JQ',
  running: 'JR',
  asyncRunning: 'JRA',
  asyncReturning: 'JQA',
  passed: 'JP',
  failed: 'JF',
} as const;

export type StatusCode = (typeof STATUS)[keyof typeof STATUS];
export const STATUS_CODES: readonly StatusCode[] = Object.values(STATUS);
export const TERMINAL: ReadonlySet<StatusCode> = new Set([STATUS.passed, STATUS.failed]);

/** What each code means, for people (docs/REFERENCE.md is generated from it). */
export const STATUS_MEANINGS: Readonly<Record<StatusCode, string>> = {
  JQ: 'Job Queued: inserted and sent to the queue, waiting for a worker',
  JR: 'Job Running: a worker claimed it (`owner`, `attempt`, `leaseUntil`) and runs the capability',
  JRA: 'Job Running Async: handed to an outside scanner (`asyncRef`), waiting for its callback until `asyncDeadline`',
  JQA: 'Job Queued Async-return: the outside scanner called back; queued for a worker to ingest its output',
  JP: 'Job Passed (terminal): finished with a result',
  JF: 'Job Failed (terminal): finished with an `error` saying why',
};

/**
 * The prefix to compare a stored status with. Always `CODE#`, never the bare code:
 * `begins_with(status, "JR")` would also match `JRA`.
 */
export function statusPrefix(code: StatusCode): `${StatusCode}#` {
  return `${code}#`;
}

/** The stored form `CODE#RFC3339` (UTC, milliseconds, so strings sort by time). */
export function statusValue(code: StatusCode, at: Date): string {
  return `${code}#${at.toISOString()}`;
}

/** The code of a stored status, or undefined when it is not one. */
export function statusCode(value: unknown): StatusCode | undefined {
  if (typeof value !== 'string') return undefined;
  const code = value.split('#', 1)[0];
  return STATUS_CODES.find((c) => c === code && value.startsWith(`${c}#`));
}
