/**
 * The findings export benchmark: seeds a tenant with risks through the tenant-scoped table, then
 * runs `scanq risks export` as a child process for each format and size and reports its wall time
 * and peak RSS (VmHWM from /proc, sampled until it exits). Seeding 10 % first and exporting at
 * both sizes shows whether memory grows with the number of risks.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import { EXPORT_FORMATS, type ExportFormat, observeRiskItem } from '../../src/findings/index.js';
import type { Severity } from '../../src/jobs/index.js';
import { systemContext, TenantTable } from '../../src/tenancy/index.js';
import { destroyStack, type Endpoint, openStack, runPrefix } from '../bench/endpoint.js';

const SCANQ_BIN = fileURLToPath(new URL('../../bin/scanq.js', import.meta.url));
const TENANT = 'bench-findings';
const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];
const NAMES = ['http-missing-csp', 'http-missing-hsts', 'tls-certificate-untrusted', 'open-redis'];
const CAPABILITIES = ['http-probe', 'portscan', 'aws-posture'];

export interface ExportMeasure {
  readonly risks: number;
  readonly format: ExportFormat;
  readonly seconds: number;
  readonly peakRssMb: number;
  readonly bytes: number;
}

/** Peak resident set of a running process in kB (VmHWM), or undefined once it is gone. */
async function highWater(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return m?.[1] ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `scanq risks export` to stdout (counted, not kept) and measures it. */
async function measureExport(
  env: Readonly<Record<string, string>>,
  format: ExportFormat,
  risks: number,
  heapMb: number | undefined,
) {
  const started = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    [SCANQ_BIN, 'risks', 'export', '--tenant', TENANT, '--format', format],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...env,
        LOG_LEVEL: 'error',
        ...(heapMb === undefined ? {} : { NODE_OPTIONS: `--max-old-space-size=${heapMb}` }),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let bytes = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  let peakKb = 0;
  const sampler = setInterval(() => {
    if (child.pid === undefined) return;
    void highWater(child.pid).then((kb) => {
      if (kb !== undefined && kb > peakKb) peakKb = kb;
    });
  }, 20);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`scanq risks export --format ${format} exited ${code}`);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { risks, format, seconds, peakRssMb: peakKb / 1024, bytes } satisfies ExportMeasure;
}

/** The lifecycle item of risk number `i`: a quarter closed, the rest open. */
function riskItem(i: number) {
  const capability = CAPABILITIES[i % CAPABILITIES.length] ?? 'http-probe';
  const at = new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString();
  return observeRiskItem(
    {
      asset: { type: 'url', value: `https://host-${Math.floor(i / NAMES.length)}.example.com/` },
      name: NAMES[i % NAMES.length] ?? 'open-redis',
      severity: SEVERITIES[i % SEVERITIES.length] ?? 'low',
      evidence: { header: 'content-security-policy', observed: null },
    },
    {
      job: `#job#bench-${i}#${capability}`,
      capability,
      at,
      resultKey: `${TENANT}/results/2026-11-01/x.json`,
    },
    i % 4 === 0,
  );
}

/** Writes risks `from`..`to` (exclusive), eight batches of 250 at a time. */
async function seed(table: TenantTable, from: number, to: number): Promise<void> {
  const limit = pLimit(8);
  const chunks: Promise<void>[] = [];
  for (let start = from; start < to; start += 250) {
    const end = Math.min(to, start + 250);
    chunks.push(
      limit(() => table.putMany(Array.from({ length: end - start }, (_, j) => riskItem(start + j)))),
    );
  }
  await Promise.all(chunks);
}

/** Seeds `risks` (10 % first), exports each format at both sizes, removes the stack. */
export async function runFindingsBench(
  endpoint: Endpoint,
  options: {
    readonly risks: number;
    readonly formats?: readonly ExportFormat[];
    /** Caps the export process's V8 old space (MB): an export that needs memory per risk then fails. */
    readonly heapMb?: number;
    readonly say: (line: string) => void;
  },
): Promise<ExportMeasure[]> {
  const stack = await openStack(endpoint, runPrefix('fbench'));
  const table = new TenantTable(
    { doc: stack.clients.doc, tableName: stack.config.resources.table },
    systemContext(TENANT, 'bench'),
  );
  const formats = options.formats ?? EXPORT_FORMATS;
  const measures: ExportMeasure[] = [];
  try {
    const small = Math.max(1, Math.floor(options.risks / 10));
    let seeded = 0;
    for (const size of [small, options.risks]) {
      const t = Date.now();
      await seed(table, seeded, size);
      options.say(`seeded ${size} risks (${((Date.now() - t) / 1000).toFixed(1)} s)`);
      seeded = size;
      for (const format of formats) {
        const m = await measureExport(stack.env, format, size, options.heapMb);
        options.say(
          `  ${format.padEnd(10)} ${String(size).padStart(7)} risks  ${m.seconds.toFixed(1).padStart(6)} s  peak RSS ${m.peakRssMb.toFixed(0).padStart(4)} MB  ${(m.bytes / 1e6).toFixed(1)} MB out`,
        );
        measures.push(m);
      }
    }
    return measures;
  } finally {
    await destroyStack(stack).catch(() => {});
    stack.clients.destroy();
  }
}
