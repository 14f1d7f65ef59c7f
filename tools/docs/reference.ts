/**
 * Generates docs/REFERENCE.md from the code: the capabilities and their inputs (their zod
 * schemas), the configuration variables (src/config/schema.ts), the job status codes and their
 * transitions (src/jobs/status.ts, src/jobs/transitions.ts) and the help of every CLI command
 * (the commander tree). `npm run docs:reference` writes it; `--check` exits 1 when the file
 * differs (test/unit/cli/reference.test.ts does the same).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { z } from 'zod';
import { buildProgram } from '../../src/cli/index.js';
import { ENV_SCHEMA } from '../../src/config/index.js';
import {
  IMPORT_ASSET_TYPES,
  IMPORT_ATTRIBUTES,
  ITEM_FIELDS,
  REQUIRED_ITEM_KEYS,
} from '../../src/jobs/capabilities/import/format.js';
import type { TypedSchema } from '../../src/jobs/capabilities/import/typed.js';
import {
  builtinCapabilities,
  type CapabilityDefinition,
  IMPORT_LIMITS,
  STATE_MACHINE,
  STATUS_CODES,
  STATUS_MEANINGS,
} from '../../src/jobs/index.js';
import { MAX_SCHEDULE_TARGETS, scheduleInputSchema } from '../../src/scheduler/schedule.js';

/** Where the reference lives. */
export const REFERENCE_FILE = fileURLToPath(new URL('../../docs/REFERENCE.md', import.meta.url));

/** Help is wrapped at a fixed width so the file does not depend on the terminal that made it. */
const HELP_WIDTH = 100;

interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly pattern?: string;
  readonly format?: string;
  readonly description?: string;
  readonly anyOf?: readonly JsonSchema[];
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;

function typeOf(schema: JsonSchema): string {
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(' or ');
  if (schema.enum) return schema.enum.map((v) => code(JSON.stringify(v))).join(', ');
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : (schema.type ?? 'any');
  return type === 'array' && schema.items ? `array of ${typeOf(schema.items)}` : String(type);
}

function limitsOf(schema: JsonSchema): string {
  const parts: string[] = [];
  const range = (lo: number | undefined, hi: number | undefined, unit: string) => {
    if (lo !== undefined && hi !== undefined) parts.push(`${lo}–${hi}${unit}`);
    else if (lo !== undefined) parts.push(`≥ ${lo}${unit}`);
    else if (hi !== undefined) parts.push(`≤ ${hi}${unit}`);
  };
  range(schema.minimum, schema.maximum, '');
  range(schema.minLength, schema.maxLength, ' characters');
  range(schema.minItems, schema.maxItems, ' items');
  if (schema.format) parts.push(`${schema.format === 'date-time' ? 'RFC 3339 date-time' : schema.format}`);
  else if (schema.pattern) parts.push(`matches ${code(schema.pattern)}`);
  if (schema.items) {
    const inner = limitsOf(schema.items);
    if (inner) parts.push(`each ${inner}`);
  }
  return parts.join(', ');
}

function capabilitySection(capability: CapabilityDefinition): string[] {
  const schema = z.toJSONSchema(capability.input, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const lines = [
    `### \`${capability.name}\``,
    '',
    capability.description,
    '',
    `Target: ${capability.targetKind}. Timeout: ${capability.timeoutMs / 1000} s per attempt (SQS visibility and lease). ` +
      `Attempts: ${capability.maxAttempts}. Credentials: ${capability.credentials ?? 'none'}. ` +
      `Cascade: ${capability.match ? 'runs on matching assets other jobs emit' : 'no'}.`,
    '',
  ];
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0) return [...lines, 'Input: none (`{}`).', ''];
  lines.push('| input field | type | required | default | limits |', '|---|---|---|---|---|');
  for (const [name, property] of properties) {
    lines.push(
      `| ${code(name)} | ${cell(typeOf(property))} | ${schema.required?.includes(name) ? 'yes' : 'no'} | ${
        property.default === undefined ? '—' : code(JSON.stringify(property.default))
      } | ${cell(limitsOf(property) || '—')} |`,
    );
  }
  return [...lines, '', 'Unknown fields are refused.', ''];
}

/** The rule a variable's schema enforces, in the words of its own error message. */
function ruleOf(schema: z.ZodType): string {
  for (const probe of ['\u0000 not a valid value', '']) {
    const result = schema.safeParse(probe);
    // zod's own messages ("Too small: …") are only on the plain non-empty strings.
    if (!result.success) {
      const message = result.error.issues[0]?.message ?? '';
      return /^must /.test(message) ? message : 'must not be empty';
    }
  }
  return 'any text';
}

const UNITS: readonly [number, string][] = [
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'm'],
  [1_000, 's'],
];

