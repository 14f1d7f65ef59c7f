import { afterAll, expect } from 'vitest';
import { stillRunning, stopAll } from '../../src/lib/lifecycle.js';

/**
 * Fails a test file that leaves a worker, consumer, poller or child process running after its
 * own hooks are done (fixtures may live for a whole file), then stops what was left.
 */
afterAll(async () => {
  const leaked = stillRunning().map((r) => r.name);
  if (leaked.length > 0) await stopAll();
  expect(leaked, 'left running after the test file').toEqual([]);
});
