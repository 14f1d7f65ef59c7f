import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/index.js';
import { createEventPublisher, type JobEvent } from '../../src/notify/index.js';
import { createMeter } from '../../tools/instrument/call-stats.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { subscribeToTopic } from '../helpers/stack-extras.js';
import { eventually } from '../helpers/worker-process.js';

const event = (i: number): JobEvent => ({
  tenant: i % 2 === 0 ? 'acme' : 'globex',
  key: `#job#t${i}#noop`,
  capability: 'noop',
  status: 'JP',
  attempt: 1,
  resultKey: `acme/results/2026-12-03/noop/x/${i}.json`,
});

describe('Function: createEventPublisher (SNS PublishBatch through the micro-batcher)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await createTestStack('events');
  });
  afterAll(async () => {
    await destroyTestStack(stack);
  });

  it('delivers every event of concurrent jobs, in batches of up to ten, with its filter attributes', async () => {
    // Prepare: clients that count their requests; a queue subscribed to the topic.
    const meter = createMeter();
    const clients = createAwsClients(stack.config, { middleware: meter.middleware });
    const received = await subscribeToTopic(stack);
    const publisher = createEventPublisher(clients.sns, stack.report.topicArn, { lingerMs: 50 });

    // Act: 25 jobs finish at once; one more event waits alone until the flush.
    await Promise.all(Array.from({ length: 25 }, (_, i) => publisher.publish(event(i))));
    const last = publisher.publish(event(25), 'import.quarantined');
    await publisher.flush();
    await last;

    // Assess: 26 events in 4 requests (10 + 10 + 5, then 1), each delivered once with its attributes.
    expect(meter.read().calls).toMatchObject({ 'SNS.PublishBatch': 4 });
    expect(meter.read().calls['SNS.Publish']).toBeUndefined();
    const seen = await eventually(
      async () => {
        const all = await received();
        return all.length >= 26 ? all : undefined;
      },
      10_000,
      '26 notifications',
    );
    expect(seen.map((m) => m.body.key).sort()).toEqual(
      Array.from({ length: 26 }, (_, i) => `#job#t${i}#noop`).sort(),
    );
    const quarantined = seen.find((m) => m.body.key === '#job#t25#noop');
    expect(quarantined?.body.type).toBe('import.quarantined');
    expect(quarantined?.attributes).toEqual({ tenant: 'globex', status: 'JP', capability: 'noop' });
    clients.destroy();
  });
});
