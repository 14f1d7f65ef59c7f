import { createLogger, type Logger } from '../../src/lib/logger.js';

/** One parsed pino line: `level` is pino's number (30 info, 40 warn, 50 error, 60 fatal). */
export type LogLine = Record<string, unknown> & { readonly level: number; readonly msg?: string };

export interface CapturedLog {
  readonly log: Logger;
  /** Every line written so far, parsed. */
  lines(): LogLine[];
}

/** A real JSON logger whose lines are kept in memory, so a test can assert on them. */
export function captureLog(level = 'info'): CapturedLog {
  const raw: string[] = [];
  const log = createLogger({
    level,
    destination: {
      write(line: string) {
        raw.push(line);
      },
    },
  });
  return { log, lines: () => raw.map((line) => JSON.parse(line) as LogLine) };
}
