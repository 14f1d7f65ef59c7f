/** Per-job figures from what processes counted: calls, capacity, cost, CPU, memory, warnings. */
import type { MeterReading } from '../instrument/call-stats.js';
import { costPerMillionJobs } from './cost.js';
import type { ScanqProcess } from './processes.js';
import { mergeCounts, per } from './stats.js';
import type { Usage } from './types.js';

/** Divides every count by `jobs`. */
export function scale(counts: Readonly<Record<string, number>>, jobs: number): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, per(v, jobs)]));
}

/** Per-job usage of some processes' combined counts. */
export function usageOf(
  readings: readonly Pick<MeterReading, 'calls' | 'capacity'>[],
  jobs: number,
  cpuMs: number,
  peakRssKb: number,
): Usage {
  const calls = mergeCounts(...readings.map((r) => r.calls));
  const capacity = mergeCounts(...readings.map((r) => r.capacity));
  const callsPerJob = scale(calls, jobs);
  const capacityPerJob = scale(capacity, jobs);
  const measured = Object.keys(capacity).length > 0;
  return {
    callsPerJob,
    capacityPerJob,
    cost: costPerMillionJobs({ callsPerJob, capacityPerJob: measured ? capacityPerJob : undefined }),
    cpuMsPerJob: per(cpuMs, jobs),
    peakRssKb,
  };
}

/** The workers' last snapshots, added up. */
export function workerTotals(workers: readonly ScanqProcess[]) {
  const snapshots = workers.flatMap((w) => {
    const s = w.stats();
    return s ? [s] : [];
  });
  const job = (name: string) => snapshots.reduce((s, x) => s + (x.extra.jobs?.[name] ?? 0), 0);
  return {
    readings: snapshots,
    cpuMs: snapshots.reduce((s, x) => s + x.cpuMs.user + x.cpuMs.system, 0),
    peakRssKb: Math.max(0, ...snapshots.map((x) => x.maxRssKb)),
    claimed: job('claimed'),
    deferred: job('deferred'),
  };
}

/** Warning and error lines of some processes (pino JSON), with the first one's message. */
export function warningsOf(processes: readonly ScanqProcess[]): { count: number; first?: string } {
  const lines = processes.flatMap((p) => p.problems);
  const [first] = lines;
  if (!first) return { count: 0 };
  try {
    const parsed = JSON.parse(first) as { msg?: unknown; error?: { message?: unknown } };
    return { count: lines.length, first: `${String(parsed.msg)}: ${String(parsed.error?.message ?? '')}` };
  } catch {
    return { count: lines.length, first: first.slice(0, 200) };
  }
}
