import { type Command, Option } from 'commander';
import { resolveResources } from '../aws/index.js';
import { type DlqEntry, DlqPurgeError, dlqDepth, listDlq, purgeDlq, redriveDlq } from '../workers/dlq.js';
import { commandContext, EXIT, out, runCommand } from './context.js';
import { positiveInt } from './flags.js';
import { alignColumns, confirm } from './terminal.js';

/** Parses `--max`: a whole number of messages (or files) from 1 to a million, else a usage error. */
export const parseMax = positiveInt('--max', 1_000_000);

const KEY_WIDTH = 60;

const messages = (n: number) => `${n} message${n === 1 ? '' : 's'}`;

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** The `dlq ls` table: a header and one row per entry (id, tenant, capability, key, receives, reason). Pure. */
export function dlqTable(entries: readonly DlqEntry[]): string[] {
  const rows = [
    ['ID', 'TENANT', 'CAPABILITY', 'KEY', 'RECEIVES', 'REASON'],
    ...entries.map((e) => [
      e.messageId,
      e.tenant ?? '-',
      e.capability ?? '-',
      clip(e.key ?? '-', KEY_WIDTH),
      String(e.receiveCount),
      e.rejectedReason ?? '(redrive policy)',
    ]),
  ];
  return alignColumns(rows);
}

/** `--lane`: where `redrive` sends messages back. */
const LANE_HELP =
  'queue to send them to: jobs, or bulk for a large redrive that should wait behind other tenants';

interface RedriveOptions {
  readonly max?: number;
  readonly tenant?: string;
  readonly lane: 'jobs' | 'bulk';
  readonly yes?: boolean;
  readonly json?: boolean;
}

/** `scanq dlq ls|redrive|purge`: inspect the dead-letter queue, send its messages back, or delete them. */
export function registerDlq(program: Command): void {
  const group = program.command('dlq').description('inspect the dead-letter queue and redrive its messages');

  group
    .command('ls')
    .description('list DLQ messages without consuming them')
    .option('--max <n>', 'most messages listed', parseMax, 100)
    .option('--json', 'print the entries as JSON')
    .action((options: { max: number; json?: boolean }) =>
      runCommand(async () => {
        const { config, clients, log } = commandContext('dlq');
        try {
          const { dlqUrl } = await resolveResources(config, clients);
          const entries = await listDlq(clients.sqs, dlqUrl, { max: options.max, log });
          if (options.json) {
            out(JSON.stringify(entries, null, 2));
            return EXIT.ok;
          }
          if (entries.length === 0) {
            out('the DLQ is empty');
            return EXIT.ok;
          }
          for (const line of dlqTable(entries)) out(line);
          out();
          out(
            entries.length >= options.max
              ? `${messages(entries.length)} shown (--max ${options.max}); there may be more`
              : messages(entries.length),
          );
          return EXIT.ok;
        } finally {
          clients.destroy();
        }
      }),
    );

  group
    .command('redrive')
    .description('send DLQ messages back to the jobs queue (asks first on a terminal)')
    .option('--max <n>', 'most messages sent back (default: all)', parseMax)
    .option('--tenant <tenant>', "only this tenant's messages")
    .addOption(new Option('--lane <lane>', LANE_HELP).choices(['jobs', 'bulk']).default('jobs'))
    .option('--yes', 'do not ask for confirmation (required without a terminal)')
    .option('--json', 'print the result as JSON')
    .action((options: RedriveOptions) =>
      runCommand(async () => {
        // Refused before any AWS call: a script must say --yes, nothing is touched otherwise.
        if (!options.yes && !process.stdin.isTTY) {
          process.stderr.write(
            'scanq: dlq redrive needs confirmation and stdin is not a terminal: pass --yes\n',
          );
          return EXIT.usage;
        }
        const { config, clients, log } = commandContext('dlq');
        try {
          const resources = await resolveResources(config, clients);
          const queueUrl = options.lane === 'bulk' ? resources.bulkQueueUrl : resources.queueUrl;
          const queues = { queueUrl, dlqUrl: resources.dlqUrl };
          if (!options.yes) {
            const depth = await dlqDepth(clients.sqs, queues.dlqUrl);
            const what = `${options.max === undefined ? 'all' : `up to ${options.max}`} messages${
              options.tenant === undefined ? '' : ` of tenant ${options.tenant}`
            } (~${depth} in the DLQ)`;
            if (!(await confirm(`move ${what} from ${queues.dlqUrl} to ${queues.queueUrl}? [y/N] `))) {
              process.stderr.write('scanq: cancelled, nothing moved\n');
              return EXIT.failure;
            }
          }
          const { tenant } = options;
          const report = await redriveDlq(clients.sqs, queues, {
            ...(options.max === undefined ? {} : { max: options.max }),
            ...(tenant === undefined ? {} : { filter: (entry: DlqEntry) => entry.tenant === tenant }),
            messageGroupId: config.producer.messageGroupId,
            log,
          });
          if (options.json) out(JSON.stringify(report, null, 2));
          else {
            out(`moved ${messages(report.moved)} to ${queues.queueUrl}`);
            if (report.failed > 0) out(`${messages(report.failed)} failed to send and stay in the DLQ`);
            if (report.duplicated > 0)
              out(`${messages(report.duplicated)} sent but not deleted from the DLQ (now in both queues)`);
          }
          return report.failed + report.duplicated > 0 ? EXIT.failure : EXIT.ok;
        } finally {
          clients.destroy();
        }
      }),
    );

  group
    .command('purge')
    .description('delete every DLQ message (asks first on a terminal; refuses without --yes otherwise)')
    .option('--yes', 'do not ask for confirmation (required without a terminal)')
    .action((options: { yes?: boolean }) =>
      runCommand(async () => {
        // Refused before any AWS call: deleting is final, a script must say so.
        if (!options.yes && !process.stdin.isTTY) {
          process.stderr.write('scanq: dlq purge deletes messages and stdin is not a terminal: pass --yes\n');
          return EXIT.usage;
        }
        const { config, clients } = commandContext('dlq');
        try {
          const { dlqUrl } = await resolveResources(config, clients);
          if (!options.yes) {
            const depth = await dlqDepth(clients.sqs, dlqUrl);
            if (
              !(await confirm(`delete all ~${depth} messages of ${dlqUrl}? this cannot be undone [y/N] `))
            ) {
              process.stderr.write('scanq: cancelled, nothing deleted\n');
              return EXIT.failure;
            }
          }
          const purged = await purgeDlq(clients.sqs, dlqUrl);
          out(`purged ${dlqUrl} (~${messages(purged)}; SQS may take up to 60 s to finish)`);
          return EXIT.ok;
        } catch (error) {
          if (!(error instanceof DlqPurgeError)) throw error;
          process.stderr.write(`scanq: ${error.message}\n`);
          return EXIT.failure;
        } finally {
          clients.destroy();
        }
      }),
    );
}
