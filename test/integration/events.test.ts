import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { createEventPublisher, type JobEvent } from '../../src/notify/index.js';
import { createProducer } from '../../src/producer/index.js';
import { createMeter } from '../../tools/instrument/call-stats.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { serviceContext, stackEnv, subscribeToTopic, tableOf } from '../helpers/stack-extras.js';
import { eventually, WorkerProcess } from '../helpers/worker-process.js';

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

describe("Worker: a finished job's event is published even when its first worker could not", () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await createTestStack('renotify');
  });
  afterAll(async () => {
    await destroyTestStack(stack);
  });

  it("hides the unacknowledged message, and the next worker to receive it publishes the winner's event once", async () => {
    // Prepare: a subscribed queue; one job; a first worker whose every SNS publish fails.
    const received = await subscribeToTopic(stack);
    const producer = await createProducer(stack.config, {
      clients: stack.clients,
      log: createLogger({ level: 'silent' }),
    });
    const [job] = await producer.enqueue(serviceContext('renotify'), [{ capability: 'noop', target: 'one' }]);
    producer.close();
    const key = String(job?.key);
    const first = new WorkerProcess(
      stackEnv(stack, {
        SCANQ_FAULT_RATE: '1',
        SCANQ_FAULT_MATCH: '^SNS\\.PublishBatch$',
        LOG_LEVEL: 'info',
      }),
      [],
      undefined,
      { bin: 'instrumented' },
    );
    let second: WorkerProcess | undefined;

    try {
      // Act: the first worker finishes the job, gives up on its event and stops; a second one starts.
      await first.waitFor(/its notification could not be written/, 30_000);
      first.kill('SIGTERM');
      await first.exited;
      const finished = await tableOf(stack, serviceContext('renotify')).get(key, { consistent: true });
      const before = (await received()).filter((m) => m.body.key === key);
      second = new WorkerProcess(stackEnv(stack, { LOG_LEVEL: 'info' }));
      const events = await eventually(
        async () => {
          const mine = (await received()).filter((m) => m.body.key === key);
          return mine.length > 0 ? mine : undefined;
        },
        40_000,
        "the job's event",
      );
      await new Promise((resolve) => setTimeout(resolve, 2_000));

      // Assess: the job passed on the first worker's attempt, without an event then; the second
      // worker did not run it again, and published exactly the event the winning finish stands for.
      expect(String(finished?.status)).toMatch(/^JP#/);
      expect(before).toEqual([]);
      expect((await received()).filter((m) => m.body.key === key)).toHaveLength(1);
      expect(events[0]?.body).toMatchObject({
        type: 'job.finished',
        key,
        status: 'JP',
        attempt: 1,
        resultKey: finished?.resultKey,
      });
      expect(second.lines.some((l) => l.includes('finished job event published again'))).toBe(true);
      const after = await tableOf(stack, serviceContext('renotify')).get(key, { consistent: true });
      expect(after?.attempt).toBe(1);
    } finally {
      first.kill('SIGKILL');
      second?.kill('SIGTERM');
      await second?.exited;
    }
  }, 90_000);
});
