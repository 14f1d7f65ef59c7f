import type { Command } from 'commander';
import { commandContext, EXIT, out, runCommand } from './context.js';

/** `scanq migrate`: move a deployed table to the current index layout (docs/DEPLOY.md). */
export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description(
      'move jobs stored before the by-open index into it and drop the old by-status and by-sweep indexes (idempotent)',
    )
    .option('--keep-indexes', 'leave the old indexes in place (terraform drops them)')
    .option('--json', 'print the report as JSON')
    .action((options: { keepIndexes?: boolean; json?: boolean }) =>
      runCommand(async () => {
        const { config, clients } = commandContext('migrate');
        const { migrateToOpenIndex } = await import('../producer/migrate.js');
        try {
          const report = await migrateToOpenIndex(
            { doc: clients.doc, tableName: config.resources.table },
            {
              db: clients.dynamodb,
              shards: config.indexShards,
              now: new Date(),
              keepIndexes: options.keepIndexes ?? false,
            },
          );
          if (options.json) out(JSON.stringify(report, null, 2));
          else {
            out(`open jobs moved into by-open: ${report.adopted}`);
            out(`finished jobs cleaned of the old sweeper key: ${report.cleaned}`);
            out(`changed meanwhile (left to their writer): ${report.skipped}`);
            out(
              `old indexes dropped: ${report.droppedIndexes.length > 0 ? report.droppedIndexes.join(', ') : 'none'}`,
            );
          }
          return EXIT.ok;
        } finally {
          clients.destroy();
        }
      }),
    );
}
