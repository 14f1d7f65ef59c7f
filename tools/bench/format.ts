/** The human report of `scanq bench`: tables and a headline. Pure. */
import { CHECKED, PRICE_REGION } from './prices.js';
import type { Summary } from './stats.js';
import type { BenchReport, Usage } from './types.js';

/** Left-aligned first column, right-aligned others, two spaces apart. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

const f0 = (n: number) => n.toFixed(0);
const f2 = (n: number) => n.toFixed(2);
const ms = (s: Summary) => `${f0(s.p50)}/${f0(s.p95)}/${f0(s.p99)}`;
const mb = (kb: number) => f0(kb / 1024);

interface Column {
  readonly name: string;
  readonly usage: Usage;
}

function columns(report: Omit<BenchReport, 'headline'>): Column[] {
  return [
    ...(report.baseline ? [{ name: 'baseline', usage: report.baseline.usage }] : []),
    ...report.phases.map((p) => ({ name: `W=${p.workers}`, usage: p.usage })),
  ];
}

function callsTable(cols: readonly Column[]): string[] {
  const ops = [...new Set(cols.flatMap((c) => Object.keys(c.usage.callsPerJob)))].sort();
  const rows = ops.map((op) => [op, ...cols.map((c) => f2(c.usage.callsPerJob[op] ?? 0))]);
  const total = (c: Column) => Object.values(c.usage.callsPerJob).reduce((s, n) => s + n, 0);
  rows.push(['total', ...cols.map((c) => f2(total(c)))]);
  const capacity = [...new Set(cols.flatMap((c) => Object.keys(c.usage.capacityPerJob)))].sort();
  for (const op of capacity)
    rows.push([`DynamoDB capacity units, ${op}`, ...cols.map((c) => f2(c.usage.capacityPerJob[op] ?? 0))]);
  return table(['calls per job (workers + producer)', ...cols.map((c) => c.name)], rows);
}

function costTable(cols: readonly Column[]): string[] {
  const items = [...new Set(cols.flatMap((c) => c.usage.cost.lines.map((l) => l.item)))];
  const rows = items.map((item) => [
    item,
    ...cols.map((c) => f2(c.usage.cost.lines.find((l) => l.item === item)?.usdPerMillionJobs ?? 0)),
  ]);
  rows.push(['engine overhead (all but the S3 result)', ...cols.map((c) => f2(c.usage.cost.engineUsd))]);
  rows.push(['total', ...cols.map((c) => f2(c.usage.cost.totalUsd))]);
  return table(
    [`$ per million jobs (${PRICE_REGION} list prices, ${CHECKED})`, ...cols.map((c) => c.name)],
    rows,
  );
}

function runTable(report: Omit<BenchReport, 'headline'>): string[] {
  const rows: string[][] = [];
  if (report.baseline) {
    const b = report.baseline;
    rows.push([
      'baseline (1 × batchSize 1)',
      f0(b.jobs),
      f0(b.throughput.steady),
      f0(b.throughput.overall),
      '—',
      '—',
      '—',
      '—',
      '—',
      f2(b.usage.cpuMsPerJob),
      '—',
    ]);
  }
  for (const p of report.phases) {
    rows.push([
      `W=${p.workers} × C=${p.concurrency}`,
      f0(p.jobs),
      f0(p.throughput.steady),
      f0(p.throughput.overall),
      ms(p.dwellLight),
      `${f0(p.bound.jobsPerSecond)} (${f0(p.bound.share * 100)} %)`,
      p.machine ? `${f0(p.machine.jobsPerSecond)} (${f0(p.machine.share * 100)} %)` : '—',
      p.machine ? f2(p.machine.emulatorCpuMsPerJob) : '—',
      f2(p.deferralsPerJob),
      f2(p.usage.cpuMsPerJob),
      mb(p.usage.peakRssKb),
    ]);
  }
  return table(
    [
      'run',
      'jobs',
      'jobs/s steady',
      'overall',
      'light dwell p50/p95/p99 ms',
      'endpoint bound (share)',
      'CPU bound (share)',
      'emulator CPU ms/job',
      'deferrals/job',
      'CPU ms/job',
      'peak RSS MB',
    ],
    rows,
  );
}

/** Every table of the report, as lines. */
export function formatReport(report: BenchReport): string[] {
  const m = report.machine;
  const lines = [
    `scanq bench — ${report.startedAt}, ${f0(report.seconds)} s`,
    `machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GB, Node ${m.node}, ${m.platform}; load average ${f2(m.loadAverage.start)} → ${f2(m.loadAverage.end)}`,
    `endpoint: ${report.endpoint.profile}${report.endpoint.notes.length > 0 ? ` (${report.endpoint.notes.join('; ')})` : ''}`,
    '',
    ...table(
      ['endpoint ceiling', 'call', 'requests/s', 'client CPU ms/request'],
      report.ceilings.map((c) => [
        c.services.join('+'),
        c.call,
        f0(c.requestsPerSecond),
        f2(c.clientCpuMsPerRequest),
      ]),
    ),
    '',
    ...runTable(report),
  ];
  for (const p of report.phases)
    if (p.cpuSplit)
      lines.push(
        `W=${p.workers} workers' CPU: start-up ${f0(p.cpuSplit.startupMs)} ms (all of them), ` +
          `${f2(p.cpuSplit.loadedMsPerJob)} ms/job over the prefilled jobs, ` +
          `${f2(p.cpuSplit.lightMsPerJob)} ms/job over the one-at-a-time trickle`,
      );
  for (const p of report.phases)
    if (p.warnings.count > 0)
      lines.push(
        `W=${p.workers}: ${p.warnings.count} warning/error log lines, first: ${p.warnings.first ?? ''}`,
      );
  if (report.baselineRatio !== undefined)
    lines.push(`scanq / baseline (best W): ${f2(report.baselineRatio)}×`);
  const cols = columns(report);
  lines.push('', ...callsTable(cols), '', ...costTable(cols));
  if (cols.some((c) => !c.usage.cost.indexesReported))
    lines.push(
      'note: the endpoint did not itemize index capacity: DynamoDB write units leave out index maintenance (a floor)',
    );
  const sizes = report.phases[0]?.itemBytes;
  if (sizes)
    lines.push('', `item size: finished job ${sizes.job} B (its history holds the execution record)`);
  const splitOf = (x: Summary) => `${f0(x.p50)}/${f0(x.p99)}`;
  for (const fair of report.fairness) {
    lines.push(
      '',
      `fairness (W=${fair.workers}, ${fair.floodJobs}-job flood): quiet tenant dwell p50/p99 alone ${f0(fair.unloaded.p50)}/${f0(fair.unloaded.p99)} ms, ` +
        `during the flood ${f0(fair.flooded.p50)}/${f0(fair.flooded.p99)} ms (p99 ×${f2(fair.p99Ratio)}, target ≤ 2); ` +
        `flood jobs still unfinished when the quiet tenant was done: ${fair.floodLeftWhenQuietDone}; ` +
        `flood throughput ${f0(fair.floodThroughput)} jobs/s vs ${f0(fair.unfloodedThroughput)} unflooded (×${f2(fair.throughputRatio)}, target ≥ 0.90); ` +
        `deferrals ${f2(fair.deferralsPerJob)}/job`,
      `  quiet dwell split p50/p99 ms — the enqueue call (insert, lane bucket, send): alone ${splitOf(fair.split.unloaded.enqueue)}, ` +
        `during the flood ${splitOf(fair.split.flooded.enqueue)}; from the queue to the claim: alone ${splitOf(fair.split.unloaded.queueToClaim)}, ` +
        `during the flood ${splitOf(fair.split.flooded.queueToClaim)}`,
    );
  }
  const long = report.long;
  if (long) {
    const at = (n: number) => long.rssKb.find((s) => s.jobs >= n)?.rssKb ?? 0;
    lines.push(
      '',
      `long run: ${long.jobs} jobs, one worker × C=${long.concurrency}, ${f0(long.throughput.steady)} jobs/s, ` +
        `${f2(long.cpuMsPerJob)} CPU ms/job, peak RSS ${mb(long.peakRssKb)} MB; RSS ${mb(at(5_000))} MB at 5,000 → ${mb(long.rssKb.at(-1)?.rssKb ?? 0)} MB at ${long.rssKb.at(-1)?.jobs ?? 0} (${long.growthPercent >= 0 ? '+' : ''}${f0(long.growthPercent)} %)`,
    );
  }
  lines.push('', report.headline);
  return lines;
}

