import type { Command } from 'commander';
import { bootstrap } from '../local-aws/index.js';
import { commandContext, EXIT, out, runCommand } from './context.js';
import { ALLOW_REAL_AWS_FLAG, guardRealAws } from './real-aws.js';

/** `scanq bootstrap`: create every resource of the manifest idempotently. */
export function registerBootstrap(program: Command): void {
  program
    .command('bootstrap')
    .description(
      'create the queues, table, buckets, KMS key and topic (idempotent; a second run changes nothing)',
    )
    .option('--json', 'print the report as JSON')
    .option(
      ALLOW_REAL_AWS_FLAG,
      'act on real AWS when no local endpoint is configured (or SCANQ_ALLOW_REAL_AWS=true)',
    )
    .action((options: { json?: boolean; allowRealAws?: boolean }) =>
      runCommand(async () => {
        const { config, clients } = commandContext('bootstrap');
        try {
          await guardRealAws(config, 'bootstrap', options.allowRealAws);
          const report = await bootstrap(config, clients);
          if (options.json) {
            out(JSON.stringify(report, null, 2));
            return EXIT.ok;
          }
          for (const step of report.steps) {
            out(
              `${step.action.padEnd(11)} ${step.resource.padEnd(8)} ${step.name}${step.detail ? `  (${step.detail})` : ''}`,
            );
          }
          out(
            report.unchanged
              ? 'nothing to do: every resource already exists as declared'
              : 'bootstrap complete',
          );
          out(`queue ${report.queueUrl}`);
          out(`topic ${report.topicArn}`);
          out(`tenant-session role ${report.tenantRoleArn}`);
          return EXIT.ok;
        } finally {
          clients.destroy();
        }
      }),
    );
}
