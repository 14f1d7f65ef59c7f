import { type Command, InvalidArgumentError, Option } from 'commander';
import { parseDuration } from '../config/index.js';
import { PROFILES, type Profile } from '../local-aws/index.js';
import { runCommand } from './context.js';
import { positiveInt } from './flags.js';
import { ALLOW_REAL_AWS_FLAG } from './real-aws.js';

/** Options of `scanq dev`. */
export interface DevOptions {
  readonly workers: number;
  readonly profile: Profile;
  readonly once?: boolean;
  readonly exit?: boolean;
  readonly demo: boolean;
  readonly timeout: number;
  readonly allowRealAws?: boolean;
}

function duration(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms < 1_000) throw new InvalidArgumentError('must be a duration such as 90s or 5m');
  return ms;
}

/** `scanq dev`: the whole stack on one machine (endpoint, API, workers, scheduler, sweeper) and the demo. */
export function registerDev(program: Command): void {
  program
    .command('dev')
    .description(
      'start the local AWS endpoint, bootstrap, run the API, workers, scheduler and sweeper, and run the demo',
    )
    .option('-w, --workers <n>', 'worker processes', positiveInt('--workers', 16), 2)
    .addOption(
      new Option('--profile <profile>', 'local endpoint profile').choices(PROFILES).default('default'),
    )
    .option('--no-demo', 'do not run the demo (just the stack)')
    .option(
      ALLOW_REAL_AWS_FLAG,
      'let a configured endpoint set that reaches real AWS be used (or SCANQ_ALLOW_REAL_AWS=true)',
    )
    .option('--once', 'run the demo to completion, stop every process and exit (0 when it completed)')
    .addOption(new Option('--exit', 'the same as --once').hideHelp())
    .addOption(
      new Option('--timeout <duration>', "give up when the demo's jobs have not settled after this long")
        .argParser(duration)
        .default(120_000, '2m'),
    )
    .action((options: DevOptions) =>
      runCommand(async () => {
        // The demo's modules load only for this command, not in every scanq process.
        const { runDevCommand } = await import('./dev-run.js');
        return runDevCommand(options);
      }),
    );
}
