/**
 * A registry of long-running things a process started (child processes, consumers, pollers,
 * timers). Each registers on start and releases on stop; tests fail when something is left
 * running (test/helpers/leak-guard.ts), and shutdown code can stop whatever is still live.
 */
export interface Running {
  readonly name: string;
  /** Stops the thing; resolves once it is stopped. */
  readonly stop: () => Promise<void>;
}

const running = new Set<Running>();

/** Registers a running thing; call the returned function when it has stopped. */
export function track(name: string, stop: () => Promise<void>): () => void {
  const entry: Running = { name, stop };
  running.add(entry);
  return () => {
    running.delete(entry);
  };
}

/** What is still running. */
export function stillRunning(): readonly Running[] {
  return [...running];
}

/** Stops everything still registered (used by leak guards and last-resort shutdown). */
export async function stopAll(): Promise<string[]> {
  const names: string[] = [];
  for (const entry of [...running]) {
    names.push(entry.name);
    running.delete(entry);
    await entry.stop().catch(() => {});
  }
  return names;
}
