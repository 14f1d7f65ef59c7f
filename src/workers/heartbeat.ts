import { coerceError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

export interface HeartbeatOptions {
  readonly intervalMs: number;
  /** Extends visibility and lease together; resolves false when the lease was lost (fenced). */
  readonly beat: () => Promise<boolean>;
  /** Called once when a beat reports the lease lost. */
  readonly onLost: () => void;
  readonly log: Logger;
}

/**
 * Beats every `intervalMs` while a job runs (one beat at a time). A failed beat is logged and
 * retried at the next interval; a lost lease stops the heartbeat and calls `onLost`.
 * @returns a function that stops the heartbeat.
 */
export function startHeartbeat(options: HeartbeatOptions): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (!stopped) timer = setTimeout(tick, options.intervalMs);
  };
  const tick = async () => {
    try {
      if (!(await options.beat()) && !stopped) {
        stopped = true;
        options.onLost();
        return;
      }
    } catch (error) {
      options.log.warn({ error: coerceError(error) }, 'heartbeat failed; retrying at the next interval');
    }
    schedule();
  };
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
