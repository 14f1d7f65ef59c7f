/**
 * The receive order of a worker over the two lanes (docs/WORKER.md "Lanes"): the jobs queue
 * first, the bulk queue whenever the jobs queue has nothing for the free slots, and the bulk
 * queue at least once in `bulkEvery` receives, so neither lane starves. Pure: the poller keeps
 * one {@link ReceiveState} per process and asks {@link nextReceive} before each receive.
 */
import { LANE, type Lane } from '../producer/index.js';

/** What the last receives of each lane said. */
export interface ReceiveState {
  /** Receives since the last one from the bulk queue. */
  readonly sinceBulk: number;
  /** The last jobs receive brought fewer messages than it asked for. */
  readonly jobsDry: boolean;
  /** The last bulk receive brought fewer messages than it asked for (since the last jobs receive). */
  readonly bulkDry: boolean;
}

/** A receive to make: from which lane, and whether it may long-poll. */
export interface NextReceive {
  readonly lane: Lane;
  /** `long`: the queue's long-poll wait; `short`: answer at once (another lane may have work). */
  readonly wait: 'long' | 'short';
}

export const INITIAL_RECEIVE_STATE: ReceiveState = { sinceBulk: 0, jobsDry: false, bulkDry: false };

/**
 * Chooses the next receive. The bulk queue's guaranteed share comes first (every `bulkEvery`-th
 * receive); then the jobs queue unless its last answer was short of messages; then the bulk
 * queue unless its last answer was; when both were, the jobs queue long-polls (idle). A jobs
 * receive long-polls only while the bulk queue is known empty, so a worker never sits on an empty
 * jobs queue while bulk work waits.
 */
export function nextReceive(state: ReceiveState, bulkEvery: number): NextReceive {
  // At least every second receive would be the jobs queue's: one in one would starve it.
  if (state.sinceBulk + 1 >= Math.max(2, bulkEvery)) return { lane: LANE.bulk, wait: 'short' };
  if (!state.jobsDry) return { lane: LANE.jobs, wait: state.bulkDry ? 'long' : 'short' };
  if (!state.bulkDry) return { lane: LANE.bulk, wait: 'short' };
  return { lane: LANE.jobs, wait: 'long' };
}

/**
 * The state after a receive of `lane` asked for `asked` messages and got `got`. After a bulk
 * receive the jobs queue is asked again first (jobs first: a quiet tenant's message waits at most
 * one bulk receive); after a jobs receive, the bulk queue is no longer known empty (new excess
 * may have arrived while it was not looked at).
 */
export function afterReceive(state: ReceiveState, lane: Lane, asked: number, got: number): ReceiveState {
  const dry = got < asked;
  if (lane === LANE.bulk) return { sinceBulk: 0, jobsDry: false, bulkDry: dry };
  return { sinceBulk: state.sinceBulk + 1, jobsDry: dry, bulkDry: false };
}
