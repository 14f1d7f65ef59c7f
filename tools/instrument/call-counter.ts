import type { ClientMiddleware } from '../../src/aws/index.js';

/**
 * Counts AWS API requests per service and operation. Counted per HTTP attempt (retries
 * included), because that is what AWS bills.
 */
export class CallCounter {
  readonly #counts = new Map<string, number>();

  /** Records one request. */
  record(service: string, operation: string): void {
    const key = `${service}.${operation}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  /** Counts keyed `Service.Operation`, e.g. `SQS.SendMessageBatch`. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.#counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  total(): number {
    let sum = 0;
    for (const n of this.#counts.values()) sum += n;
    return sum;
  }

  reset(): void {
    this.#counts.clear();
  }
}

/** `SQSClient` → `SQS`, `SendMessageCommand` → `SendMessage`. */
export function operationName(clientName: string, commandName: string): [string, string] {
  return [clientName.replace(/Client$/, ''), commandName.replace(/Command$/, '')];
}

/** Middleware that records every HTTP attempt of a client in `counter`. */
export function countingMiddleware(counter: CallCounter): ClientMiddleware {
  return {
    applyTo(stack) {
      stack.add(
        (next, context) => async (args) => {
          const [service, operation] = operationName(
            context.clientName ?? 'Unknown',
            context.commandName ?? 'Unknown',
          );
          counter.record(service, operation);
          return next(args);
        },
        // The deserialize step runs once per attempt, inside the retry loop.
        { step: 'deserialize', name: 'scanqCallCounter', priority: 'high' },
      );
    },
  };
}
