/**
 * Base of every scanq error: a stable machine-readable `code` (`module.reason`) and the
 * original `cause`. Callers decide by type or code, never by message text.
 */
export class ScanqError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Turns anything thrown into an `Error` so every catch site handles one shape. */
export function coerceError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(JSON.stringify(value));
  } catch {
    return new Error(String(value));
  }
}

/** The `name` of an AWS SDK (or any) error, for matching service exceptions by type name. */
export function errorName(value: unknown): string | undefined {
  return value instanceof Error ? value.name : undefined;
}
