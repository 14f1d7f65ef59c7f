/**
 * `npm run fuzz:api`: Schemathesis (a schema-driven fuzzer, PyPI `schemathesis`) against the running
 * API, from the API's own OpenAPI document. Starts (or uses) the local endpoint, bootstraps a stack
 * under a fresh prefix, serves the API on a loopback port, creates a tenant (profile + provider)
 * and an admin token for it, runs `st run` with the checks the contract promises, and reads the
 * counts from Schemathesis' NDJSON event stream.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiServer, mintToken } from '../../src/api/index.js';
import type { Config } from '../../src/config/index.js';
import type { Logger } from '../../src/lib/logger.js';
import { createProducer } from '../../src/producer/index.js';
import { destroyStack, openEndpoint, openStack, runPrefix } from '../bench/endpoint.js';
import { TENANT_PROFILE } from './api-endpoints.js';
import { FuzzSetupError } from './errors.js';

/** The checks every response must pass: no 5xx, only documented statuses, bodies and content types. */
export const CONTRACT_CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'response_schema_conformance',
  'content_type_conformance',
  'negative_data_rejection',
] as const;

/** The tenant the fuzzer acts in. */
export const SCHEMATHESIS_TENANT = 'fuzz-schema';

export interface SchemathesisOptions {
  /** Test cases per operation (Schemathesis `--max-examples`). */
  readonly maxExamples: number;
  readonly seed?: number;
  /** Time budget in seconds: fuzzing repeats until it is spent (Schemathesis `--max-time`). */
  readonly maxTime?: number;
  /** Only the operations whose path matches this regular expression. Default all. */
  readonly paths?: string;
  /** Concurrent Schemathesis workers. */
  readonly workers: number;
  /** Executable of Schemathesis (`st`), from scripts/ensure-schemathesis.sh. */
  readonly st: string;
  /** Where Schemathesis' own output goes (the console, or nowhere). */
  readonly echo: (chunk: string) => void;
  readonly say: (line: string) => void;
}

/** What one run counted. */
export interface SchemathesisReport {
  readonly operations: number;
  readonly cases: number;
  /** Cases by generation mode (positive, negative). */
  readonly modes: Readonly<Record<string, number>>;
  /** Failed checks by name (`not_a_server_error`, …). */
  readonly failures: Readonly<Record<string, number>>;
  /** Responses by status. */
  readonly statuses: Readonly<Record<string, number>>;
  /** Errors of the run itself (schema problems, network). */
  readonly errors: number;
  readonly exitCode: number;
  readonly ok: boolean;
}

type Json = Record<string, unknown>;
const asObject = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;

function bump(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

/** Walks an event for every `(case, response, checks)` triple it records. */
function collectCases(value: unknown, visit: (node: Json) => void): void {
  const stack: unknown[] = [value];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (Array.isArray(next)) {
      stack.push(...next);
      continue;
    }
    const node = asObject(next);
    if (!node) continue;
    if (asObject(node.value)?.checks !== undefined || node.checks !== undefined) visit(node);
    else stack.push(...Object.values(node));
  }
}

/**
 * Counts of an NDJSON report: every `ScenarioFinished` event carries its recorder, whose cases hold
 * the request (with its generation mode), the response status and the checks run on it. Pure.
 */
export function countReport(ndjson: string): Omit<SchemathesisReport, 'exitCode' | 'ok'> {
  const modes: Record<string, number> = {};
  const failures: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  const operations = new Set<string>();
  let cases = 0;
  let errors = 0;
  for (const line of ndjson.split('\n')) {
    if (line.trim() === '') continue;
    const event = asObject(JSON.parse(line));
    const finished = asObject(event?.ScenarioFinished);
    if (asObject(event?.NonFatalError) || asObject(event?.FatalError)) errors++;
    if (!finished) continue;
    const recorder = asObject(finished.recorder);
    const label = recorder?.label;
    if (typeof label === 'string') operations.add(label);
    const recorded = asObject(recorder?.cases) ?? {};
    const interactions = asObject(recorder?.interactions) ?? {};
    const checks = asObject(recorder?.checks) ?? {};
    for (const [id, node] of Object.entries(recorded)) {
      cases++;
      const value = asObject(asObject(node)?.value);
      const meta = asObject(value?.meta) ?? asObject(value?._meta);
      const generation = asObject(meta?.generation);
      const mode = typeof generation?.mode === 'string' ? generation.mode : 'unknown';
      bump(modes, mode);
      const status = asObject(asObject(interactions[id])?.response)?.status_code;
      bump(statuses, typeof status === 'number' ? String(status) : 'none');
      const ran = checks[id];
      for (const check of Array.isArray(ran) ? ran : []) {
        const c = asObject(check);
        if (c?.status === 'FAILURE' || c?.status === 'failure') bump(failures, String(c.name));
      }
    }
    collectCases({}, () => {});
  }
  return { operations: operations.size, cases, modes, failures, statuses, errors };
}

