import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobKey } from '../../src/jobs/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { createProducer, type EnqueueAccepted, type Producer } from '../../src/producer/index.js';
import { type Item, putProfile } from '../../src/tenancy/index.js';
import type { CascadeRecord } from '../../src/workers/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { LocalServers } from '../helpers/local-servers.js';
import { readResult, serviceContext, stackEnv, tableOf } from '../helpers/stack-extras.js';
import { eventually, WorkerProcess } from '../helpers/worker-process.js';

const silent = createLogger({ level: 'silent' });

describe('Cascade: portscan → http-probe in real worker processes', () => {
  let stack: TestStack;
  let producer: Producer;
  const workers: WorkerProcess[] = [];
  const servers = new LocalServers();
  let web: { port: number }[] = [];
  let closed: number[] = [];

  const cascadeOn = (overrides: Record<string, unknown>) => ({
    name: 'cascade tests',
    cascade: {
      enabled: true,
      maxDepth: 2,
      maxChildren: 10,
      capabilities: ['portscan', 'http-probe'],
      ...overrides,
    },
  });

  beforeAll(async () => {
    stack = await createTestStack('cascade');
    producer = await createProducer(stack.config, { clients: stack.clients, log: silent });
    // Two web servers that send no security headers, and a port nobody listens on.
    web = await Promise.all([1, 2].map(() => servers.http((_req, res) => res.end('<title>plain</title>'))));
    closed = await servers.closedPorts(1);
    await Promise.all([
      putProfile(tableOf(stack, serviceContext('casc-a')), cascadeOn({})),
      putProfile(tableOf(stack, serviceContext('casc-depth')), cascadeOn({ maxDepth: 0 })),
      putProfile(tableOf(stack, serviceContext('casc-kids')), cascadeOn({ maxChildren: 1 })),
    ]);
    for (let i = 0; i < 2; i++)
      workers.push(new WorkerProcess(stackEnv(stack, { SCANQ_ALLOW_LOOPBACK: 'true' })));
    await Promise.all(workers.map((w) => w.waitFor(/worker started/)));
  });
  afterAll(async () => {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await servers.closeAll();
    producer.close();
    await destroyTestStack(stack);
  });

  /** Enqueues a portscan of 127.0.0.1 over `ports` (repeatable, so the test can run it again). */
  async function scan(tenant: string, ports: number[]): Promise<string> {
    const [result] = await producer.enqueue(serviceContext(tenant), [
      { capability: 'portscan', target: '127.0.0.1', input: { ports, bannerMs: 300 }, allowRepeat: true },
    ]);
    expect(result).toMatchObject({ accepted: true });
    return (result as EnqueueAccepted).key;
  }

  /** The job once it passed and recorded its cascade (a run other than `notCreated`). */
  function cascaded(tenant: string, key: string, notCreated?: unknown) {
    const table = tableOf(stack, serviceContext(tenant));
    return eventually(
      async () => {
        const item = await table.get(key, { consistent: true });
        const done = String(item?.status).startsWith('JP#') && item?.cascade && item.created !== notCreated;
        return done ? (item as Item & { cascade: CascadeRecord }) : undefined;
      },
      30_000,
      `${key} to pass and cascade`,
    ).catch((error: unknown) => {
      for (const w of workers) console.log(w.lines.slice(-30).join('\n'));
      throw error;
    });
  }

  it('a portscan that finds a web server spawns an http-probe on that port, which finds its header risks; a rescan spawns nothing new', async () => {
    // Act: the root job.
    const root = await scan('casc-a', [web[0]?.port ?? 0, ...closed]);
    const first = await cascaded('casc-a', root);

    // Assess: one child, with lineage, run by a worker, with the three missing-header risks.
    const child = jobKey(`http://127.0.0.1:${web[0]?.port}/`, 'http-probe');
    console.log('cascade record (first run):', JSON.stringify(first.cascade));
    expect(first.cascade).toMatchObject({ depth: 1, spawned: [child], spawnedCount: 1, skippedCount: 0 });
    expect(first.cascade.reason).toBeUndefined();
    const table = tableOf(stack, serviceContext('casc-a'));
    const probe = await eventually(
      async () => {
        const item = await table.get(child, { consistent: true });
        return String(item?.status).startsWith('JP#') ? item : undefined;
      },
      30_000,
      'the http-probe child to pass',
    );
    expect(probe).toMatchObject({ parent: root, root, depth: 1, source: 'system:cascade', attempt: 1 });
    const result = await readResult(stack, String(probe?.resultKey));
    expect(result.result).toMatchObject({ status_code: 200, title: 'plain', ip: '127.0.0.1' });
    // Findings are written once the finish has won, so they may land a moment after JP.
    const risks = await eventually(
      async () => {
        const page = await table.query({
          prefix: `#risk##asset#url#http://127.0.0.1:${web[0]?.port}/#`,
          consistent: true,
        });
        return page.items.length >= 3 ? page : undefined;
      },
      10_000,
      'the risk items',
    );
    const names = risks.items.map((r) => r.name).sort();
    console.log(`child ${child}: risks ${names.join(', ')}`);
    expect(names).toEqual([
      'http-missing-csp',
      'http-missing-x-content-type-options',
      'http-missing-x-frame-options',
    ]);

    // Act: the same portscan again, within the rescan window (the child passed moments ago).
    await scan('casc-a', [web[0]?.port ?? 0, ...closed]);
    const second = await cascaded('casc-a', root, first.created);

    // Assess: nothing new spawned, and the record says why; the child is untouched.
    console.log('cascade record (rescan):', JSON.stringify(second.cascade));
    expect(second.cascade).toMatchObject({
      spawned: [],
      spawnedCount: 0,
      skipped: [
        { capability: 'http-probe', target: `http://127.0.0.1:${web[0]?.port}/`, reason: 'recentlyPassed' },
      ],
    });
    const after = await table.get(child, { consistent: true });
    expect(after?.created).toBe(probe?.created);
    expect(after?.history).toEqual(probe?.history);
  });

  it.each([
    ['casc-depth', 'maxDepth', 0],
    ['casc-kids', 'maxChildren', 1],
  ] as const)(
    '%s: the %s limit stops spawning and the job record says so',
    async (tenant, reason, spawned) => {
      const key = await scan(
        tenant,
        web.map((w) => w.port),
      );
      const job = await cascaded(tenant, key);

      console.log(`${tenant}:`, JSON.stringify(job.cascade));
      expect(job.cascade).toMatchObject({ reason, spawnedCount: spawned, skippedCount: 2 - spawned });
      expect(job.cascade.skipped.every((s) => s.reason === reason && s.capability === 'http-probe')).toBe(
        true,
      );
      const probes = await tableOf(stack, serviceContext(tenant)).query({ prefix: '#job#http://' });
      expect(probes.items.length).toBe(spawned);
    },
  );
});