/** One line with the figures that matter most. */
export function headline(report: Omit<BenchReport, 'headline'>): string {
  const best = report.phases.reduce<(typeof report.phases)[number] | undefined>(
    (b, p) => (b && b.throughput.steady >= p.throughput.steady ? b : p),
    undefined,
  );
  if (!best) return 'scanq bench: no worker phase ran';
  const parts = [
    `scanq bench: ${f0(best.throughput.steady)} jobs/s with W=${best.workers}`,
    ...(report.baselineRatio !== undefined ? [`${f2(report.baselineRatio)}× the naive baseline`] : []),
    `${f0(best.bound.share * 100)} % of the endpoint bound`,
    `light dwell p50 ${f0(best.dwellLight.p50)} ms p99 ${f0(best.dwellLight.p99)} ms`,
    `$${f2(best.usage.cost.engineUsd)} engine + $${f2(best.usage.cost.resultUsd)} S3 result per million jobs`,
    `${f2(best.usage.cpuMsPerJob)} CPU ms/job`,
    `peak RSS ${mb(best.usage.peakRssKb)} MB`,
  ];
  for (const fair of report.fairness)
    parts.push(`quiet-tenant p99 ×${f2(fair.p99Ratio)} under a ${fair.floodJobs}-job flood`);
  return parts.join(', ');
}
