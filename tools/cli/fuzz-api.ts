import type { Command } from 'commander';
import {
  ALLOW_REAL_AWS_FLAG,
  configOrExit,
  EXIT,
  guardRealAws,
  out,
  positiveInt,
  runCommand,
  wholeNumber,
} from '../../src/cli/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { runSchemathesis, type SchemathesisReport } from '../fuzz/schemathesis.js';
import { stopAllOnSignal } from './signals.js';

interface CliOptions {
  readonly maxExamples: number;
  readonly workers: number;
  readonly seed?: number;
  readonly st: string;
  readonly quiet?: boolean;
  readonly allowRealAws?: boolean;
  readonly paths?: string;
  readonly maxTime?: number;
}

const seedArg = wholeNumber('--seed', 0, Number.MAX_SAFE_INTEGER);

function formatCounts(report: SchemathesisReport): string[] {
  const list = (counts: Readonly<Record<string, number>>) =>
    Object.entries(counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  const failures = Object.values(report.failures).reduce((a, b) => a + b, 0);
  return [
    `schemathesis: ${report.cases} cases over ${report.operations} operations (${list(report.modes)})`,
    `  statuses: ${list(report.statuses)}`,
    `  failed checks: ${failures} (${list(report.failures)}); run errors: ${report.errors}; st exit ${report.exitCode}`,
    report.ok ? 'fuzz:api OK' : 'fuzz:api FAILED',
  ];
}

/** `scanq-tools fuzz-api`: Schemathesis against the running API from its own OpenAPI document. */
export function registerFuzzApi(program: Command): void {
  program
    .command('fuzz-api')
    .description(
      'run Schemathesis against the API from its own OpenAPI document; exits 1 on any failed check',
    )
    .option(
      '--max-examples <n>',
      'cases per operation and phase',
      positiveInt('--max-examples', 100_000),
      1000,
    )
    .option('--workers <n>', 'concurrent Schemathesis workers', positiveInt('--workers', 64), 4)
    .option('--seed <n>', 'seed of the generators', seedArg)
    .option(
      '--st <path>',
      'the Schemathesis executable (scripts/ensure-schemathesis.sh puts it on PATH)',
      'st',
    )
    .option('--quiet', "do not echo Schemathesis' own output")
    .option(
      ALLOW_REAL_AWS_FLAG,
      'let a configured endpoint set that reaches real AWS be used (or SCANQ_ALLOW_REAL_AWS=true)',
    )
    .option(
      '--max-time <seconds>',
      'time budget: fuzzing repeats until it is spent',
      positiveInt('--max-time', 86_400),
    )
    .option('--paths <regex>', 'only the operations whose path matches (Schemathesis --include-path-regex)')
    .action((cli: CliOptions) =>
      runCommand(async () => {
        const configured = configOrExit({ localState: false });
        // Without a configured endpoint the tool starts its own; a configured set must not reach AWS.
        if (configured.local) await guardRealAws(configured, 'fuzz-api', cli.allowRealAws);
        stopAllOnSignal('fuzz-api');
        const report = await runSchemathesis(
          configured,
          {
            maxExamples: cli.maxExamples,
            workers: cli.workers,
            st: cli.st,
            ...(cli.seed === undefined ? {} : { seed: cli.seed }),
            ...(cli.paths === undefined ? {} : { paths: cli.paths }),
            ...(cli.maxTime === undefined ? {} : { maxTime: cli.maxTime }),
            echo: cli.quiet ? () => {} : (chunk) => process.stdout.write(chunk),
            say: (line) => out(line),
          },
          createLogger({ level: process.env.SCANQ_FUZZ_LOG_LEVEL ?? 'error', name: 'api' }),
        );
        out();
        for (const line of formatCounts(report)) out(line);
        return report.ok ? EXIT.ok : EXIT.failure;
      }),
    );
}
