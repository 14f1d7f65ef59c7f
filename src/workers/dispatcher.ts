import { randomBytes } from 'node:crypto';
import { ChangeMessageVisibilityCommand, type Message } from '@aws-sdk/client-sqs';
import { decodeJobMessage, type JobMessage, STATUS, statusCode } from '../jobs/index.js';
import { coerceError } from '../lib/errors.js';
import { type Item, systemContext, TenantFiles, TenantTable } from '../tenancy/index.js';
import { Deferrer } from './acker.js';
import { runAttempt } from './attempt.js';
import { claim } from './lease.js';
import type { WorkerRuntime } from './runtime.js';

/**
 * Handles one received message to its end: validate, apply the tenant cap, claim, run, and
 * acknowledge, defer, release or park it. Never throws: a bad message cannot stop a worker.
 */
export function createDispatcher(runtime: WorkerRuntime) {
  const { log, stats } = runtime;
  const tableDeps = { doc: runtime.clients.doc, tableName: runtime.config.resources.table };
  const buckets = {
    results: runtime.config.resources.resultsBucket,
    uploads: runtime.config.resources.uploadsBucket,
    quarantine: runtime.config.resources.quarantineBucket,
  };

  async function setVisibility(message: Message, seconds: number) {
    await runtime.clients.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: runtime.queueUrl,
        ReceiptHandle: message.ReceiptHandle,
        VisibilityTimeout: Math.max(0, Math.min(43_200, Math.ceil(seconds))),
      }),
    );
  }

  async function reject(message: Message, reason: string) {
    stats.count('rejected');
    log.warn(
      { queue: runtime.queueUrl, messageId: message.MessageId, error: reason },
      'message rejected to the DLQ',
    );
    await runtime.moveToDlq(message, reason);
  }

  /**
   * The tenant is at its cap: re-send the message with a delay and delete this copy. Not a
   * visibility change, because every receive counts towards the DLQ's maxReceiveCount.
   */
  const deferrer = new Deferrer({
    sqs: runtime.clients.sqs,
    queueUrl: runtime.queueUrl,
    log,
    acker: runtime.acker,
    delaySeconds: Math.min(900, Math.ceil(runtime.config.worker.deferDelayMs / 1000)),
  });

  async function defer(message: Message, job: JobMessage) {
    stats.count('deferred');
    await deferrer.defer(message, runtime.config.producer.messageGroupId ? job.tenant : undefined);
  }

  /** Someone else has the job, or it is done: never run it twice. */
  async function lostClaim(message: Message, job: JobMessage, stored: Item | undefined) {
    stats.count('duplicates');
    const code = statusCode(stored?.status);
    const leaseUntil = typeof stored?.leaseUntil === 'string' ? Date.parse(stored.leaseUntil) : Number.NaN;
    if (code === STATUS.running && leaseUntil > runtime.now().getTime()) {
      // Still running elsewhere: keep this copy as a backup, visible again when that lease ends.
      await setVisibility(message, (leaseUntil - runtime.now().getTime()) / 1000 + 1);
      return;
    }
    if (code === STATUS.queued || code === STATUS.asyncReturning) {
      await reject(
        message,
        `capability mismatch: message says ${job.capability}, job says ${String(stored?.capability)}`,
      );
      return;
    }
    log.debug({ tenant: job.tenant, key: job.key, status: stored?.status }, 'duplicate message acknowledged');
    await runtime.acker.ack(message.ReceiptHandle ?? '');
  }

  /** Jobs this process is working on: a second copy of one in the same batch is a duplicate. */
  const working = new Set<string>();

  async function process(message: Message, job: JobMessage) {
    // The phase too: an async job returning (JQA) while its hand-off is still being acknowledged is not a duplicate.
    const id = `${job.tenant}\u0000${job.key}\u0000${job.phase}`;
    if (working.has(id)) {
      stats.count('duplicates');
      // Back once the copy in hand is surely done; then its claim finds the job finished.
      return setVisibility(
        message,
        runtime.leaseMs(runtime.registry.get(job.capability) ?? { timeoutMs: 30_000 }) / 1000 + 1,
      );
    }
    working.add(id);
    try {
      await processOnce(message, job);
    } finally {
      working.delete(id);
    }
  }

  async function processOnce(message: Message, job: JobMessage) {
    const capability = runtime.registry.get(job.capability);
    if (!capability) return reject(message, `unknown capability ${job.capability}`);
    // The tenant named by the message is only used to find the job; the claim proves the job
    // exists in that tenant's partition before anything runs.
    const ctx = systemContext(job.tenant, 'worker');
    const table = new TenantTable(tableDeps, ctx);
    const owner = `${runtime.workerId}:${randomBytes(4).toString('hex')}`;
    const now = runtime.now();
    const result = await claim(table, job.key, {
      now,
      shards: runtime.config.indexShards,
      owner,
      capability: job.capability,
      leaseMs: runtime.leaseMs(capability),
    });
    if (!result.claimed) return lostClaim(message, job, result.stored);
    stats.count('claimed');
    stats.dwell(now.getTime() - Date.parse(job.enqueuedAt));
    const { lease } = result;
    const jobLog = log.child({
      tenant: job.tenant,
      key: job.key,
      capability: job.capability,
      attempt: lease.attempt,
    });
    const files = new TenantFiles({ s3: runtime.clients.s3, buckets }, ctx);
    const end = await runAttempt({
      runtime,
      capability,
      ctx,
      table,
      files,
      lease,
      receiptHandle: message.ReceiptHandle ?? '',
      log: jobLog,
    });
    stats.count(end);
  }

  /**
   * Validates a message and either admits it (a tenant slot is taken) or disposes of it: parked in
   * the DLQ, deferred (tenant at its cap), or made visible again (draining). Returns the job to run
   * when admitted. Never throws: a bad message cannot stop a worker.
   */
  async function admit(message: Message): Promise<(() => Promise<void>) | undefined> {
    stats.count('received');
    try {
      const decoded = decodeJobMessage(message.Body);
      if (!decoded.ok) return void (await reject(message, decoded.reason));
      const job = decoded.message;
      const tagged = message.MessageAttributes?.tenant?.StringValue;
      if (tagged !== job.tenant)
        return void (await reject(message, 'tenant attribute does not match the body'));
      if (runtime.draining()) return void (await setVisibility(message, 0));
      if (!(await runtime.gate.tryEnter(job.tenant))) return void (await defer(message, job));
      return async () => {
        try {
          // Waited for a slot past the drain timeout: hand it back untouched.
          if (runtime.shutdown.aborted) return await setVisibility(message, 0);
          await process(message, job);
        } catch (error) {
          fail(message, error);
        } finally {
          runtime.gate.leave(job.tenant);
        }
      };
    } catch (error) {
      fail(message, error);
      return undefined;
    }
  }

  /** Infrastructure trouble (throttling, network): the message becomes visible again and is retried. */
  function fail(message: Message, error: unknown) {
    log.error(
      { queue: runtime.queueUrl, messageId: message.MessageId, error: coerceError(error) },
      'message handling failed',
    );
  }

  /** Admits and runs one message to its end (tests and single-message callers). */
  async function handle(message: Message): Promise<void> {
    const run = await admit(message);
    if (run) await run();
  }

  return { admit, handle };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
