/**
 * A lane: a freshly bootstrapped stack with its own producer, for one phase. Phases never share a
 * queue: a worker stopped at the end of one phase leaves long polls behind that would swallow the
 * next phase's first messages for a visibility timeout (docs/PERFORMANCE.md, "Findings").
 */
import { createAwsClients } from '../../src/aws/index.js';
import { createLogger } from '../../src/lib/index.js';
import { createProducer, type Producer } from '../../src/producer/index.js';
import { createMeter, type Meter } from '../instrument/call-stats.js';
import { destroyStack, type Endpoint, openStack, runPrefix, type Stack } from './endpoint.js';

export interface Lane {
  readonly stack: Stack;
  /** The producer, on its own metered clients (so observers' calls are not counted as its). */
  readonly producer: Producer;
  readonly producerMeter: Meter;
  close(): Promise<void>;
}

/** Bootstraps `{label}-{random}` on `endpoint` with a producer. */
export async function openLane(
  endpoint: Endpoint,
  label: string,
  extra: Readonly<Record<string, string>> = {},
): Promise<Lane> {
  const stack = await openStack(endpoint, runPrefix(label), extra);
  const producerMeter = createMeter();
  const clients = createAwsClients(stack.config, { middleware: producerMeter.middleware });
  const producer = await createProducer(stack.config, { clients, log: createLogger({ level: 'silent' }) });
  return {
    stack,
    producer,
    producerMeter,
    async close() {
      producer.close();
      clients.destroy();
      // A local endpoint this run started is thrown away whole; someone else's is cleaned up.
      if (endpoint.profile === 'external') await destroyStack(stack).catch(() => {});
      stack.clients.destroy();
    },
  };
}
