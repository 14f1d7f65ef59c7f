/**
 * What the fuzzer watches besides answers: exceptions nobody caught (which would have killed a
 * server or worker process), and the error-level lines the code under test logged.
 */
import { coerceError, createLogger, type Logger } from '../../src/lib/index.js';

/** Uncaught exceptions and unhandled rejections while the watch is on. */
export interface CrashWatch {
  count(): number;
  /** The first few, as `name: message`. */
  examples(): readonly string[];
  stop(): void;
}

/**
 * Counts uncaught exceptions and unhandled rejections instead of dying of them, so one crash is
 * counted and the run goes on to count the rest. Only for the fuzzer: the real processes die.
 */
export function watchCrashes(): CrashWatch {
  let count = 0;
  const examples: string[] = [];
  const seen = (error: unknown) => {
    count++;
    const e = coerceError(error);
    if (examples.length < 5) examples.push(`${e.name}: ${e.message.slice(0, 200)}`);
  };
  process.on('uncaughtException', seen);
  process.on('unhandledRejection', seen);
  return {
    count: () => count,
    examples: () => examples,
    stop() {
      process.off('uncaughtException', seen);
      process.off('unhandledRejection', seen);
    },
  };
}

/** Log lines by level name and message, from a logger given to the code under test. */
export interface LogTally {
  readonly log: Logger;
  /** Lines at `error` or above. */
  errors(): number;
  /** Lines with this message (any level). */
  withMessage(msg: string): number;
  /** The first few error lines, as `msg: error message`. */
  errorExamples(): readonly string[];
}

const ERROR_LEVEL = 50;

/** A `warn`-level logger that counts what it is given instead of printing it. */
export function tallyLog(): LogTally {
  let errors = 0;
  const byMessage = new Map<string, number>();
  const examples: string[] = [];
  const log = createLogger({
    level: 'warn',
    destination: {
      write(line: string) {
        let parsed: { level?: number; msg?: string; error?: { message?: string } };
        try {
          parsed = JSON.parse(line) as typeof parsed;
        } catch {
          return;
        }
        const msg = parsed.msg ?? '';
        byMessage.set(msg, (byMessage.get(msg) ?? 0) + 1);
        if ((parsed.level ?? 0) >= ERROR_LEVEL) {
          errors++;
          if (examples.length < 5) examples.push(`${msg}: ${(parsed.error?.message ?? '').slice(0, 200)}`);
        }
      },
    },
  });
  return {
    log,
    errors: () => errors,
    withMessage: (msg) => byMessage.get(msg) ?? 0,
    errorExamples: () => examples,
  };
}