/** 43200000 → `12h`, for the defaults of duration variables. */
function durationText(ms: number): string {
  const unit = UNITS.find(([size]) => ms % size === 0);
  return unit ? `${ms / unit[0]}${unit[1]}` : `${ms}ms`;
}

function defaultOf(schema: z.ZodType, rule: string): string {
  const parsed = schema.safeParse(undefined);
  if (!parsed.success || parsed.data === undefined) return '—';
  const value = parsed.data;
  if (typeof value === 'number' && /duration/.test(rule)) return code(durationText(value));
  return code(typeof value === 'string' ? value : JSON.stringify(value));
}

function configSection(): string[] {
  const lines = [
    '## Configuration variables',
    '',
    'Every variable scanq reads (`src/config/schema.ts`), validated once at start-up. What each one',
    'does is in the README\'s "Configuration" table; here are the rule each value must follow and the default.',
    '',
    '| variable | default | rule |',
    '|---|---|---|',
  ];
  for (const [name, schema] of Object.entries(ENV_SCHEMA) as [string, z.ZodType][]) {
    const rule = ruleOf(schema);
    lines.push(`| ${code(name)} | ${defaultOf(schema, rule)} | ${cell(rule)} |`);
  }
  return [...lines, ''];
}

function statusSection(): string[] {
  const lines = [
    '## Job status codes and transitions',
    '',
    "A job's `status` is stored as `CODE#RFC3339-time`; compare with `CODE#`, never the bare code.",
    '',
    '| code | meaning |',
    '|---|---|',
    ...STATUS_CODES.map((c) => `| ${code(c)} | ${cell(STATUS_MEANINGS[c])} |`),
    '',
    'Transitions (`STATE_MACHINE` in `src/jobs/transitions.ts`; `none` = no item with this key):',
    '',
    '| transition | from | to | by | what it means |',
    '|---|---|---|---|---|',
  ];
  for (const edge of STATE_MACHINE) {
    lines.push(
      `| ${code(edge.name)} | ${edge.from.map(code).join(', ')} | ${code(edge.to)} | ${edge.by} | ${cell(edge.note)} |`,
    );
  }
  return [...lines, ''];
}

/** One typed value of the import format, in words: `S`, one of …, ≤ 256 characters. */
function typedText(schema: TypedSchema): string {
  switch (schema.type) {
    case 'S':
      return [
        '`S` (string)',
        schema.oneOf ? `one of ${schema.oneOf.map(code).join(', ')}` : '',
        schema.maxLength ? `≤ ${schema.maxLength} characters` : '',
      ]
        .filter(Boolean)
        .join(', ');
    case 'N': {
      const range = schema.min !== undefined && schema.max !== undefined ? `${schema.min}–${schema.max}` : '';
      return ['`N` (number, as a string)', schema.integer ? 'whole' : '', range].filter(Boolean).join(', ');
    }
    case 'BOOL':
      return '`BOOL` (true or false)';
    case 'L':
      return `\`L\` (list${schema.maxItems ? ` of ≤ ${schema.maxItems}` : ''}) of ${typedText(schema.items)}`;
    case 'M':
      return 'fields' in schema
        ? `\`M\` with fields ${Object.keys(schema.fields).map(code).join(', ')}`
        : `\`M\` (map${schema.maxKeys ? ` of ≤ ${schema.maxKeys} keys` : ''}) of ${typedText(schema.values)}`;
  }
}

function importSection(): string[] {
  const lines = [
    '## Import file format',
    '',
    'What the `import` capability reads (`src/jobs/capabilities/import/format.ts`): a JSON list of',
    `at most ${IMPORT_LIMITS.maxItems} items, at most ${IMPORT_LIMITS.maxBytes} bytes, UTF-8, every value in DynamoDB-typed`,
    'JSON (`{"S": "text"}`, `{"N": "42"}`, `{"BOOL": true}`, `{"L": [...]}`, `{"M": {...}}`). Any other key,',
    'a repeated item or an asset the tenant already has sends the whole file to quarantine with every reason.',
    '',
    '| item key | required | value |',
    '|---|---|---|',
  ];
  for (const [name, schema] of Object.entries(ITEM_FIELDS)) {
    const required = (REQUIRED_ITEM_KEYS as readonly string[]).includes(name) ? 'yes' : 'no';
    lines.push(`| ${code(name)} | ${required} | ${cell(typedText(schema))} |`);
  }
  lines.push(
    '',
    `Asset types: ${IMPORT_ASSET_TYPES.map(code).join(', ')}. The attributes an item may carry:`,
    '',
  );
  lines.push('| attribute | value |', '|---|---|');
  for (const [name, schema] of Object.entries(IMPORT_ATTRIBUTES))
    lines.push(`| ${code(name)} | ${cell(typedText(schema))} |`);
  lines.push(
    '',
    '```json',
    '[',
    '  { "type": { "S": "host" }, "value": { "S": "web-1.example.com" },',
    '    "attributes": { "M": { "owner": { "S": "web team" }, "criticality": { "N": "4" },',
    '                           "ports": { "L": [{ "N": "443" }] } } } },',
    '  { "type": { "S": "url" }, "value": { "S": "https://shop.example.com/" } }',
    ']',
    '```',
    '',
    'Upload it with a presigned URL (`POST /v1/uploads` with `{"name": "assets.json"}`), then enqueue',
    '`{"capability": "import", "target": "<key>", "input": {"key": "<key>"}}`:',
    '',
    '```bash',
    'curl -X PUT --upload-file assets.json "$URL"    # not --data-binary without a content type: see docs/LOCAL-AWS.md',
    '```',
    '',
  );
  return lines;
}