/** Runs `st` and resolves with its exit code. */
function runSt(st: string, args: readonly string[], echo: (chunk: string) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(st, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    child.stdout.on('data', (chunk: Buffer) => echo(chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => echo(chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

async function setUpTenant(base: string, secret: string): Promise<string> {
  const token = await mintToken({
    secret,
    tenant: SCHEMATHESIS_TENANT,
    sub: 'schemathesis',
    roles: ['admin'],
    ttlMs: 6 * 3_600_000,
  });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const profile = await fetch(`${base}/v1/tenants/${SCHEMATHESIS_TENANT}`, {
    method: 'PUT',
    headers,
    body: JSON.stringify(TENANT_PROFILE),
  });
  const provider = await fetch(`${base}/v1/providers`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: 'aws' }),
  });
  if (profile.status !== 200 || provider.status >= 300) {
    throw new FuzzSetupError(`API set-up refused: profile ${profile.status}, provider ${provider.status}`);
  }
  return token;
}

/** The whole run: stack up, API up, tenant, Schemathesis, counts; everything stopped at the end. */
export async function runSchemathesis(
  configured: Config,
  options: SchemathesisOptions,
  log: Logger,
): Promise<SchemathesisReport> {
  const endpoint = await openEndpoint(configured, { profile: 'default', say: options.say });
  const secret = randomBytes(32).toString('hex');
  const reports = mkdtempSync(join(tmpdir(), 'scanq-schemathesis-'));
  try {
    const stack = await openStack(endpoint, runPrefix('fuzzapi'), {
      SCANQ_JWT_SECRET: secret,
      SCANQ_CALLBACK_SECRET: randomBytes(32).toString('hex'),
      // The run's own requests must never be the ones rate-limited.
      SCANQ_API_RATE_LIMIT: '100000',
    });
    const producer = await createProducer(stack.config, { clients: stack.clients, log });
    const server = await createApiServer(stack.config, {
      clients: stack.clients,
      producer,
      log,
      queueUrl: stack.report.queueUrl,
    });
    try {
      const base = await server.listen({ port: 0, host: '127.0.0.1' });
      const token = await setUpTenant(base, secret);
      options.say(`api at ${base}, tenant ${SCHEMATHESIS_TENANT}; running schemathesis`);
      const ndjson = join(reports, 'events.ndjson');
      const args = [
        'run',
        `${base}/v1/openapi.json`,
        '--url',
        base,
        '--checks',
        CONTRACT_CHECKS.join(','),
        '--mode',
        'all',
        '--phases',
        'examples,coverage,fuzzing',
        '--max-examples',
        String(options.maxExamples),
        '--workers',
        String(options.workers),
        '--header',
        `Authorization: Bearer ${token}`,
        '--suppress-health-check',
        'all',
        '--no-shrink',
        '--continue-on-failure',
        '--request-timeout',
        '30',
        '--report',
        'ndjson',
        '--report-ndjson-path',
        ndjson,
        '--output-truncate',
        'true',
        ...(options.seed === undefined ? [] : ['--seed', String(options.seed)]),
        ...(options.paths === undefined ? [] : ['--include-path-regex', options.paths]),
        ...(options.maxTime === undefined ? [] : ['--max-time', String(options.maxTime)]),
      ];
      const exitCode = await runSt(options.st, args, options.echo);
      const counts = countReport(readFileSync(ndjson, 'utf8'));
      const failed = Object.values(counts.failures).reduce((a, b) => a + b, 0);
      return { ...counts, exitCode, ok: exitCode === 0 && failed === 0 && counts.errors === 0 };
    } finally {
      await server.close();
      producer.close();
      await destroyStack(stack).catch(() => undefined);
      stack.clients.destroy();
    }
  } finally {
    rmSync(reports, { recursive: true, force: true });
    await endpoint.close();
  }
}
