import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { createEventPublisher, type JobEvent } from '../../src/notify/index.js';
import { createProducer } from '../../src/producer/index.js';
import { createMeter } from '../../tools/instrument/call-stats.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { testRegistry } from '../helpers/capabilities.js';
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

describe('Worker: what follows a finish is done even when the worker that finished could not', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await createTestStack('redo');
  });
  afterAll(async () => {
    await destroyTestStack(stack);
  });

  it('hides the unacknowledged message; the next worker to receive it writes the findings and publishes the events, once', async () => {
    // Prepare: a subscribed queue; a job that reports a risk; a first worker whose every SNS
    // publish and every DynamoDB PutItem (the findings' writes; claim and finish are UpdateItem) fail.
    const received = await subscribeToTopic(stack);
    const producer = await createProducer(stack.config, {
      clients: stack.clients,
      log: createLogger({ level: 'silent' }),
      registry: testRegistry(),
    });
    const [job] = await producer.enqueue(serviceContext('redo'), [
      { capability: 'test-findings', target: 'r1', input: { ms: 0 } },
    ]);
    producer.close();
    const key = String(job?.key);
    const table = tableOf(stack, serviceContext('redo'));
    const riskKey = '#risk##asset#host#r1#test-finding';
    const first = new WorkerProcess(
      stackEnv(stack, {
        SCANQ_FAULT_RATE: '1',
        SCANQ_FAULT_MATCH: '^(SNS\\.PublishBatch|DynamoDB\\.PutItem)$',
        LOG_LEVEL: 'info',
      }),
      [],
      undefined,
      { bin: 'instrumented' },
    );
    let second: WorkerProcess | undefined;
    const mine = async () => (await received()).filter((m) => m.body.key === key || m.body.job === key);

    try {
      // Act: the first worker finishes the job, gives up on what follows and stops; a second starts.
      await first.waitFor(/its notification could not be written/, 30_000);
      await first.waitFor(/its findings could not be written/, 30_000);
      first.kill('SIGTERM');
      await first.exited;
      const finished = await table.get(key, { consistent: true });
      const before = { events: await mine(), risk: await table.get(riskKey, { consistent: true }) };
      second = new WorkerProcess(stackEnv(stack, { LOG_LEVEL: 'info' }));
      await eventually(
        async () => ((await mine()).length >= 2 ? true : undefined),
        40_000,
        "the job's event and its risk's",
      );
      await new Promise((resolve) => setTimeout(resolve, 2_000));

      // Assess: passed on the first worker's attempt, with nothing after it then; the second worker
      // did not run it again, wrote the risk from the result document and published both events once.
      expect(String(finished?.status)).toMatch(/^JP#/);
      expect(before).toEqual({ events: [], risk: undefined });
      const events = await mine();
      expect(events.map((e) => e.body.type).sort()).toEqual(['job.finished', 'risk.opened']);
      expect(events.find((e) => e.body.type === 'job.finished')?.body).toMatchObject({
        key,
        status: 'JP',
        attempt: 1,
        resultKey: finished?.resultKey,
      });
      expect(await table.get(riskKey, { consistent: true })).toMatchObject({
        status: 'open',
        evidenceKey: finished?.resultKey,
        evidence: { attempt: 1 },
      });
      expect(second.lines.some((l) => l.includes('doing what follows its finish again'))).toBe(true);
      expect((await table.get(key, { consistent: true }))?.attempt).toBe(1);
    } finally {
      first.kill('SIGKILL');
      second?.kill('SIGTERM');
      await second?.exited;
    }
  }, 90_000);
});
