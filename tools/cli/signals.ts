import { stopAll } from '../../src/lib/index.js';

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
