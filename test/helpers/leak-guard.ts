import { afterEach, expect } from 'vitest';
import { stillRunning, stopAll } from '../../src/lib/lifecycle.js';

/** Fails a test that leaves a worker, consumer, poller or child process running, then stops it. */
afterEach(async () => {
  const leaked = stillRunning().map((r) => r.name);
  if (leaked.length > 0) await stopAll();
  expect(leaked, 'left running after the test').toEqual([]);
});
