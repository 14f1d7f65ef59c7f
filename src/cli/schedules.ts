import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { builtinCapabilities, loadPlugins } from '../jobs/index.js';
import { ScheduleConflictError, ScheduleValidationError } from '../scheduler/errors.js';
import type { StoredSchedule } from '../scheduler/schedule.js';
import { listSchedules, readSchedule, replaceSchedule } from '../scheduler/update.js';
import { type TableDeps, TenantTable } from '../tenancy/index.js';
import { commandContext, EXIT, out, runCommand } from './context.js';
import { operatorContext } from './enqueue.js';
import { alignColumns } from './terminal.js';

function parseLimit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1000)
    throw new InvalidArgumentError('must be a whole number from 1 to 1000');
  return n;
}

const cadenceOf = (s: StoredSchedule) =>
  'intervalMs' in s.cadence ? `every ${s.cadence.intervalMs / 1000}s` : `cron ${s.cadence.cron}`;

/** The `schedules ls` table. Pure. */
export function schedulesTable(schedules: readonly StoredSchedule[]): string[] {
  return alignColumns([
    ['ID', 'CAPABILITY', 'CADENCE', 'ENABLED', 'NEXT RUN', 'RUNS', 'TARGETS'],
    ...schedules.map((s) => [
      s.id,
      s.capability,
      cadenceOf(s),
      String(s.enabled),
      s.nextRun,
      String(s.runs),
      s.targets.length === 1 ? (s.targets[0] ?? '') : `${s.targets.length} targets`,
    ]),
  ]);
}

/** A schedule body from `--file` (`-` for stdin) or `--body`. */
function bodyOf(options: { file?: string; body?: string }): unknown {
  const text = options.body ?? readFileSync(options.file === '-' ? 0 : String(options.file), 'utf8');
  return JSON.parse(text) as unknown;
}

/**
 * `scanq schedules ls|get|update`: a tenant's schedules, read and replaced through the same model
 * as the API (`PUT /v1/schedules/{id}`). Acts as `system:cli` in `--tenant`.
 */
export function registerSchedules(program: Command): void {
  const group = program
    .command('schedules')
    .description("list, show and update a tenant's schedules (acts as system:cli)");
  const tableOf = (tenant: string, config: { resources: { table: string } }, doc: TableDeps['doc']) => {
    const ctx = operatorContext(tenant);
    return ctx ? new TenantTable({ doc, tableName: config.resources.table }, ctx) : undefined;
  };

  group
    .command('ls')
    .description("list the tenant's schedules")
    .requiredOption('--tenant <tenant>', 'the tenant')
    .option('--limit <n>', 'most schedules on this page (1-1000)', parseLimit, 50)
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--json', 'print { items, cursor } as JSON')
    .action((options: { tenant: string; limit: number; cursor?: string; json?: boolean }) =>
      runCommand(async () => {
        const { config, clients } = commandContext('schedules');
        try {
          const table = tableOf(options.tenant, config, clients.doc);
          if (!table) return EXIT.usage;
          const page = await listSchedules(table, {
            limit: options.limit,
            ...(options.cursor ? { cursor: options.cursor } : {}),
          });
          if (options.json) out(JSON.stringify({ items: page.schedules, cursor: page.cursor }, null, 2));
          else if (page.schedules.length === 0) out('no schedules');
          else for (const line of schedulesTable(page.schedules)) out(line);
          if (page.cursor && !options.json) out(`\nmore: --cursor ${page.cursor}`);
          return EXIT.ok;
        } finally {
          clients.destroy();
        }
      }),
    );

  group
    .command('get')
    .description('show one schedule as JSON')
    .argument('<id>', 'the schedule id')
    .requiredOption('--tenant <tenant>', 'the tenant')
    .action((id: string, options: { tenant: string }) =>
      runCommand(async () => {
        const { config, clients } = commandContext('schedules');
        try {
          const table = tableOf(options.tenant, config, clients.doc);
          if (!table) return EXIT.usage;
          out(JSON.stringify(await readSchedule(table, id), null, 2));
          return EXIT.ok;
        } catch (error) {
          if (!(error instanceof ScheduleConflictError)) throw error;
          process.stderr.write(`scanq: ${error.message}\n`);
          return EXIT.failure;
        } finally {
          clients.destroy();
        }
      }),
    );

  group
    .command('update')
    .description(
      'replace a schedule with a body like a create (capability, targets, every|cron, input, enabled)',
    )
    .argument('<id>', 'the schedule id')
    .requiredOption('--tenant <tenant>', 'the tenant')
    .option('--file <path>', 'the body as a JSON file (- for stdin)')
    .option('--body <json>', 'the body as JSON text')
    .option('--plugin <module...>', 'load extra capabilities so their schedules validate')
    .action((id: string, options: { tenant: string; file?: string; body?: string; plugin?: string[] }) =>
      runCommand(async () => {
        if ((options.file === undefined) === (options.body === undefined)) {
          process.stderr.write('scanq: give the new schedule with --file or --body (one of them)\n');
          return EXIT.usage;
        }
        let body: unknown;
        try {
          body = bodyOf(options);
        } catch (error) {
          process.stderr.write(`scanq: the schedule body is not JSON: ${(error as Error).message}\n`);
          return EXIT.usage;
        }
        const { config, clients } = commandContext('schedules');
        try {
          const table = tableOf(options.tenant, config, clients.doc);
          if (!table) return EXIT.usage;
          const registry = builtinCapabilities();
          await loadPlugins(registry, options.plugin ?? []);
          const schedule = await replaceSchedule(table, id, body, {
            registry,
            now: new Date(),
            shards: config.indexShards,
          });
          out(JSON.stringify(schedule, null, 2));
          return EXIT.ok;
        } catch (error) {
          if (error instanceof ScheduleValidationError) {
            for (const issue of error.issues)
              process.stderr.write(`scanq: ${issue.field}: ${issue.message}\n`);
            return EXIT.usage;
          }
          if (!(error instanceof ScheduleConflictError)) throw error;
          process.stderr.write(`scanq: ${error.message}\n`);
          return EXIT.failure;
        } finally {
          clients.destroy();
        }
      }),
    );
}
