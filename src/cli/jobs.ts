import { type Command, InvalidArgumentError } from 'commander';
import {
  builtinCapabilities,
  isCapabilityName,
  JOB_KEY_PREFIX,
  jobKey,
  jobListQuery,
  normalizeTarget,
  STATUS_CODES,
  type StatusCode,
  statusCode,
} from '../jobs/index.js';
import { type Item, TenantTable } from '../tenancy/index.js';
import { commandContext, EXIT, out, runCommand } from './context.js';
import { operatorContext } from './enqueue.js';

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
export function summarize(item: Item): JobSummary {
  const status = String(item.status ?? '');
  return {
    key: item.key,
    capability: String(item.capability ?? ''),
    target: String(item.target ?? ''),
    status: statusCode(status) ?? status,
    since: status.slice(status.indexOf('#') + 1),
    attempt: Number(item.attempt ?? 0),
    ...(typeof item.error === 'string' ? { error: item.error } : {}),
    ...(typeof item.resultKey === 'string' ? { resultKey: item.resultKey } : {}),
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

function parseLimit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_LIMIT) {
    throw new InvalidArgumentError(`must be a whole number from 1 to ${MAX_LIMIT}`);
  }
  return n;
}

/** The key `jobs get` reads: given as is, or built from --capability and --target like an enqueue would. */
export function keyOf(
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

function printJob(item: Item): void {
  const job = summarize(item);
  out(`key         ${job.key}`);
  out(`status      ${job.status} since ${job.since}`);
  out(`capability  ${job.capability}`);
  out(`target      ${job.target}`);
  out(`attempt     ${job.attempt}`);
  if (job.error) out(`error       ${job.error}`);
  if (job.resultKey) out(`result      ${job.resultKey}`);
  if (typeof item.parent === 'string') out(`parent      ${item.parent}`);
  const history = Array.isArray(item.history) ? (item.history as { status?: string; at?: string }[]) : [];
  if (history.length > 0) out('history');
  for (const h of history) out(`  ${String(h.at ?? '')}  ${String(h.status ?? '')}`);
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
  const group = program.command('jobs').description("read a tenant's jobs (acts as system:cli)");

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
          const page = await table.query({
            ...jobListQuery(options.status ? { status: options.status } : {}),
            limit: options.limit,
            ...(options.cursor ? { cursor: options.cursor } : {}),
          });
          const jobs = page.items.map(summarize);
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
          const resolved = keyOf(key, options);
          const ctx = operatorContext(
            options.tenant,
            Array.isArray(resolved) ? resolved.join('; ') : undefined,
          );
          if (!ctx || Array.isArray(resolved)) return EXIT.usage;
          const { config, clients } = commandContext('jobs');
          try {
            const table = new TenantTable({ doc: clients.doc, tableName: config.resources.table }, ctx);
            const item = await table.get(resolved, { consistent: true });
            if (!item) {
              process.stderr.write(`scanq: no job ${resolved} in tenant ${ctx.tenant}\n`);
              return EXIT.failure;
            }
            if (options.json) out(JSON.stringify(item, null, 2));
            else printJob(item);
            return EXIT.ok;
          } finally {
            clients.destroy();
          }
        }),
    );
}
