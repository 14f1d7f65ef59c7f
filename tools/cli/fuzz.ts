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
  wholeNumber,
} from '../../src/cli/index.js';
import { consoleProgress } from '../bench/progress.js';
import {
  FUZZ_DEFAULTS,
  FUZZ_TARGETS,
  type FuzzOptions,
  type FuzzTarget,
  formatReport,
  freshSeed,
  runFuzz,
} from '../fuzz/index.js';
import { stopAllOnSignal } from './signals.js';

interface CliOptions {
  readonly cases: number;
  readonly seed?: number;
  readonly target: readonly FuzzTarget[];
  readonly concurrency: number;
  readonly profile: 'load' | 'default';
  readonly json?: string;
  readonly allowRealAws?: boolean;
}

/** `--seed 42`: a whole number below 2^31 (fast-check's seed range). */
const seedArg = wholeNumber('--seed', 0, 2 ** 31 - 1);

/** `--target api,files` → ['api', 'files']. */
function targetList(value: string): FuzzTarget[] {
  const names = value.split(',').map((part) => part.trim());
  const known: readonly string[] = FUZZ_TARGETS;
  const bad = names.filter((n) => !known.includes(n));
  if (bad.length > 0 || names.length === 0) {
    throw new InvalidArgumentError(`must list targets among ${FUZZ_TARGETS.join(', ')}`);
  }
  return names as FuzzTarget[];
}

/** `scanq fuzz`: bad API bodies, SQS messages and import files at volume; exits 1 unless every count is 0. */
export function registerFuzz(program: Command): void {
  const d = FUZZ_DEFAULTS;
  program
    .command('fuzz')
    .description(
      'generate bad API bodies, SQS messages and import files; count crashes, 5xx and partial writes',
    )
    .option(
      '--cases <n>',
      'cases in all (80 % API bodies, 15 % messages, 5 % files)',
      positiveInt('--cases', 1_000_000),
      d.cases,
    )
    .option('--seed <n>', 'seed of the generators (replays a run); default random, printed', seedArg)
    .option('--target <list>', `targets to run (${FUZZ_TARGETS.join(',')})`, targetList, [...d.targets])
    .option('--concurrency <n>', 'API requests in flight', positiveInt('--concurrency', 256), d.concurrency)
    .addOption(
      new Option('--profile <profile>', 'local endpoint to start')
        .choices(['default', 'load'])
        .default(d.profile),
    )
    .option('--json <file>', 'also write the report as JSON to this file')
    .option(
      ALLOW_REAL_AWS_FLAG,
      'let a configured endpoint set that reaches real AWS be used (or SCANQ_ALLOW_REAL_AWS=true)',
    )
    .action((cli: CliOptions) =>
      runCommand(async () => {
        const configured = configOrExit({ localState: false });
        // Without a configured endpoint the tool starts its own; a configured set must not reach AWS.
        if (configured.local) await guardRealAws(configured, 'fuzz', cli.allowRealAws);
        stopAllOnSignal('fuzz');
        const options: FuzzOptions = {
          cases: cli.cases,
          seed: cli.seed ?? freshSeed(),
          targets: cli.target,
          concurrency: cli.concurrency,
          profile: cli.profile,
        };
        const report = await runFuzz(configured, options, consoleProgress());
        const replay = `scanq fuzz --seed ${options.seed} --cases ${options.cases}`;
        out();
        for (const line of formatReport(report, replay)) out(line);
        if (cli.json) writeFileSync(cli.json, `${JSON.stringify(report, null, 2)}\n`);
        return report.ok ? EXIT.ok : EXIT.failure;
      }),
    );
}
