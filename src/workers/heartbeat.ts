import { coerceError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

/** What one beat found. */
export type BeatResult = 'held' | 'lost' | 'cancelled';

export interface HeartbeatOptions {
  readonly intervalMs: number;
  /**
   * Extends visibility and lease together: `held`, `lost` (fenced: another attempt owns the job),
   * or `cancelled` (held, but job control asked the job to stop).
   */
  readonly beat: () => Promise<BeatResult>;
  /** Called once when a beat reports the lease lost. */
  readonly onLost: () => void;
  /** Called once when a beat reports the job cancelled; the heartbeat stops. */
  readonly onCancelled: () => void;
  readonly log: Logger;
}

/**
 * Beats every `intervalMs` while a job runs (one beat at a time). A failed beat is logged and
 * retried at the next interval; a lost lease stops the heartbeat and calls `onLost`, a cancel
 * request `onCancelled`.
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
      const result = await options.beat();
      if (result !== 'held' && !stopped) {
        stopped = true;
        if (result === 'lost') options.onLost();
        else options.onCancelled();
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
