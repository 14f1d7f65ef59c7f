import { type Command, InvalidArgumentError } from 'commander';
import {
  builtinCapabilities,
  isCapabilityName,
  JOB_KEY_PREFIX,
  type JobRecord,
  jobKey,
  listJobs,
  normalizeTarget,
  readJob,
  STATUS_CODES,
  type StatusCode,
} from '../jobs/index.js';
import { type TenantContext, TenantTable } from '../tenancy/index.js';
import { commandContext, EXIT, out, runCommand } from './context.js';
import { adminOperator, cliControl, refused } from './control.js';
import { operatorContext } from './enqueue.js';
import { positiveInt } from './flags.js';

/** Most jobs one `jobs ls` page shows. */
const MAX_LIMIT = 1000;
const TARGET_WIDTH = 48;

/** What `jobs ls` shows of a job. */
export interface JobSummary {
  readonly key: string;
  readonly capability: string;
  readonly target: string;
  readonly status: string;
  /** When the job entered its status (from `CODE#time`). */
  readonly since: string;
  readonly attempt: number;
  readonly error?: string;
  readonly resultKey?: string;
}

/** A stored job → its summary. Pure. */
export function summarize(job: JobRecord): JobSummary {
  return {
    key: job.key,
    capability: job.capability,
    target: job.target,
    status: job.code,
    since: job.status.slice(job.status.indexOf('#') + 1),
    attempt: job.attempt,
    ...(job.error === undefined ? {} : { error: job.error }),
    ...(job.resultKey === undefined ? {} : { resultKey: job.resultKey }),
  };
}

const clip = (text: string, width: number) => (text.length <= width ? text : `${text.slice(0, width - 1)}…`);

/** The `jobs ls` table: a header and one aligned row per job. Pure. */
export function jobsTable(jobs: readonly JobSummary[]): string[] {
  const rows = [
    ['STATUS', 'SINCE', 'CAPABILITY', 'ATTEMPT', 'TARGET', 'KEY'],
    ...jobs.map((j) => [
      j.status,
      j.since,
      j.capability,
      String(j.attempt),
      clip(j.target, TARGET_WIDTH),
      j.key,
    ]),
  ];
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => row[col]?.length ?? 0))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** Parses `--status`: one of the status codes. */
export function parseStatus(value: string): StatusCode {
  const code = STATUS_CODES.find((c) => c === value.toUpperCase());
  if (!code) throw new InvalidArgumentError(`must be one of ${STATUS_CODES.join(', ')}`);
  return code;
}

const parseLimit = positiveInt('--limit', MAX_LIMIT);

/** The key `jobs get` reads: given as is, or built from --capability and --target like an enqueue would. */
function keyOf(
  key: string | undefined,
  options: { capability?: string; target?: string },
): string | string[] {
  if (key !== undefined) {
    if (options.capability || options.target) return ['give a key or --capability and --target, not both'];
    return key.startsWith(JOB_KEY_PREFIX)
      ? key
      : [`key must start with ${JOB_KEY_PREFIX} (quote it in the shell)`];
  }
  if (!options.capability || !options.target) return ['give a job key, or --capability and --target'];
  if (!isCapabilityName(options.capability)) return ['--capability: not a capability name'];
  const kind = builtinCapabilities().get(options.capability)?.targetKind ?? 'any';
  const target = normalizeTarget(kind, options.target);
  return target.ok ? jobKey(target.value, options.capability) : [`--target: ${target.reason}`];
}

function printJob(record: JobRecord): void {
  const job = summarize(record);
  out(`key         ${job.key}`);
  out(`status      ${job.status} since ${job.since}`);
  out(`capability  ${job.capability}`);
  out(`target      ${job.target}`);
  out(`attempt     ${job.attempt}`);
  if (job.error) out(`error       ${job.error}`);
  if (job.resultKey) out(`result      ${job.resultKey}`);
  if (record.parent !== undefined) out(`parent      ${record.parent}`);
  if (record.history.length > 0) out('history');
  for (const h of record.history) out(`  ${h.at}  ${h.status}`);
}