function scheduleSection(): string[] {
  const schema = z.toJSONSchema(scheduleInputSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const lines = [
    '## Schedule body',
    '',
    `\`POST /v1/schedules\` (\`scheduleInputSchema\` in \`src/scheduler/schedule.ts\`). Exactly one of \`interval\` and`,
    `\`cron\`; every target (at most ${MAX_SCHEDULE_TARGETS}) is checked as a job of the capability. Unknown fields are refused.`,
    '',
    '| field | type | required | limits |',
    '|---|---|---|---|',
  ];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    lines.push(
      `| ${code(name)} | ${cell(typeOf(property))} | ${schema.required?.includes(name) ? 'yes' : 'no'} | ${cell(limitsOf(property) || '—')} |`,
    );
  }
  lines.push(
    '',
    '`interval`: a duration from 1m to 366d (`15m`, `6h`, `1d`); `startAt` (interval only) is the first run,',
    'default now + interval. `cron`: five fields (`0 3 * * 1`) or `@hourly`, `@daily`, `@weekly`, `@monthly`,',
    '`@yearly`, in `timezone` (an IANA name, default UTC). `enabled: false` keeps a schedule that never fires.',
    '',
    '```json',
    '{ "capability": "portscan", "targets": ["web-1.example.com"], "input": { "ports": [22, 443] },',
    '  "cron": "0 3 * * 1", "timezone": "Europe/Berlin" }',
    '```',
    '',
  );
  return lines;
}

function commands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(commands)];
}

function helpOf(command: Command): string {
  command.configureHelp({ helpWidth: HELP_WIDTH });
  return command.helpInformation().trimEnd();
}

async function cliSection(): Promise<string[]> {
  const program = await buildProgram({});
  const lines = ['## CLI', '', 'The output of `scanq <command> --help` for every command.', ''];
  for (const command of commands(program)) {
    const path: string[] = [];
    for (let c: Command | null = command; c; c = c.parent) path.unshift(c.name());
    lines.push(`### \`${path.join(' ')}\``, '', '```', helpOf(command), '```', '');
  }
  return lines;
}

/** The whole reference, as the code defines it today. */
export async function renderReference(): Promise<string> {
  const registry = builtinCapabilities();
  const capabilities = registry
    .names()
    .map((name) => registry.get(name))
    .filter((c): c is CapabilityDefinition => c !== undefined);
  const lines = [
    '# scanq reference',
    '',
    '<!-- Generated by `npm run docs:reference` (tools/docs/reference.ts) from the code. Do not edit:',
    '     test/unit/cli/reference.test.ts fails when this file and the code differ. -->',
    '',
    'Contents: [capabilities](#capabilities), [import file format](#import-file-format),',
    '[schedule body](#schedule-body), [configuration variables](#configuration-variables),',
    '[job status codes and transitions](#job-status-codes-and-transitions), [CLI](#cli).',
    '',
    '## Capabilities',
    '',
    'The built-in capabilities and the `input` each accepts (from its zod schema). A job is',
    '`{ capability, target, input? }`; a bad input is refused at enqueue with every field named.',
    '',
    ...capabilities.flatMap(capabilitySection),
    ...importSection(),
    ...scheduleSection(),
    ...configSection(),
    ...statusSection(),
    ...(await cliSection()),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = await renderReference();
  if (process.argv.includes('--check')) {
    const current = readFileSync(REFERENCE_FILE, 'utf8');
    if (current !== text) {
      process.stderr.write('docs/REFERENCE.md differs from the code: run npm run docs:reference\n');
      process.exit(1);
    }
  } else {
    writeFileSync(REFERENCE_FILE, text);
    process.stdout.write(`wrote ${REFERENCE_FILE}\n`);
  }
}
