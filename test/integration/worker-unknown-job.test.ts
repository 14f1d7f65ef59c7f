import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeJobMessage, jobKey, jobMessageAttributes, MESSAGE_VERSION } from '../../src/jobs/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { createProducer, type Producer } from '../../src/producer/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { queueDepth } from '../helpers/queue.js';
import { serviceContext, stackEnv, tableOf } from '../helpers/stack-extras.js';
import { eventually, WorkerProcess } from '../helpers/worker-process.js';

/** The value of a counter series in Prometheus text (0 when absent). */
function counterValue(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('Command: scanq worker — a message naming a job or tenant that does not exist', () => {
  let stack: TestStack;
  let producer: Producer;
  let worker: WorkerProcess;
  let metricsUrl: string;

  beforeAll(async () => {
    stack = await createTestStack('unknown');
    producer = await createProducer(stack.config, {
      clients: stack.clients,
      log: createLogger({ level: 'silent' }),
    });
    worker = new WorkerProcess(stackEnv(stack, { SCANQ_METRICS: 'true', SCANQ_STATUS_PORT: '0' }));
    await worker.waitFor(/worker started/);
    const status = worker.json().find((line) => line.msg === 'status server listening');
    metricsUrl = `http://127.0.0.1:${String(status?.port)}/metrics`;
  });
  afterAll(async () => {
    worker.kill('SIGKILL');
    await worker.exited;
    producer.close();
    await destroyTestStack(stack);
  });

  it('acknowledges it, logs it at warn with tenant and key, and counts it; a real job still runs', async () => {
    // Prepare: a tenant that exists (it has a job) and one that does not
    const known = serviceContext('known-tenant');
    await producer.enqueue(known, [{ capability: 'noop', target: 'real.example' }]);
    const send = (tenant: string, key: string) =>
      stack.clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: stack.report.queueUrl,
          MessageBody: encodeJobMessage({
            v: MESSAGE_VERSION,
            tenant,
            key,
            capability: 'noop',
            target: 'ghost.example',
            attempt: 0,
            enqueuedAt: new Date().toISOString(),
            phase: 'JQ',
          }),
          MessageAttributes: jobMessageAttributes({ tenant, capability: 'noop' }, undefined),
        }),
      );

    // Act: an unknown job of a known tenant, and a job of an unknown tenant
    await send('known-tenant', jobKey('ghost.example', 'noop'));
    await send('no-such-tenant', jobKey('ghost.example', 'noop'));

    // Assess
    const warned = await eventually(
      async () => {
        const lines = worker
          .json()
          .filter(
            (l) => l.level === 40 && String(l.msg).startsWith('message names a job that does not exist'),
          );
        return lines.length === 2 ? lines : undefined;
      },
      30_000,
      'two warn lines',
    );
    expect(warned.map((l) => l.tenant).sort()).toEqual(['known-tenant', 'no-such-tenant']);
    for (const line of warned)
      expect(line).toMatchObject({ key: '#job#ghost.example#noop', capability: 'noop' });
    const metrics = await (await fetch(metricsUrl)).text();
    expect(counterValue(metrics, 'scanq_unknown_job_messages_total', 'tenant="known-tenant"')).toBe(1);
    expect(counterValue(metrics, 'scanq_unknown_job_messages_total', 'tenant="no-such-tenant"')).toBe(1);
    await eventually(
      async () => ((await queueDepth(stack.clients.sqs, stack.report.queueUrl)) === 0 ? true : undefined),
      30_000,
      'the queue to be empty',
    );
    expect(await queueDepth(stack.clients.sqs, stack.report.dlqUrl)).toBe(0);
    const real = await tableOf(stack, known).get('#job#real.example#noop', { consistent: true });
    expect(String(real?.status)).toMatch(/^JP#/);
    // No line of the worker carries a secret-looking field.
    expect(worker.lines.join('\n')).not.toMatch(/secretAccessKey|sessionToken/);
  });
});
