import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import type { Config } from '../config/index.js';
import {
  assertTenantId,
  InvalidKeyError,
  parseFileKey,
  systemContext,
  TenantFiles,
} from '../tenancy/index.js';
import { QUARANTINE_METADATA, quarantineReportKey } from '../tenancy/quarantine.js';
import { commandContext, EXIT, out, runCommand } from './context.js';
import { parseMax } from './dlq.js';
import { alignColumns, confirm } from './terminal.js';

/** One quarantined file as `quarantine ls` shows it. */
export interface QuarantineEntry {
  readonly key: string;
  readonly tenant: string;
  readonly size: number | undefined;
  readonly quarantinedAt: string | undefined;
  readonly reasons: string[];
  readonly reasonCount: number | undefined;
  readonly firstReason: string | undefined;
}

/** What `quarantine rm` does before touching anything: go on, ask, or refuse (exit 2). Pure. */
export function removalMode(options: { yes: boolean; isTTY: boolean }): 'proceed' | 'ask' | 'refuse' {
  if (options.yes) return 'proceed';
  return options.isTTY ? 'ask' : 'refuse';
}

/** Metadata values are percent-encoded (and may be cut mid-character): decode what can be. */
function decoded(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The tenant of a quarantine key, or undefined when the key is not one (`{tenant}/quarantine/{day}/{name}`). */
export function quarantineTenant(key: string): string | undefined {
  const tenant = key.split('/')[0] ?? '';
  try {
    return parseFileKey(key, tenant).kind === 'quarantine' ? tenant : undefined;
  } catch (error) {
    if (error instanceof InvalidKeyError) return undefined;
    throw error;
  }
}

function filesOf(config: Config, s3: S3Client, tenant: string): TenantFiles {
  const r = config.resources;
  return new TenantFiles(
    { s3, buckets: { results: r.resultsBucket, uploads: r.uploadsBucket, quarantine: r.quarantineBucket } },
    systemContext(tenant, 'cli'),
  );
}

/** The entry of a key, or undefined when it is a report (or vanished since the listing). */
async function entryOf(config: Config, s3: S3Client, key: string): Promise<QuarantineEntry | undefined> {
  const tenant = quarantineTenant(key);
  if (!tenant) return undefined;
  const info = await filesOf(config, s3, tenant).head(key);
  const meta = info?.metadata ?? {};
  if (!info || meta[QUARANTINE_METADATA.reportOf] === 'true') return undefined;
  const count = meta[QUARANTINE_METADATA.total];
  return {
    key,
    tenant,
    size: info.size,
    quarantinedAt: meta[QUARANTINE_METADATA.at],
    reasons: (decoded(meta[QUARANTINE_METADATA.codes]) ?? '').split(',').filter((c) => c.length > 0),
    reasonCount: count === undefined ? undefined : Number(count),
    firstReason: decoded(meta[QUARANTINE_METADATA.first]),
  };
}

/** Quarantined files (reports left out), oldest key first, up to `max`. */
export async function listQuarantine(
  config: Config,
  s3: S3Client,
  options: { tenant?: string; max: number },
): Promise<QuarantineEntry[]> {
  const prefix = options.tenant === undefined ? '' : `${assertTenantId(options.tenant)}/quarantine/`;
  const entries: QuarantineEntry[] = [];
  const reports = new Set<string>();
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: config.resources.quarantineBucket,
        Prefix: prefix,
        ContinuationToken: token,
      }),
    );
    for (const object of page.Contents ?? []) {
      if (!object.Key || reports.has(object.Key) || entries.length >= options.max) continue;
      const entry = await entryOf(config, s3, object.Key);
      if (!entry) continue;
      reports.add(quarantineReportKey(entry.key));
      entries.push(entry);
    }
    token = page.NextContinuationToken;
  } while (token && entries.length < options.max);
  return entries;
}

/** The `quarantine ls` table. Pure. */
export function quarantineTable(entries: readonly QuarantineEntry[]): string[] {
  const rows = [
    ['KEY', 'SIZE', 'QUARANTINED', 'REASONS'],
    ...entries.map((e) => [
      e.key,
      e.size === undefined ? '-' : String(e.size),
      e.quarantinedAt ?? '-',
      `${e.reasons.join(',') || '-'}${e.reasonCount === undefined ? '' : ` (${e.reasonCount})`}`,
    ]),
  ];
  return alignColumns(rows);
}

/** A usage error for a key that is not a quarantine key; undefined when it is one. */
function badKey(key: string): number | undefined {
  if (quarantineTenant(key)) return undefined;
  process.stderr.write('scanq: key must be a quarantined file: {tenant}/quarantine/{yyyy-mm-dd}/{name}\n');
  return EXIT.usage;
}

