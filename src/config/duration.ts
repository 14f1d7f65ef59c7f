const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration such as `500ms`, `30s`, `5m`, `12h`, `2d`, or a bare number of
 * milliseconds. Returns `undefined` for anything else.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match?.[1]) return undefined;
  const factor = UNITS[match[2] ?? 'ms'] ?? 1;
  return Math.round(Number(match[1]) * factor);
}
