import { writeFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import {
  ALLOW_REAL_AWS_FLAG,
  configOrExit,
  EXIT,
  guardRealAws,
  out,
  positiveInt,
  runCommand,
  share,
} from '../../src/cli/index.js';
import { consoleProgress } from '../bench/progress.js';
import { CHAOS_DEFAULTS, type ChaosOptions, type ChaosReport, runChaos } from '../chaos/chaos.js';
import { stopAllOnSignal } from './signals.js';

interface CliOptions {
  readonly jobs: number;
  readonly workers: number;
  readonly concurrency: number;
  readonly killEvery: number;
  readonly faultRate: number;
  readonly faultAmbiguous: number;
  readonly awsMaxAttempts: number;
  readonly profile: 'load' | 'default';
  readonly json?: string;
  readonly allowRealAws?: boolean;
}

function print(report: ChaosReport): void {
  const a = report.audit;
  out();
  out(`chaos run — ${report.startedAt}, ${report.seconds.toFixed(0)} s`);
  out(
    `  ${a.jobs} jobs: ${a.passed} passed, ${a.failed} failed (gave up), ${a.retried} needed more than one attempt`,
  );
  out(`  lost ${a.lost}   duplicated ${a.duplicated}   stuck ${a.stuck}`);
  out(`  SIGKILLs ${report.kills}; injected faults ${report.faultsTotal} of ${report.calls} AWS calls`);
  for (const [op, n] of Object.entries(report.faults)) out(`    ${op.padEnd(34)} ${n}`);
  out(
    `  sweeper: re-sent ${report.sweeper.resent}, send failures ${report.sweeper.sendFailures}; enqueue calls repeated after a fault: ${report.enqueueRetries}`,
  );
  out(
    `  result objects left by attempts that did not win (no job names them): ${a.orphanResults}; finished jobs without their execution record: ${a.missingExecutions}`,
  );
  const events =
    a.losingEvents === undefined
      ? `events not watched (${report.eventsUnavailable ?? 'unknown reason'})`
      : `${a.losingEvents} of ${a.events ?? 0} events`;
  out(
    `  findings or events of losing attempts: ${a.losingFindings + (a.losingEvents ?? 0)} (${a.losingFindings} of ${a.findings} asset/risk items; ${events})`,
  );
  if (a.losingEvents !== undefined)
    out(
      `  finished jobs without an event: ${a.jobsWithoutEvent ?? 0}; events of a winning attempt seen twice: ${a.repeatedEvents ?? 0}`,
    );
  out(`  DLQ: ${a.dlqFinished} copies of finished jobs, ${a.dlqUnexpected} that should not be there`);
  out(`  warning/error log lines from the processes: ${report.workerProblems}`);
  for (const [problem, ids] of Object.entries(a.examples))
    out(`  e.g. ${problem}: ${ids.slice(0, 3).join('; ')}`);
  out();
  out(report.headline);
}

/** `scanq chaos`: kills, faults and the sweeper; then every job is audited (docs/PERFORMANCE.md). */
export function registerChaos(program: Command): void {
  const d = CHAOS_DEFAULTS;
  program
    .command('chaos')
    .description('run jobs through workers that are SIGKILLed while AWS calls fail, then audit every job')
    .option('--jobs <n>', 'noop jobs', positiveInt('--jobs', 1_000_000), d.jobs)
    .option('--workers <n>', 'worker processes at any time', positiveInt('--workers', 16), d.workers)
    .option('--concurrency <n>', 'jobs at once per worker', positiveInt('--concurrency', 1000), d.concurrency)
    .option(
      '--kill-every <seconds>',
      'SIGKILL one worker this often',
      positiveInt('--kill-every', 3600),
      d.killEveryMs / 1000,
    )
    .option('--fault-rate <share>', 'share of AWS calls failed', share('--fault-rate'), d.faultRate)
    .option(
      '--fault-ambiguous <share>',
      'share of faults thrown after the call took effect',
      share('--fault-ambiguous'),
      d.faultAmbiguous,
    )
    .option(
      '--aws-max-attempts <n>',
      'SDK attempts per call',
      positiveInt('--aws-max-attempts', 10),
      d.awsMaxAttempts,
    )
    .addOption(
      new Option('--profile <profile>', 'local endpoint to start')
        .choices(['load', 'default'])
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
        if (configured.local) await guardRealAws(configured, 'chaos', cli.allowRealAws);
        stopAllOnSignal('chaos');
        const options: ChaosOptions = {
          ...d,
          jobs: cli.jobs,
          workers: cli.workers,
          concurrency: cli.concurrency,
          killEveryMs: cli.killEvery * 1000,
          faultRate: cli.faultRate,
          faultAmbiguous: cli.faultAmbiguous,
          awsMaxAttempts: cli.awsMaxAttempts,
          profile: cli.profile,
        };
        const report = await runChaos(configured, options, consoleProgress());
        print(report);
        if (cli.json) writeFileSync(cli.json, `${JSON.stringify(report, null, 2)}\n`);
        return report.ok ? EXIT.ok : EXIT.failure;
      }),
    );
}
