import type { Logger } from '../lib/logger.js';

/**
 * First SIGTERM/SIGINT: run `drain` (graceful stop), then exit 0. A SIGINT during the drain exits
 * at once (code 130), for an operator at a terminal who does not want to wait. A repeated SIGTERM
 * is ignored: orchestrators send one from a preStop hook and another when the hook ends (Kubernetes),
 * and the drain must not be cut short by the second; they SIGKILL after their grace period anyway.
 */
export function onShutdownSignals(log: Logger, drain: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      if (signal === 'SIGTERM') {
        log.info({ signal }, 'already draining');
        return;
      }
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

// The numeric-flag parser moved to flags.ts; this name stays for modules that import it from here.
export { positiveInt } from './flags.js';
