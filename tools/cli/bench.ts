import { writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  ALLOW_REAL_AWS_FLAG,
  configOrExit,
  EXIT,
  guardRealAws,
  out,
  positiveInt,
  runCommand,
} from '../../src/cli/index.js';
import { formatReport } from '../bench/format.js';
import { DEFAULT_LATENCY_MS } from '../bench/latency.js';
import { consoleProgress } from '../bench/progress.js';
import { BENCH_DEFAULTS, runBench } from '../bench/run.js';
import type { BenchOptions } from '../bench/types.js';
import { stopAllOnSignal } from './signals.js';

interface CliOptions {
  readonly jobs: number;
  readonly tenants: number;
  readonly workers: readonly number[];
  readonly concurrency: number;
  readonly profile: 'load' | 'default';
  readonly skipBaseline?: boolean;
  readonly long?: boolean;
  readonly latency?: number | true;
  readonly json?: string;
  readonly allowRealAws?: boolean;
  readonly flood: readonly number[];
}

/** `--latency 25` → 25 (whole milliseconds, 1 to 1000). */
function latencyMs(value: string): number {
  return positiveInt('--latency', 1_000)(value);
}

/** `--flood 2000,20000` → [2000, 20000]. */
function floodList(value: string): number[] {
  const parsed = value.split(',').map((part) => positiveInt('--flood', 1_000_000)(part.trim()));
  if (parsed.length === 0) throw new InvalidArgumentError('--flood must list flood sizes, e.g. 2000,20000');
  return parsed;
}

/** `--workers 1,2,4` → [1, 2, 4]. */
function workerList(value: string): number[] {
  const parsed = value.split(',').map((part) => positiveInt('--workers', 16)(part.trim()));
  if (parsed.length === 0) throw new InvalidArgumentError('--workers must list worker counts, e.g. 1,2,4');
  return parsed;
}

/** `scanq bench`: throughput, dwell, calls and cost per job, CPU and RSS, fairness (docs/PERFORMANCE.md). */
export function registerBench(program: Command): void {
  const d = BENCH_DEFAULTS;
  program
    .command('bench')
    .description(
      'measure throughput, dwell, AWS calls and $ per job, CPU, RSS and fairness on a local endpoint',
    )
    .option('--jobs <n>', 'noop jobs per worker-count phase', positiveInt('--jobs', 1_000_000), d.jobs)
    .option('--tenants <n>', 'tenants the jobs are spread over', positiveInt('--tenants', 1000), d.tenants)
    .option('--workers <list>', 'worker-process counts to measure', workerList, [...d.workers])
    .option('--concurrency <n>', 'jobs at once per worker', positiveInt('--concurrency', 1000), d.concurrency)
    .addOption(
      new Option('--profile <profile>', 'local endpoint to start')
        .choices(['load', 'default'])
        .default(d.profile),
    )
    .option('--skip-baseline', 'do not run the naive baseline')
    .option('--long', `add the long run (${d.longJobs} jobs through one worker, RSS sampled)`)
    .option(
      '--latency [ms]',
      `hold every AWS call this long in a proxy, like a call to AWS in a region (default ${DEFAULT_LATENCY_MS} ms when given without a value)`,
      latencyMs,
    )
    .option('--json <file>', 'also write the report as JSON to this file')
    .option(
      ALLOW_REAL_AWS_FLAG,
      'let a configured endpoint set that reaches real AWS be used (or SCANQ_ALLOW_REAL_AWS=true)',
    )
    .option(
      '--flood <list>',
      'flood sizes of the fairness phase (one phase each, with an unflooded run of the same size)',
      floodList,
      [...d.floods],
    )
    .action((cli: CliOptions) =>
      runCommand(async () => {
        const configured = configOrExit({ localState: false });
        // Without a configured endpoint the tool starts its own; a configured set must not reach AWS.
        if (configured.local) await guardRealAws(configured, 'bench', cli.allowRealAws);
        stopAllOnSignal('bench');
        const options: BenchOptions = {
          ...d,
          jobs: cli.jobs,
          tenants: cli.tenants,
          workers: cli.workers,
          concurrency: cli.concurrency,
          profile: cli.profile,
          skipBaseline: cli.skipBaseline === true,
          long: cli.long === true,
          latencyMs: cli.latency === true ? DEFAULT_LATENCY_MS : (cli.latency ?? 0),
          floods: cli.flood,
        };
        const report = await runBench(configured, options, consoleProgress());
        out();
        for (const line of formatReport(report)) out(line);
        if (cli.json) writeFileSync(cli.json, `${JSON.stringify(report, null, 2)}\n`);
        return EXIT.ok;
      }),
    );
}