interface LsOptions {
  tenant: string;
  status?: StatusCode;
  limit: number;
  cursor?: string;
  json?: boolean;
}

/**
 * `scanq jobs ls|get`: read a tenant's jobs. Operator tools: they act as `system:cli` in the tenant
 * named by `--tenant` and read through the tenant-scoped table (a cursor cannot leave the tenant).
 */
export function registerJobs(program: Command): void {
  const group = program
    .command('jobs')
    .description(
      "read a tenant's jobs (acts as system:cli), and cancel, retry, delete, pause or resume them",
    );

  group
    .command('ls')
    .description('list jobs in key order, optionally of one status (a page may hold fewer than --limit)')
    .requiredOption('--tenant <tenant>', 'tenant whose jobs are listed')
    .option('--status <code>', `only jobs in this status (${STATUS_CODES.join(', ')})`, parseStatus)
    .option('--limit <n>', `most jobs on this page (1-${MAX_LIMIT})`, parseLimit, 50)
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--json', 'print { items, cursor } as JSON')
    .action((options: LsOptions) =>
      runCommand(async () => {
        const ctx = operatorContext(options.tenant);
        if (!ctx) return EXIT.usage;
        const { config, clients } = commandContext('jobs');
        try {
          const table = new TenantTable({ doc: clients.doc, tableName: config.resources.table }, ctx);
          const page = await listJobs(table, {
            ...(options.status ? { status: options.status } : {}),
            limit: options.limit,
            ...(options.cursor ? { cursor: options.cursor } : {}),
          });
          const jobs = page.jobs.map(summarize);
          if (options.json) {
            out(JSON.stringify({ items: jobs, ...(page.cursor ? { cursor: page.cursor } : {}) }, null, 2));
            return EXIT.ok;
          }
          if (jobs.length === 0) out('no jobs');
          else for (const line of jobsTable(jobs)) out(line);
          if (page.cursor) out(`\nmore: --cursor ${page.cursor}`);
          return EXIT.ok;
        } finally {
          clients.destroy();
        }
      }),
    );

  group
    .command('get')
    .description('show one job: status, attempts, error, result key and status history')
    .argument('[key]', 'the job key (#job#{target}#{capability}; quote it)')
    .requiredOption('--tenant <tenant>', 'tenant of the job')
    .option('--capability <name>', 'with --target: find the job an enqueue of these would make')
    .option('--target <target>', 'with --capability')
    .option('--json', 'print the stored job as JSON')
    .action(
      (
        key: string | undefined,
        options: { tenant: string; capability?: string; target?: string; json?: boolean },
      ) =>
        runCommand(async () => {
          const named = namedJob(key, options, operatorContext);
          if (!named) return EXIT.usage;
          const { config, clients } = commandContext('jobs');
          try {
            const table = new TenantTable({ doc: clients.doc, tableName: config.resources.table }, named.ctx);
            const job = await readNamedJob(table, named.key);
            if (!job) return EXIT.failure;
            if (options.json) out(JSON.stringify(job, null, 2));
            else printJob(job);
            return EXIT.ok;
          } finally {
            clients.destroy();
          }
        }),
    );

  registerJobControl(group);
}

/**
 * The job a command names (its key, or --capability and --target) and the context it acts in
 * (`contextOf`: an operator or an admin of --tenant); undefined once the usage problem is printed.
 */
export function namedJob(
  key: string | undefined,
  options: { tenant: string; capability?: string; target?: string },
  contextOf: (tenant: string, problem?: string) => TenantContext | undefined,
): { ctx: TenantContext; key: string } | undefined {
  const resolved = keyOf(key, options);
  const ctx = contextOf(options.tenant, Array.isArray(resolved) ? resolved.join('; ') : undefined);
  return ctx && !Array.isArray(resolved) ? { ctx, key: resolved } : undefined;
}

