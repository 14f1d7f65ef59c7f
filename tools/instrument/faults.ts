import type { ClientMiddleware } from '../../src/aws/index.js';

/** Which share of AWS calls to fail, and how. For tests and chaos runs only. */
export interface FaultPlan {
  /** Probability in [0, 1] that a request fails before it is sent. */
  readonly rate: number;
  /** Only operations matching this (`Service.Operation`) are eligible; default all. */
  readonly match?: (service: string, operation: string) => boolean;
  /**
   * Share of faults thrown after the request reached AWS (the response is lost): the write
   * happened but the caller sees an error. Default 0.
   */
  readonly ambiguous?: number;
  /** Source of randomness, injectable for deterministic tests. */
  readonly random?: () => number;
}

/** The error a faulted call throws: shaped like an AWS throttling or 5xx response, so it is retryable. */
export class InjectedFaultError extends Error {
  readonly $fault = 'server';
  readonly $metadata: { httpStatusCode: number };

  constructor(kind: 'ThrottlingException' | 'InternalError', operation: string) {
    super(`injected ${kind} on ${operation}`);
    this.name = kind;
    this.$metadata = { httpStatusCode: kind === 'ThrottlingException' ? 400 : 500 };
  }
}

/**
 * Middleware that fails a share of attempts with throttling or 5xx errors, inside the retry loop,
 * so the SDK's own retries and scanq's error handling both see them. The errors carry what a real
 * AWS error carries (`$fault`, `$metadata.httpStatusCode`, the error name), so the engine treats
 * them as it would a real one: it has no knowledge of this class.
 */
export function faultMiddleware(plan: FaultPlan): ClientMiddleware {
  const random = plan.random ?? Math.random;
  return {
    applyTo(stack) {
      stack.add(
        (next, context) => async (args) => {
          const service = (context.clientName ?? '').replace(/Client$/, '');
          const operation = (context.commandName ?? '').replace(/Command$/, '');
          if (!(plan.match?.(service, operation) ?? true) || random() >= plan.rate) return next(args);
          const kind = random() < 0.5 ? 'ThrottlingException' : 'InternalError';
          if (random() < (plan.ambiguous ?? 0)) {
            await next(args);
          }
          throw new InjectedFaultError(kind, `${service}.${operation}`);
        },
        { step: 'deserialize', name: 'scanqFaultInjection', priority: 'low' },
      );
    },
  };
}