interface Report {
  readonly source?: string;
  readonly total?: number;
  readonly reasons?: readonly { code: string; message: string; path?: string }[];
}

/** The report as written by `TenantFiles.quarantine`; undefined when it is not JSON (edited by hand?). */
function parseReport(body: Uint8Array): Report | undefined {
  try {
    return JSON.parse(Buffer.from(body).toString('utf8')) as Report;
  } catch {
    return undefined;
  }
}

async function check(key: string, json: boolean): Promise<number> {
  const { config, clients } = commandContext('quarantine');
  try {
    const entry = await entryOf(config, clients.s3, key);
    if (!entry) {
      process.stderr.write(`scanq: ${key} is not a quarantined file\n`);
      return EXIT.failure;
    }
    const file = await filesOf(config, clients.s3, entry.tenant).get(quarantineReportKey(key));
    const report = file ? parseReport(file.body) : undefined;
    if (json) {
      out(JSON.stringify({ ...entry, report: report ?? null }, null, 2));
      return EXIT.ok;
    }
    out(`${key}  (${entry.size ?? '?'} bytes, quarantined ${entry.quarantinedAt ?? '?'})`);
    if (report?.source) out(`uploaded as ${report.source}`);
    const reasons = report?.reasons ?? [];
    out(
      `${entry.reasonCount ?? reasons.length} reason(s)${reasons.length < (report?.total ?? 0) ? `, first ${reasons.length}` : ''}:`,
    );
    for (const r of reasons) out(`  ${r.code.padEnd(15)} ${r.path ? `${r.path}: ` : ''}${r.message}`);
    if (!report) out(`  (no report found; first reason: ${entry.firstReason ?? '-'})`);
    return EXIT.ok;
  } finally {
    clients.destroy();
  }
}

async function remove(key: string, yes: boolean): Promise<number> {
  const mode = removalMode({ yes, isTTY: process.stdin.isTTY === true });
  // Refused before any AWS call: a script must say --yes.
  if (mode === 'refuse') {
    process.stderr.write('scanq: quarantine rm needs confirmation and stdin is not a terminal: pass --yes\n');
    return EXIT.usage;
  }
  const { config, clients } = commandContext('quarantine');
  try {
    const entry = await entryOf(config, clients.s3, key);
    if (!entry) {
      process.stderr.write(`scanq: ${key} is not a quarantined file\n`);
      return EXIT.failure;
    }
    if (mode === 'ask' && !(await confirm(`delete ${key} and its report? [y/N] `))) {
      process.stderr.write('scanq: cancelled, nothing deleted\n');
      return EXIT.failure;
    }
    const files = filesOf(config, clients.s3, entry.tenant);
    await files.delete(quarantineReportKey(key));
    await files.delete(key);
    out(`removed ${key} and its report (earlier versions stay in the versioned bucket)`);
    return EXIT.ok;
  } finally {
    clients.destroy();
  }
}

/** `scanq quarantine ls|check|rm`: inspect and clear import files that failed validation. */
export function registerQuarantine(program: Command): void {
  const group = program.command('quarantine').description('inspect and remove quarantined import files');

  group
    .command('ls')
    .description('list quarantined files with their reasons')
    .option('--tenant <tenant>', "only this tenant's files")
    .option('--max <n>', 'most files listed', parseMax, 100)
    .option('--json', 'print the entries as JSON')
    .action((options: { tenant?: string; max: number; json?: boolean }) =>
      runCommand(async () => {
        const { config, clients } = commandContext('quarantine');
        try {
          const entries = await listQuarantine(config, clients.s3, options);
          if (options.json) out(JSON.stringify(entries, null, 2));
          else if (entries.length === 0) out('nothing in quarantine');
          else for (const line of quarantineTable(entries)) out(line);
          return EXIT.ok;
        } finally {
          clients.destroy();
        }
      }),
    );

  group
    .command('check <key>')
    .description('show why a file was quarantined (its report)')
    .option('--json', 'print the entry and report as JSON')
    .action((key: string, options: { json?: boolean }) =>
      runCommand(async () => badKey(key) ?? (await check(key, options.json === true))),
    );

  group
    .command('rm <key>')
    .description('delete a quarantined file and its report (asks first on a terminal)')
    .option('--yes', 'do not ask for confirmation (required without a terminal)')
    .action((key: string, options: { yes?: boolean }) =>
      runCommand(async () => badKey(key) ?? (await remove(key, options.yes === true))),
    );
}
