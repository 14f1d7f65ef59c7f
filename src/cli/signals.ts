import { stopAll } from '../lib/lifecycle.js';
import type { Logger } from '../lib/logger.js';

/**
 * First SIGTERM/SIGINT: run `drain` (graceful stop), then exit 0. A second signal exits at once
 * (code 130), for an operator who does not want to wait.
 */
export function onShutdownSignals(log: Logger, drain: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    stopping = true;
    log.info({ signal }, 'draining');
    drain().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ error }, 'drain failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

/** Parses a positive integer CLI option, for commander. */
export function positiveInt(name: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1 || n > max)
      throw new Error(`${name} must be a whole number from 1 to ${max}`);
    return n;
  };
}

/**
 * For measurement commands (bench, chaos, fuzz): on SIGINT/SIGTERM stop every worker process and
 * emulator the run started (src/lib/lifecycle.ts), then exit 130.
 */
export function stopAllOnSignal(command: string): void {
  const handler = () => {
    process.stderr.write(`\nscanq ${command}: stopping\n`);
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
