import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, createApiServer, mintToken } from '../../src/api/index.js';
import { riskDetailSchema, riskListSchema } from '../../src/api/schemas.js';
import { createLogger } from '../../src/lib/logger.js';
import { createProducer, type Producer } from '../../src/producer/index.js';
import { putProfile } from '../../src/tenancy/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { testRegistry } from '../helpers/capabilities.js';
import { LocalServers } from '../helpers/local-servers.js';
import {
  explainWait,
  serviceContext,
  setQueueVisibility,
  stackEnv,
  subscribeToTopic,
  tableOf,
} from '../helpers/stack-extras.js';
import { eventually, WorkerProcess } from '../helpers/worker-process.js';

const SECRET = 'findings-lifecycle-jwt-secret-32-bytes-long!';
const TENANT = 'acme';
const silent = createLogger({ level: 'silent' });

describe('Risk lifecycle across scans (real worker processes, a local web server, the HTTP API)', () => {
  let stack: TestStack;
  let producer: Producer;
  let server: ApiServer;
  let base: string;
  let token: string;
  let events: Awaited<ReturnType<typeof subscribeToTopic>>;
  const workers: WorkerProcess[] = [];
  const servers = new LocalServers();

  async function get(path: string) {
    const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, json: (await response.json()) as unknown };
  }

  async function worker(): Promise<WorkerProcess> {
    const started = new WorkerProcess(stackEnv(stack, { SCANQ_ALLOW_LOOPBACK: 'true' }));
    workers.push(started);
    await started.waitFor(/worker started/);
    return started;
  }

  beforeAll(async () => {
    stack = await createTestStack('findings', { env: { SCANQ_JWT_SECRET: SECRET } });
    producer = await createProducer(stack.config, {
      clients: stack.clients,
      log: silent,
      registry: testRegistry(),
    });
    server = await createApiServer(stack.config, {
      clients: stack.clients,
      producer,
      log: silent,
      queueUrl: stack.report.queueUrl,
    });
    base = await server.listen({ port: 0, host: '127.0.0.1' });
    token = await mintToken({
      secret: SECRET,
      tenant: TENANT,
      sub: 'ana',
      roles: ['readonly'],
      ttlMs: 600_000,
    });
    events = await subscribeToTopic(stack);
    // Token routes answer only for a tenant that has a profile.
    await putProfile(tableOf(stack, serviceContext(TENANT)), { name: 'Acme' });
  });

  afterAll(async () => {
    for (const w of workers) {
      w.kill('SIGKILL');
      await w.exited;
    }
    await servers.closeAll();
    await server?.close();
    producer?.close();
    await destroyTestStack(stack);
  });

  /** Enqueues one run and waits for its won finish; returns the job item as the run left it. */
  async function scan(capability: string, target: string, input?: Record<string, unknown>) {
    const table = tableOf(stack, serviceContext(TENANT));
    const [accepted] = await producer.enqueue(serviceContext(TENANT), [
      { capability, target, allowRepeat: true, ...(input ? { input } : {}) },
    ]);
    expect(accepted).toMatchObject({ accepted: true, enqueued: true });
    const key = String(accepted?.key);
    const created = (await table.get(key, { consistent: true }))?.created;
    return eventually(
      async () => {
        const item = await table.get(key, { consistent: true });
        return item?.created === created && /^JP#/.test(String(item?.status)) ? item : undefined;
      },
      60_000,
      `${capability} of ${target} to pass`,
    );
  }

  /** The risk once the run that finished at `at` has been applied to it (findings follow the finish). */
  async function riskAfter(key: string, at: string) {
    return eventually(
      async () => {
        const { status, json } = await get(`/v1/risks/${encodeURIComponent(key)}`);
        if (status !== 200) return undefined;
        const risk = riskDetailSchema.parse(json);
        return risk.history.some((h) => h.at === at) || risk.lastSeen === at ? risk : undefined;
      },
      20_000,
      `risk ${key} to reflect the run of ${at}`,
    );
  }

  it('opens a missing-header risk, closes it when a later scan no longer sees it, reopens it when it comes back', async () => {
    // Prepare: a web server whose Content-Security-Policy header the test switches on and off; the
    // other checked headers are always there, so CSP is the one risk.
    let csp = false;
    const web = await servers.http((_req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('x-frame-options', 'DENY');
      if (csp) res.setHeader('content-security-policy', "default-src 'self'");
      res.setHeader('content-type', 'text/html');
      res.end('<title>lifecycle</title>ok');
    });
    await worker();
    const target = `http://127.0.0.1:${web.port}/`;
    const riskKey = `#risk##asset#url#${target}#http-missing-csp`;

    // Act 1: first scan.
    const first = await scan('http-probe', target);
    const opened = await riskAfter(riskKey, String(first.finished));
    expect(opened).toMatchObject({
      status: 'open',
      severity: 'medium',
      capability: 'http-probe',
      seenCount: 1,
      firstSeen: first.finished,
      lastSeen: first.finished,
      lastJob: first.key,
      evidenceKey: first.resultKey,
    });
    const listed = riskListSchema.parse((await get('/v1/risks?status=open')).json);
    expect(listed.items.map((r) => r.key)).toEqual([riskKey]);

    // Act 2: the server adds the header; the same capability on the same target no longer reports it.
    csp = true;
    const second = await scan('http-probe', target);
    expect(second.resultKey).not.toBe(first.resultKey);
    const closed = await riskAfter(riskKey, String(second.finished));
    expect(closed).toMatchObject({
      status: 'closed',
      closedBy: second.key,
      closedAt: second.finished,
      seenCount: 1,
      lastSeen: first.finished,
    });
    expect(riskListSchema.parse((await get('/v1/risks?status=open')).json).items).toEqual([]);
    expect(
      riskListSchema.parse((await get('/v1/risks?status=closed&capability=http-probe')).json).items,
    ).toEqual([expect.objectContaining({ key: riskKey, closedAt: second.finished })]);

    // Act 3: the header is removed again.
    csp = false;
    const third = await scan('http-probe', target);
    const reopened = await riskAfter(riskKey, String(third.finished));

    // Assess: all three transitions, each by its run (job key and result document), and the events.
    expect(reopened).toMatchObject({ status: 'reopened', seenCount: 2, firstSeen: first.finished });
    expect(reopened.closedAt).toBeUndefined();
    expect(reopened.history).toEqual([
      { at: first.finished, change: 'opened', job: first.key, severity: 'medium', result: first.resultKey },
      { at: second.finished, change: 'closed', job: second.key, result: second.resultKey },
      { at: third.finished, change: 'reopened', job: third.key, severity: 'medium', result: third.resultKey },
    ]);
    const assets = (await get('/v1/assets?type=url')).json as { items: Record<string, unknown>[] };
    expect(assets.items).toEqual([
      {
        key: `#asset#url#${target}`,
        type: 'url',
        name: target,
        firstSeen: first.finished,
        lastSeen: third.finished,
      },
    ]);
    const riskEvents = await eventually(
      async () => {
        const seen = (await events()).filter((e) => String(e.body.type).startsWith('risk.'));
        return seen.length >= 3 ? seen : undefined;
      },
      15_000,
      'three risk events',
    );
    expect(riskEvents.map((e) => [e.body.type, e.body.key, e.body.job])).toEqual([
      ['risk.opened', riskKey, first.key],
      ['risk.closed', riskKey, second.key],
      ['risk.reopened', riskKey, third.key],
    ]);
    for (const e of riskEvents) {
      expect(e.attributes).toEqual({ tenant: TENANT, severity: 'medium', capability: 'http-probe' });
    }
  }, 180_000);

  it('leaves the lifecycle untouched by a zombie: a worker stopped past its lease and resumed after the takeover', async () => {
    // Prepare: test-findings sleeps 4 s without watching its signal (room for a slow poll on a loaded machine), then reports a risk naming
    // its attempt (see worker-reliability.test.ts for the timing).
    await setQueueVisibility(stack, 2);
    // The earlier workers stop with SIGTERM: a SIGKILLed worker's long poll is still answered by
    // SQS, with the visibility it asked for before the change above (60 s), and took this job.
    for (const w of workers.splice(0)) {
      w.kill('SIGTERM');
      await w.exited;
    }
    const zombie = await worker();
    const table = tableOf(stack, serviceContext(TENANT));
    const [job] = await producer.enqueue(serviceContext(TENANT), [
      { capability: 'test-findings', target: 'z1', input: { ms: 4_000 } },
    ]);
    const key = String(job?.key);
    await eventually(
      async () => ((await table.get(key, { consistent: true }))?.attempt === 1 ? true : undefined),
      15_000,
      'the first claim',
    ).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${await explainWait(stack, serviceContext(TENANT), key, [zombie])}`);
    });

    // Act: stop the first worker mid-scan; a second takes the expired lease over and finishes; the
    // first resumes and tries to conclude attempt 1.
    zombie.kill('SIGSTOP');
    await worker();
    const done = await eventually(
      async () => {
        const item = await table.get(key, { consistent: true });
        return /^JP#/.test(String(item?.status)) ? item : undefined;
      },
      60_000,
      'the takeover to pass',
    );
    zombie.kill('SIGCONT');
    await zombie.waitFor(/fenced|lease lost/, 30_000);

    // Assess: the risk was opened once, by attempt 2's run; nothing of attempt 1 reached it.
    expect(done.attempt).toBe(2);
    const riskKey = '#risk##asset#host#z1#test-finding';
    const risk = await riskAfter(riskKey, String(done.finished));
    expect(risk).toMatchObject({
      status: 'open',
      seenCount: 1,
      evidenceKey: done.resultKey,
      evidence: { attempt: 2 },
    });
    expect(risk.history).toEqual([
      { at: done.finished, change: 'opened', job: key, severity: 'low', result: done.resultKey },
    ]);
    const opened = (await events()).filter((e) => e.body.type === 'risk.opened' && e.body.key === riskKey);
    expect(opened).toHaveLength(1);
  }, 150_000);
});
