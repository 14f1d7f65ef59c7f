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
