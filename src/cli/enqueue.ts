import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import {
  builtinCapabilities,
  JobValidationError,
  loadPlugins,
  type NewJob,
  validateJobRequests,
} from '../jobs/index.js';
import { createProducer, type EnqueueResult, type Producer } from '../producer/index.js';
import { InvalidKeyError, systemContext, type TenantContext } from '../tenancy/index.js';
import { commandContext, EXIT, out, runCommand } from './context.js';
import { positiveInt } from './flags.js';

/** Invalid lines reported in full (the rest are counted). */
const MAX_REPORTED = 100;

/** What `enqueue --file` did. */
export interface EnqueueSummary {
  /** Non-empty lines read. */
  lines: number;
  accepted: number;
  /** Refused by the insert rules, by reason (`alreadyQueued`, …): answers, not errors. */
  rejected: Record<string, number>;
  /** Accepted but whose message is not sent yet (the sweeper sends it). */
  unsent: number;
  invalid: number;
  invalidLines: { line: number; errors: string[] }[];
}

interface EnqueueOptions {
  tenant: string;
  capability?: string;
  target?: string;
  input?: Record<string, unknown>;
  allowRepeat?: boolean;
  file?: string;
  chunk: number;
  plugin?: string[];
  json?: boolean;
}

/** Parses `--input`: a JSON object, else a usage error. */
export function parseInputOption(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('must be a JSON object');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgumentError('must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** Adds one chunk's results to the summary. Pure. */
export function tally(summary: EnqueueSummary, results: readonly EnqueueResult[]): void {
  for (const r of results) {
    if (r.accepted) {
      summary.accepted++;
      if (!r.enqueued) summary.unsent++;
    } else summary.rejected[r.reason] = (summary.rejected[r.reason] ?? 0) + 1;
  }
}

/** One JSONL line → a validated job, or the reasons it is refused. Pure. */
export function checkLine(text: string, producer: Pick<Producer, 'registry'>): NewJob | string[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return ['not JSON'];
  }
  try {
    // The producer's own validation, per line, so one bad line does not refuse its whole chunk.
    const [job] = validateJobRequests([raw], producer.registry);
    return job ? job : ['empty'];
  } catch (error) {
    if (error instanceof JobValidationError)
      return error.issues.map((i) => `${i.field || '(line)'}: ${i.message}`);
    throw error;
  }
}

async function* lines(file: string): AsyncGenerator<{ line: number; text: string }> {
  const reader = createInterface({
    input: createReadStream(file, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let line = 0;
  for await (const text of reader) {
    line++;
    if (text.trim().length > 0) yield { line, text };
  }
}

async function countLines(file: string): Promise<number> {
  let n = 0;
  for await (const _ of lines(file)) n++;
  return n;
}

/** Enqueues a JSONL file in chunks (one conditional insert each, batched sends), with progress. */
async function enqueueFile(
  producer: Producer,
  ctx: TenantContext,
  options: EnqueueOptions,
): Promise<EnqueueSummary> {
  const file = options.file ?? '';
  const summary: EnqueueSummary = {
    lines: 0,
    accepted: 0,
    rejected: {},
    unsent: 0,
    invalid: 0,
    invalidLines: [],
  };
  const bar =
    process.stderr.isTTY && !options.json
      ? new SingleBar({
          format: 'enqueue [{bar}] {value}/{total} lines | {eta_formatted} left',
          stream: process.stderr,
        })
      : undefined;
  bar?.start(await countLines(file), 0);
  let chunk: NewJob[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    tally(summary, await producer.insert(ctx, chunk));
    chunk = [];
  };
  for await (const { line, text } of lines(file)) {
    summary.lines++;
    const checked = checkLine(text, producer);
    if (Array.isArray(checked)) {
      summary.invalid++;
      if (summary.invalidLines.length < MAX_REPORTED) summary.invalidLines.push({ line, errors: checked });
    } else chunk.push(checked);
    if (chunk.length >= options.chunk) await flush();
    bar?.increment();
  }
  await flush();
  bar?.stop();
  return summary;
}

function printSummary(summary: EnqueueSummary): void {
  const rejected = Object.entries(summary.rejected);
  out(
    `${summary.lines} lines: ${summary.accepted} accepted, ${rejected.reduce((n, [, c]) => n + c, 0)} not enqueued, ${summary.invalid} invalid`,
  );
  for (const [reason, count] of rejected) out(`  not enqueued (${reason}): ${count}`);
  if (summary.unsent > 0) out(`  ${summary.unsent} accepted but not sent yet (the sweeper sends them)`);
  for (const bad of summary.invalidLines)
    process.stderr.write(`line ${bad.line}: ${bad.errors.join('; ')}\n`);
  if (summary.invalid > summary.invalidLines.length) {
    process.stderr.write(`… and ${summary.invalid - summary.invalidLines.length} more invalid lines\n`);
  }
}

async function enqueueOne(producer: Producer, ctx: TenantContext, options: EnqueueOptions): Promise<number> {
  const request = {
    capability: options.capability,
    target: options.target,
    ...(options.input ? { input: options.input } : {}),
    ...(options.allowRepeat ? { allowRepeat: true } : {}),
  };
  let result: EnqueueResult | undefined;
  try {
    [result] = await producer.enqueue(ctx, [request]);
  } catch (error) {
    if (!(error instanceof JobValidationError)) throw error;
    for (const issue of error.issues)
      process.stderr.write(`scanq: ${issue.field || 'job'}: ${issue.message}\n`);
    return EXIT.usage;
  }
  if (!result) return EXIT.failure;
  if (options.json) out(JSON.stringify(result, null, 2));
  else if (result.accepted)
    out(`accepted ${result.key} (rule ${result.rule}${result.enqueued ? '' : ', send pending'})`);
  else out(`not enqueued: ${result.reason} (stored ${result.storedStatus ?? '-'}) ${result.key}`);
  return EXIT.ok;
}

/** Refuses contradictory or missing flags before anything is read or sent; returns a message or undefined. */
export function usageProblem(
  options: Pick<EnqueueOptions, 'file' | 'capability' | 'target' | 'input' | 'allowRepeat'>,
): string | undefined {
  if (options.file !== undefined) {
    if (options.capability || options.target || options.input || options.allowRepeat) {
      return '--file takes the jobs from the file: drop --capability, --target, --input and --allow-repeat';
    }
    return existsSync(options.file) ? undefined : `--file: ${options.file} does not exist`;
  }
  if (!options.capability || !options.target) return 'give --capability and --target, or --file';
  return undefined;
}

/**
 * The context an operator command acts in: `system:cli` in `tenant`. Undefined (after saying why on
 * stderr) for a usage problem or an invalid tenant id.
 */
export function operatorContext(tenant: string, problem?: string): TenantContext | undefined {
  if (problem) {
    process.stderr.write(`scanq: ${problem}\n`);
    return undefined;
  }
  try {
    return systemContext(tenant, 'cli');
  } catch (error) {
    if (!(error instanceof InvalidKeyError)) throw error;
    process.stderr.write(`scanq: --${error.message}\n`);
    return undefined;
  }
}

/**
 * `scanq enqueue`: one job, or many from a JSONL file (one `{capability, target, input?,
 * allowRepeat?}` per line). An operator tool: it acts as `system:cli` (role `service`) in the
 * tenant named by `--tenant`, through the same validation and conditional insert as the API.
 */
export function registerEnqueue(program: Command): void {
  program
    .command('enqueue')
    .description('enqueue one job, or many from a JSONL file, for a tenant (acts as system:cli)')
    .requiredOption('--tenant <tenant>', 'tenant the jobs belong to')
    .option('--capability <name>', 'capability of the one job')
    .option('--target <target>', 'target of the one job')
    .option('--input <json>', 'input of the one job (a JSON object)', parseInputOption)
    .option('--allow-repeat', 'rule 5: a later insert may replace this job whatever its status')
    .option('--file <jobs.jsonl>', 'enqueue every line of a JSONL file')
    .option('--chunk <n>', 'jobs per conditional-insert batch with --file', positiveInt('--chunk', 1000), 100)
    .option('--plugin <module...>', 'load extra capabilities (as the workers do) so their jobs validate')
    .option('--json', 'print the result (one job) or the summary (file) as JSON')
    .action((options: EnqueueOptions) =>
      runCommand(async () => {
        const ctx = operatorContext(options.tenant, usageProblem(options));
        if (!ctx) return EXIT.usage;
        const { config, clients, log } = commandContext('enqueue');
        try {
          const registry = builtinCapabilities();
          await loadPlugins(registry, options.plugin ?? []);
          const producer = await createProducer(config, { clients, registry, log });
          if (!options.file) return await enqueueOne(producer, ctx, options);
          const summary = await enqueueFile(producer, ctx, options);
          if (options.json) out(JSON.stringify(summary, null, 2));
          else printSummary(summary);
          return summary.invalid > 0 ? EXIT.failure : EXIT.ok;
        } finally {
          clients.destroy();
        }
      }),
    );
}
