import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Command, InvalidArgumentError } from 'commander';
import {
  EXPORT_FORMATS,
  type ExportFormat,
  exportRisks,
  listRisks,
  RISK_STATUSES,
  type RiskFilter,
  type RiskStatus,
  type RiskView,
  readRisk,
  riskDetailView,
  riskView,
} from '../findings/index.js';
import { SEVERITIES, type Severity } from '../jobs/index.js';
import { TenantTable } from '../tenancy/index.js';
import { commandContext, EXIT, out, runCommand } from './context.js';
import { operatorContext } from './enqueue.js';
import { positiveInt } from './flags.js';
import { alignColumns } from './terminal.js';

const MAX_LIMIT = 1000;

function oneOf<T extends string>(values: readonly T[], name: string) {
  return (value: string): T => {
    const found = values.find((v) => v === value.toLowerCase());
    if (!found) throw new InvalidArgumentError(`${name} must be one of ${values.join(', ')}`);
    return found;
  };
}

const parseLimit = positiveInt('--limit', MAX_LIMIT);

function parseAsset(value: string): string {
  if (!value.startsWith('#asset#'))
    throw new InvalidArgumentError('must be an asset key #asset#{type}#{value}');
  return value;
}

interface FilterOptions {
  tenant: string;
  status?: RiskStatus;
  severity?: Severity;
  asset?: string;
  capability?: string;
}

function filterOf(options: FilterOptions): RiskFilter {
  return {
    ...(options.status ? { status: options.status } : {}),
    ...(options.severity ? { severity: options.severity } : {}),
    ...(options.asset ? { asset: options.asset } : {}),
    ...(options.capability ? { capability: options.capability } : {}),
  };
}

/** The `risks ls` table: a header and one aligned row per risk, the key last. Pure. */
export function risksTable(risks: readonly RiskView[]): string[] {
  return alignColumns([
    ['STATUS', 'SEVERITY', 'SEEN', 'LAST SEEN', 'CAPABILITY', 'NAME', 'KEY'],
    ...risks.map((r) => [r.status, r.severity, String(r.seenCount), r.lastSeen, r.capability, r.name, r.key]),
  ]);
}

function withTable<T>(
  tenant: string,
  work: (table: TenantTable) => Promise<T>,
): Promise<T | typeof EXIT.usage> {
  const ctx = operatorContext(tenant);
  if (!ctx) return Promise.resolve(EXIT.usage);
  const { config, clients } = commandContext('risks');
  const table = new TenantTable({ doc: clients.doc, tableName: config.resources.table }, ctx);
  return work(table).finally(() => clients.destroy());
}

function filterOptions(command: Command): Command {
  return command
    .requiredOption('--tenant <tenant>', 'tenant whose risks are read')
    .option(
      '--status <status>',
      `only risks in this status (${RISK_STATUSES.join(', ')})`,
      oneOf(RISK_STATUSES, 'status'),
    )
    .option(
      '--severity <severity>',
      `only risks of this severity (${SEVERITIES.join(', ')})`,
      oneOf(SEVERITIES, 'severity'),
    )
    .option('--asset <assetKey>', "only this asset's risks (#asset#{type}#{value}; quote it)", parseAsset)
    .option('--capability <name>', 'only risks the capability reported');
}

/**
 * `scanq risks ls|get|export`: a tenant's risks, read as `system:cli` through the tenant-scoped
 * table (like `jobs`). Exports stream to stdout or `--out`.
 */
export function registerRisks(program: Command): void {
  const group = program.command('risks').description("read and export a tenant's risks (acts as system:cli)");

  filterOptions(
    group.command('ls').description('list risks in key order (a page may hold fewer than --limit)'),
  )
    .option('--limit <n>', `most risks on this page (1-${MAX_LIMIT})`, parseLimit, 50)
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--json', 'print { items, cursor } as JSON')
    .action((options: FilterOptions & { limit: number; cursor?: string; json?: boolean }) =>
      runCommand(() =>
        withTable(options.tenant, async (table) => {
          const page = await listRisks(table, {
            ...filterOf(options),
            limit: options.limit,
            ...(options.cursor ? { cursor: options.cursor } : {}),
          });
          const items = page.risks.map(riskView);
          if (options.json) {
            out(JSON.stringify({ items, ...(page.cursor ? { cursor: page.cursor } : {}) }, null, 2));
            return EXIT.ok;
          }
          if (items.length === 0) out('no risks');
          else for (const line of risksTable(items)) out(line);
          if (page.cursor) out(`\nmore: --cursor ${page.cursor}`);
          return EXIT.ok;
        }),
      ),
    );

  group
    .command('get')
    .description('show one risk with its lifecycle history')
    .argument('<key>', 'the risk key (#risk#{assetKey}#{name}; quote it)')
    .requiredOption('--tenant <tenant>', 'tenant of the risk')
    .option('--json', 'print the risk as JSON')
    .action((key: string, options: { tenant: string; json?: boolean }) =>
      runCommand(() =>
        withTable(options.tenant, async (table) => {
          const risk = await readRisk(table, key);
          if (!risk) {
            process.stderr.write(`scanq: no risk ${key} in tenant ${table.tenant}\n`);
            return EXIT.failure;
          }
          const view = riskDetailView(risk);
          if (options.json) {
            out(JSON.stringify(view, null, 2));
            return EXIT.ok;
          }
          out(`key         ${view.key}`);
          out(`status      ${view.status}${view.closedAt ? ` at ${view.closedAt} by ${view.closedBy}` : ''}`);
          out(`severity    ${view.severity}`);
          out(`asset       ${view.assetKey}`);
          out(`capability  ${view.capability}`);
          out(`seen        ${view.seenCount}× from ${view.firstSeen} to ${view.lastSeen}`);
          out(`last job    ${view.lastJob}`);
          if (view.evidenceKey) out(`evidence    ${view.evidenceKey}`);
          out('history');
          for (const h of view.history)
            out(`  ${h.at}  ${h.change.padEnd(8)} ${h.severity ?? ''} ${h.job}`.trimEnd());
          return EXIT.ok;
        }),
      ),
    );

  filterOptions(
    group
      .command('export')
      .description('stream every matching risk as SARIF 2.1.0, OCSF (NDJSON) or DefectDojo JSON'),
  )
    .requiredOption(
      '--format <format>',
      `output format (${EXPORT_FORMATS.join(', ')})`,
      oneOf(EXPORT_FORMATS, 'format'),
    )
    .option('--out <file>', 'write to this file instead of stdout')
    .action((options: FilterOptions & { format: ExportFormat; out?: string }) =>
      runCommand(() =>
        withTable(options.tenant, async (table) => {
          const source = Readable.from(exportRisks(table, options.format, filterOf(options)));
          await pipeline(source, options.out ? createWriteStream(options.out) : process.stdout, {
            end: options.out !== undefined,
          });
          return EXIT.ok;
        }),
      ),
    );
}
