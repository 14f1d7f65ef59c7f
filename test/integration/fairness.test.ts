import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/index.js';
import { queueStates } from '../../src/aws/queue-depth.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { bootstrap, type LocalAws, startLocalAws, stopLocalAws } from '../../src/local-aws/index.js';
import { createProducer, type EnqueueAccepted, type Producer } from '../../src/producer/index.js';
import type { Item } from '../../src/tenancy/index.js';
import type { TestStack } from '../helpers/aws.js';
import { serviceContext, stackEnv, tableOf } from '../helpers/stack-extras.js';
import { eventually, WorkerProcess } from '../helpers/worker-process.js';

/**
 * Fairness needs a backlog, and moto's SQS crawls with one (LOCAL-AWS.md): this file runs on the
 * load profile (ElasticMQ + DynamoDB Local). Without Java the profile falls back to moto, and the
 * flood is scaled down so the run stays bounded — the assertion is the same.
 */
describe('Command: scanq worker — fairness between tenants (load profile)', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'scanq-fair-'));
  let aws: LocalAws;
  let stack: TestStack;
  let flood = 5_000;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    aws = await startLocalAws({
      profile: 'load',
      mode: process.env.SCANQ_MOTO === 'venv' ? 'venv' : 'auto',
      detached: false,
      stateDir,
      say: (line) => process.stderr.write(`[fairness] ${line}\n`),
    });
    if (!aws.env.AWS_ENDPOINT_URL_SQS) {
      flood = 200;
      process.stderr.write(`[fairness] ${aws.notes.join('; ')} — flood scaled down to ${flood}\n`);
    }
    const base = loadConfig({ ...aws.env, SCANQ_PREFIX: 'fair', LOG_LEVEL: 'silent' });
    const clients = createAwsClients(base);
    const report = await bootstrap(base, clients);
    const config = loadConfig({
      ...aws.env,
      SCANQ_PREFIX: 'fair',
      LOG_LEVEL: 'silent',
      SCANQ_QUEUE_URL: report.queueUrl,
      SCANQ_DLQ_URL: report.dlqUrl,
      SCANQ_BULK_QUEUE_URL: report.bulkQueueUrl,
      SCANQ_TOPIC_ARN: report.topicArn,
      // A slow refill (one job per 100 s), so the enqueue's own duration adds nothing to speak of
      // to the flood's jobs-lane share.
      SCANQ_LANE_RATE: '0.01',
      SCANQ_LANE_BURST: '40',
    });
    stack = { config, clients, report };
  }, 15 * 60_000);

  afterAll(async () => {
    for (const w of workers) {
      w.kill('SIGKILL');
      await w.exited;
    }
    stack?.clients.destroy();
    if (aws) await stopLocalAws(aws);
    rmSync(stateDir, { recursive: true, force: true });
  }, 60_000);

  it('serves a quiet tenant while another floods the queue', async () => {
    // Prepare: the flood is queued first, then the quiet tenant's jobs behind it, by two
    // producers (two processes' worth of lane buckets) calling at once.
    const producers = await Promise.all(
      [1, 2].map(() =>
        createProducer(stack.config, { clients: stack.clients, log: createLogger({ level: 'silent' }) }),
      ),
    );
    const work = (tenant: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({
        capability: 'noop',
        target: `${tenant}-${i}`,
        input: { sleepMs: 100 },
      }));
    const floodJobs: EnqueueAccepted[] = [];
    const floodWork = work('noisy', flood);
    for (let i = 0; i < flood; i += 400) {
      const calls = [0, 100, 200, 300].map((at, n) =>
        (producers[n % 2] as Producer).enqueue(
          serviceContext('noisy'),
          floodWork.slice(i + at, i + at + 100),
        ),
      );
      for (const results of await Promise.all(calls)) floodJobs.push(...(results as EnqueueAccepted[]));
    }
    const quietJobs = (await (producers[0] as Producer).enqueue(
      serviceContext('quiet'),
      work('quiet', 20),
    )) as EnqueueAccepted[];
    for (const producer of producers) producer.close();
    expect([...floodJobs, ...quietJobs].every((r) => r.accepted && r.enqueued)).toBe(true);
    // The lanes: the flood beyond its burst (40) waits in the bulk queue, the quiet tenant's 20
    // (within its own burst) in the jobs queue.
    const lanes = {
      jobs: await queueStates(stack.clients.sqs, stack.report.queueUrl),
      bulk: await queueStates(stack.clients.sqs, stack.report.bulkQueueUrl),
    };
    expect(lanes.jobs.visible).toBeLessThanOrEqual(20 + 40 + 5);
    expect(lanes.bulk.visible).toBeGreaterThanOrEqual(flood - 40 - 5);

    // Act: two worker processes.
    const env = stackEnv(stack, { LOG_LEVEL: 'info', AWS_ENDPOINT_URL: aws.env.AWS_ENDPOINT_URL ?? '' });
    workers.push(new WorkerProcess(env), new WorkerProcess(env));
    const quietTable = tableOf(stack, serviceContext('quiet'));
    const noisyTable = tableOf(stack, serviceContext('noisy'));
    const quietDone = await eventually(
      async () => {
        const items = await Promise.all(quietJobs.map((j) => quietTable.get(j.key)));
        return items.every((i) => String(i?.status).startsWith('JP#')) ? (items as Item[]) : undefined;
      },
      240_000,
      'the quiet tenant to finish',
    );
    // Stopped at once, so what is left is what was left when the quiet tenant was done.
    for (const w of workers) w.kill('SIGKILL');
    const noisyItems = await Promise.all(floodJobs.map((j) => noisyTable.get(j.key)));
    const noisyLeft = noisyItems.filter((i) => !String(i?.status).startsWith('JP#')).length;

    // Assess: the quiet tenant finished while the flood was still waiting.
    const dwell = (item: Item) => {
      const history = item.history as { status: string; at: string }[];
      const queued = history.find((h) => h.status === 'JQ')?.at ?? '';
      const started = history.find((h) => h.status === 'JR')?.at ?? '';
      return Date.parse(started) - Date.parse(queued);
    };
    const pct = (values: number[], p: number) =>
      [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ??
      0;
    const quietDwell = quietDone.map(dwell);
    const noisyDone = noisyItems.filter((i): i is Item => String(i?.status).startsWith('J'));
    const noisyDwell = noisyDone.filter((i) => (i.history as unknown[]).length > 1).map(dwell);
    process.stderr.write(
      `[fairness] flood ${flood}: quiet dwell p50 ${pct(quietDwell, 50)} ms p99 ${pct(quietDwell, 99)} ms; ` +
        `noisy (started so far) p50 ${pct(noisyDwell, 50)} ms p99 ${pct(noisyDwell, 99)} ms; ` +
        `noisy backlog when quiet finished: ${noisyLeft}/${flood}\n`,
    );
    // The lanes' guarantee: the quiet tenant, enqueued after the whole flood, is done while most
    // of the flood is still waiting (with one queue and the gate alone, 305-733 of 1,000 were).
    expect(noisyLeft).toBeGreaterThan(flood / 2);
    expect(quietDone.every((item) => item.attempt === 1)).toBe(true);
  }, 300_000);
});
