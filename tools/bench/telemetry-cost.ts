/**
 * Worker CPU per job with telemetry off, with Prometheus metrics on, and with OTLP export of traces
 * and metrics on (issue 12). Not part of `npm run bench`: run it on its own,
 *
 *   npx tsx tools/bench/telemetry-cost.ts [--jobs 2000] [--rounds 2] [--profile load|default]
 *
 * Each round runs one `scanq worker` process per mode, in turn, on the same stack: N noop jobs are
 * enqueued while it runs, and its CPU (user + system, from /proc) from start to the last job is
 * divided by N. The OTLP receiver is a loopback server in this process that answers 200 to every
 * export (the cost measured is the worker's: spans, batching, protobuf, HTTP). Modes alternate so a
 * drift of the machine hits them alike; the spread between rounds is the noise.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config/index.js';
import { jobListQuery } from '../../src/jobs/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { createProducer } from '../../src/producer/index.js';
import { ownContext, TenantTable } from '../../src/tenancy/index.js';
import { destroyStack, openEndpoint, openStack, runPrefix } from './endpoint.js';
import { SCANQ_BIN } from './processes.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? (args[at + 1] ?? fallback) : fallback;
};
const JOBS = Number(option('jobs', '2000'));
const ROUNDS = Number(option('rounds', '2'));
const PROFILE = option('profile', 'load') as 'load' | 'default';

/** CPU seconds (user + system) of a process, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function main(): Promise<void> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const receiver = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const otlp = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const endpoint = await openEndpoint(loadConfig({}), { profile: PROFILE, say });
  const stack = await openStack(endpoint, runPrefix('telcost'));
  const producer = await createProducer(stack.config, {
    clients: stack.clients,
    log: createLogger({ level: 'silent' }),
  });
  const modes: Record<string, Record<string, string>> = {
    off: {},
    prometheus: { SCANQ_METRICS: 'true', SCANQ_STATUS_PORT: '0' },
    otlp: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp, OTEL_METRIC_EXPORT_INTERVAL: '5000' },
  };
  const results: Record<string, number[]> = { off: [], prometheus: [], otlp: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [mode, extra] of Object.entries(modes)) {
        const child = spawn(process.execPath, [SCANQ_BIN, 'worker', '--concurrency', '8'], {
          env: { PATH: process.env.PATH ?? '', ...stack.env, LOG_LEVEL: 'warn', ...extra },
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        const pid = child.pid ?? 0;
        await new Promise((r) => setTimeout(r, 1500));
        const tenant = `t${round}${mode}`;
        const ctx = ownContext({ tenant, user: 'bench', roles: ['service'] });
        const cpu0 = cpuSeconds(pid);
        for (let i = 0; i < JOBS; i += 100)
          await producer.enqueue(
            ctx,
            Array.from({ length: Math.min(100, JOBS - i) }, (_, n) => ({
              capability: 'noop',
              target: `h${i + n}`,
            })),
          );
        const table = new TenantTable(
          { doc: stack.clients.doc, tableName: stack.config.resources.table },
          ctx,
        );
        for (;;) {
          let passed = 0;
          let cursor: string | undefined;
          do {
            const page = await table.query({ ...jobListQuery({ status: 'JP' }), consistent: true, cursor });
            passed += page.items.length;
            cursor = page.cursor;
          } while (cursor);
          if (passed >= JOBS) break;
          await new Promise((r) => setTimeout(r, 500));
        }
        const perJobMs = ((cpuSeconds(pid) - cpu0) * 1000) / JOBS;
        results[mode]?.push(perJobMs);
        say(`round ${round + 1} ${mode}: ${perJobMs.toFixed(3)} ms CPU per job`);
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    }
  } finally {
    producer.close();
    await destroyStack(stack).catch(() => {});
    stack.clients.destroy();
    await endpoint.close();
    receiver.close();
  }
  for (const [mode, figures] of Object.entries(results)) {
    const mean = figures.reduce((a, b) => a + b, 0) / figures.length;
    process.stdout.write(
      `${mode.padEnd(10)} ${mean.toFixed(3)} ms CPU/job (rounds: ${figures.map((f) => f.toFixed(3)).join(', ')})\n`,
    );
  }
}

await main();
