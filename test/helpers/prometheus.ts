import { execFileSync } from 'node:child_process';

/** Where a Prometheus binary is, or undefined when it is not on PATH. */
export function which(binary: 'prometheus' | 'promtool'): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a test that needs Prometheus's own tools may be skipped: only outside CI. In CI
 * (`CI` set) `.ci/run` installs Debian's `prometheus` (scripts/ensure-prometheus.sh), so a
 * missing binary there is a failure, never a skip.
 */
export function skipWithout(binary: 'prometheus' | 'promtool'): boolean {
  return which(binary) === undefined && !process.env.CI;
}

/** One sample of an instant vector. */
export interface PromSample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PrometheusServer {
  readonly url: string;
  /** An instant query through Prometheus's HTTP API (`/api/v1/query`). */
  query(promql: string): Promise<PromSample[]>;
  /** The scrape targets as Prometheus sees them (`/api/v1/targets`): job, URL and health. */
  targets(): Promise<{ job: string; url: string; health: string; lastError: string }[]>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a real Prometheus (the `prometheus` binary on PATH) on a free loopback port, scraping
 * `targets` (job name → `host:port` list) every second, with its data in a temporary directory.
 */
export async function startPrometheus(
  targets: Readonly<Record<string, readonly string[]>>,
): Promise<PrometheusServer> {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { track } = await import('../../src/lib/lifecycle.js');
  const binary = which('prometheus');
  if (!binary)
    throw new Error('prometheus is not on PATH (Debian package `prometheus`; .ci/run installs it)');
  const dir = mkdtempSync(join(tmpdir(), 'scanq-prometheus-'));
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' },
    scrape_configs: Object.entries(targets).map(([job, list]) => ({
      job_name: job,
      static_configs: [{ targets: list }],
    })),
  };
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
  const port = await freePort();
  const child = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const untrack = track(`prometheus ${port}`, async () => {
    child.kill('SIGKILL');
    await exited;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`prometheus did not become ready:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    async query(promql) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as {
        status: string;
        error?: string;
        data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      if (body.status !== 'success')
        throw new Error(`query ${promql} failed: ${body.error ?? response.status}`);
      return (body.data?.result ?? []).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async targets() {
      const body = (await (await fetch(`${url}/api/v1/targets`)).json()) as {
        data: {
          activeTargets: { labels: { job: string }; scrapeUrl: string; health: string; lastError: string }[];
        };
      };
      return body.data.activeTargets.map((t) => ({
        job: t.labels.job,
        url: t.scrapeUrl,
        health: t.health,
        lastError: t.lastError,
      }));
    },
    async close() {
      untrack();
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