/** The stored job `key` in the table's tenant, or undefined once "no job" is printed. */
export async function readNamedJob(table: TenantTable, key: string): Promise<JobRecord | undefined> {
  const job = await readJob(table, key, { consistent: true });
  if (!job) process.stderr.write(`scanq: no job ${key} in tenant ${table.tenant}\n`);
  return job;
}

type ControlVerb = 'cancel' | 'retry' | 'delete';

const VERBS: Readonly<Record<ControlVerb, string>> = {
  cancel: 'cancel a job: a queued one never runs, a running one stops at its next heartbeat (JF cancelled)',
  retry: 'run a failed job (JF) again now, with its input and options',
  delete: 'delete a finished job (JP or JF) and its result objects',
};

/** `scanq jobs cancel|retry|delete <key>` and `scanq jobs pause|resume`: job control as an admin of --tenant. */
function registerJobControl(group: Command): void {
  for (const verb of Object.keys(VERBS) as ControlVerb[]) {
    group
      .command(verb)
      .description(VERBS[verb])
      .argument('[key]', 'the job key (#job#{target}#{capability}; quote it)')
      .requiredOption('--tenant <tenant>', 'tenant of the job')
      .option('--capability <name>', 'with --target: the job an enqueue of these would make')
      .option('--target <target>', 'with --capability')
      .option('--json', 'print the outcome as JSON')
      .action(
        (
          key: string | undefined,
          options: { tenant: string; capability?: string; target?: string; json?: boolean },
        ) =>
          runCommand(async () => {
            const named = namedJob(key, options, adminOperator);
            if (!named) return EXIT.usage;
            const { config, clients, log } = commandContext('jobs');
            try {
              const control = await cliControl(config, clients, log);
              const outcome =
                verb === 'cancel'
                  ? await control.cancel(named.ctx, named.key)
                  : verb === 'retry'
                    ? await control.retry(named.ctx, named.key)
                    : await control.remove(named.ctx, named.key);
              if (options.json) out(JSON.stringify(outcome, null, 2));
              else if ('outcome' in outcome)
                out(
                  outcome.outcome === 'cancelled'
                    ? `cancelled ${named.key}`
                    : `stopping ${named.key} (at its next heartbeat)`,
                );
              else if ('deletedObjects' in outcome)
                out(`deleted ${named.key} and ${outcome.deletedObjects} result object(s)`);
              else out(outcome.accepted ? `queued ${named.key} again` : `not queued: ${outcome.reason}`);
              return 'accepted' in outcome && !outcome.accepted ? EXIT.failure : EXIT.ok;
            } catch (error) {
              return refused(error);
            } finally {
              clients.destroy();
            }
          }),
      );
  }
  for (const verb of ['pause', 'resume'] as const) {
    group
      .command(verb)
      .description(
        verb === 'pause'
          ? "pause a tenant's jobs, or one capability's: they stay queued (running ones finish)"
          : 'resume what a pause held',
      )
      .requiredOption('--tenant <tenant>', 'the tenant')
      .option('--capability <name>', 'only this capability (default: the whole tenant)')
      .action((options: { tenant: string; capability?: string }) =>
        runCommand(async () => {
          const problem =
            options.capability !== undefined && !isCapabilityName(options.capability)
              ? '--capability: not a capability name'
              : undefined;
          const ctx = adminOperator(options.tenant, problem);
          if (!ctx) return EXIT.usage;
          const { config, clients, log } = commandContext('jobs');
          try {
            const control = await cliControl(config, clients, log);
            const scope = options.capability ? { capability: options.capability } : {};
            const state =
              verb === 'pause' ? await control.pause(ctx, scope) : await control.resume(ctx, scope);
            out(
              state.all
                ? `tenant ${ctx.tenant}: everything paused`
                : state.capabilities.length > 0
                  ? `tenant ${ctx.tenant}: paused ${state.capabilities.join(', ')}`
                  : `tenant ${ctx.tenant}: nothing paused`,
            );
            return EXIT.ok;
          } finally {
            clients.destroy();
          }
        }),
      );
  }
}
