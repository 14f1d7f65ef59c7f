import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, createApiServer, mintToken } from '../../src/api/index.js';
import { type Run, recordRun } from '../../src/findings/index.js';
import type { AssetRecord, RiskRecord } from '../../src/jobs/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { createProducer, type Producer } from '../../src/producer/index.js';
import { putProfile } from '../../src/tenancy/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { runCli } from '../helpers/cli.js';
import { serviceContext, stackEnv, tableOf } from '../helpers/stack-extras.js';

const SECRET = 'findings-export-jwt-secret-32-bytes-long!!';
const TENANT = 'acme';
const silent = createLogger({ level: 'silent' });
const fixture = (path: string) => fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url));
const MULTITOOL = fileURLToPath(new URL('../../node_modules/.bin/sarif-multitool', import.meta.url));

const url = (value: string) => ({ type: 'url', value });
const risk = (
  asset: { type: string; value: string },
  name: string,
  severity: RiskRecord['severity'],
): RiskRecord => ({
  asset,
  name,
  severity,
  evidence: { header: name },
});

/** Runs SARIF Multitool `validate` on `file`; its own SARIF log of what it found is returned. */
function multitoolValidate(file: string, output: string) {
  return new Promise<{
    code: number;
    stdout: string;
    log: { runs: { results?: { level?: string; ruleId: string; message: { text?: string } }[] }[] };
  }>((resolve, reject) => {
    execFile(
      MULTITOOL,
      ['validate', file, '--output', output, '--log', 'ForceOverwrite'],
      { timeout: 120_000 },
      async (error, stdout) => {
        try {
          const log = JSON.parse(await readFile(output, 'utf8'));
          resolve({
            code: error && typeof error.code === 'number' ? error.code : error ? 1 : 0,
            stdout,
            log,
          });
        } catch (cause) {
          reject(new Error(`multitool wrote no log: ${stdout}`, { cause }));
        }
      },
    );
  });
}

describe('Risk exports (SARIF 2.1.0, OCSF 2002, DefectDojo) checked by outside validators', () => {
  let stack: TestStack;
  let producer: Producer;
  let server: ApiServer;
  let base: string;
  let token: string;
  let dir: string;

  async function exportOf(format: string) {
    const response = await fetch(`${base}/v1/risks/export?format=${format}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      text: await response.text(),
    };
  }

  beforeAll(async () => {
    stack = await createTestStack('fexport', { env: { SCANQ_JWT_SECRET: SECRET } });
    producer = await createProducer(stack.config, { clients: stack.clients, log: silent });
    server = await createApiServer(stack.config, {
      clients: stack.clients,
      producer,
      log: silent,
      queueUrl: stack.report.queueUrl,
    });
    base = await server.listen({ port: 0, host: '127.0.0.1' });
    token = await mintToken({
      secret: SECRET,
      tenant: TENANT,
      sub: 'ana',
      roles: ['analyst'],
      ttlMs: 600_000,
    });
    dir = await mkdtemp(join(tmpdir(), 'scanq-export-'));
    // Token routes answer only for a tenant that has a profile.
    await putProfile(tableOf(stack, serviceContext(TENANT)), { name: 'Acme' });

    // Prepare: runs through the real lifecycle write path, so every state an export meets exists:
    // open (new), open seen again with a severity change, closed, reopened; URL, host, port and
    // ARN assets; a capability whose risk scanq has no rule text for.
    const table = tableOf(stack, serviceContext(TENANT));
    const day = '2026-11-0';
    const run = (job: string, capability: string, at: string, tenant = TENANT): Run => ({
      job,
      capability,
      at,
      resultKey: `${tenant}/results/${at.slice(0, 10)}/${capability}/x/1-abc.json`,
    });
    const apply = (r: Run, risks: RiskRecord[], assets: AssetRecord[] = []) =>
      recordRun(table, r, { assets, risks });
    const site = url('https://shop.example.com/');
    const api = url('http://api.example.com:8080/');
    const probeSite = '#job#https://shop.example.com/#http-probe';
    const probeApi = '#job#http://api.example.com:8080/#http-probe';
    await apply(
      run(probeSite, 'http-probe', `${day}1T10:00:00.000Z`),
      [risk(site, 'http-missing-csp', 'medium'), risk(site, 'http-missing-x-frame-options', 'low')],
      [site],
    );
    await apply(
      run(probeSite, 'http-probe', `${day}2T10:00:00.000Z`),
      [risk(site, 'http-missing-csp', 'high')],
      [site],
    );
    await apply(run(probeApi, 'http-probe', `${day}1T11:00:00.000Z`), [
      risk(api, 'http-missing-hsts', 'medium'),
    ]);
    await apply(run(probeApi, 'http-probe', `${day}2T11:00:00.000Z`), []);
    await apply(run(probeApi, 'http-probe', `${day}3T11:00:00.000Z`), [
      risk(api, 'http-missing-hsts', 'medium'),
    ]);
    const bucket = { type: 'aws-s3-bucket', value: 'arn:aws:s3:::acme-logs' };
    await apply(run('#job#prod#aws-posture', 'aws-posture', `${day}1T12:00:00.000Z`), [
      risk(bucket, 's3-versioning-disabled', 'low'),
    ]);
    await apply(run('#job#db.example.com#netcheck', 'netcheck', `${day}1T13:00:00.000Z`), [
      risk({ type: 'port', value: 'db.example.com:6379' }, 'open-redis', 'critical'),
      risk({ type: 'host', value: 'db.example.com' }, 'host-unpatched', 'info'),
    ]);
    // Another tenant's risk, which no export of acme may contain; its evidence must be its own.
    const other = tableOf(stack, serviceContext('other'));
    const otherRisk = {
      assets: [],
      risks: [risk({ type: 'host', value: 'other-tenant.example' }, 'open-redis', 'high')],
    };
    await expect(
      recordRun(other, run('#job#x#netcheck', 'netcheck', `${day}1T14:00:00.000Z`), otherRisk),
    ).rejects.toMatchObject({ code: 'findings.foreignEvidence' });
    await recordRun(other, run('#job#x#netcheck', 'netcheck', `${day}1T14:00:00.000Z`, 'other'), otherRisk);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    producer?.close();
    await destroyTestStack(stack);
    await rm(dir, { recursive: true, force: true });
  });

  it('SARIF: one run per capability, rules with help, results at the asset; SARIF Multitool validates it with no error', async () => {
    const sarif = await exportOf('sarif');
    expect(sarif.status, sarif.text).toBe(200);
    expect(sarif.type).toBe('application/sarif+json');
    const file = join(dir, 'risks.sarif');
    await writeFile(file, sarif.text);
    const checked = await multitoolValidate(file, join(dir, 'validation.sarif'));
    console.log(`SARIF Multitool validate (exit ${checked.code}):\n${checked.stdout}`);
    const errors = checked.log.runs.flatMap((r) => r.results ?? []).filter((r) => r.level === 'error');
    expect(errors.map((e) => `${e.ruleId}: ${e.message.text}`)).toEqual([]);
    expect(checked.code, checked.stdout).toBe(0);

    const log = JSON.parse(sarif.text) as {
      version: string;
      runs: {
        tool: { driver: { fullName: string; rules: { id: string; help: { text: string } }[] } };
        results: Record<string, unknown>[];
      }[];
    };
    expect(log.version).toBe('2.1.0');
    expect(log.runs.map((r) => r.tool.driver.fullName)).toEqual([
      'scanq aws-posture',
      'scanq http-probe',
      'scanq netcheck',
    ]);
    const probe = log.runs[1];
    expect(probe?.tool.driver.rules.map((r) => r.id).sort()).toEqual([
      'http-missing-csp',
      'http-missing-hsts',
      'http-missing-x-frame-options',
    ]);
    expect(probe?.tool.driver.rules.every((r) => r.help.text.length > 20)).toBe(true);
    expect(probe?.results).toContainEqual(
      expect.objectContaining({
        ruleId: 'http-missing-x-frame-options',
        kind: 'pass',
        baselineState: 'absent',
        locations: [{ physicalLocation: { artifactLocation: { uri: 'https://shop.example.com/' } } }],
      }),
    );
    expect(log.runs[2]?.results).toContainEqual(
      expect.objectContaining({
        ruleId: 'open-redis',
        level: 'error',
        locations: [
          {
            logicalLocations: [
              {
                name: 'db.example.com:6379',
                fullyQualifiedName: '#asset#port#db.example.com:6379',
                kind: 'port',
              },
            ],
          },
        ],
      }),
    );
    expect(sarif.text).not.toContain('other-tenant');
  }, 150_000);

  it('OCSF: every line is a Vulnerability Finding valid against the OCSF 1.5.0 class 2002 schema; activity follows the lifecycle', async () => {
    const ocsf = await exportOf('ocsf');
    expect(ocsf.type).toBe('application/x-ndjson');
    const events = ocsf.text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(
      JSON.parse(await readFile(fixture('ocsf/vulnerability_finding-1.5.0.schema.json'), 'utf8')),
    );
    for (const event of events) expect(validate(event) ? [] : validate.errors).toEqual([]);
    // The schema is not a rubber stamp: a wrong class and an invented field are refused.
    expect(validate({ ...events[0], class_uid: 2001 })).toBe(false);
    expect(validate({ ...events[0], finding_info: { uid: 'x', titel: 'typo' } })).toBe(false);

    const byName = new Map(events.map((e) => [(e.finding_info as { types: string[] }).types[0], e] as const));
    expect(events).toHaveLength(6);
    expect(byName.get('http-missing-x-frame-options')).toMatchObject({
      activity_id: 3,
      type_uid: 200203,
      status_id: 4,
    });
    expect(byName.get('http-missing-csp')).toMatchObject({ activity_id: 2, severity_id: 4, count: 2 });
    expect(byName.get('http-missing-hsts')).toMatchObject({ activity_id: 2, activity_name: 'Update' });
    expect(byName.get('open-redis')).toMatchObject({ activity_id: 1, severity_id: 5, class_uid: 2002 });
  });

  it('DefectDojo: valid against the Generic Findings Import schema; unique_id_from_tool is stable and unique', async () => {
    const first = await exportOf('defectdojo');
    const second = await exportOf('defectdojo');
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(
      JSON.parse(await readFile(fixture('defectdojo/generic-findings-import.schema.json'), 'utf8')),
    );
    const report = JSON.parse(first.text) as { findings: Record<string, unknown>[] };
    expect(validate(report) ? [] : validate.errors).toEqual([]);
    expect(validate({ findings: [{ ...report.findings[0], severity: 'medium' }] })).toBe(false);
    const ids = report.findings.map((f) => f.unique_id_from_tool);
    expect(new Set(ids).size).toBe(6);
    expect((JSON.parse(second.text) as typeof report).findings.map((f) => f.unique_id_from_tool)).toEqual(
      ids,
    );
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        vuln_id_from_tool: 'http-missing-x-frame-options',
        active: false,
        is_mitigated: true,
        mitigated: '2026-11-02T10:00:00.000Z',
        endpoints: ['https://shop.example.com/'],
      }),
    );
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        vuln_id_from_tool: 'open-redis',
        endpoints: [{ host: 'db.example.com', port: 6379 }],
      }),
    );
  });

  it('CLI: `risks ls`, `risks get` and `risks export` read the same risks; filters and bad flags are checked', async () => {
    const env = stackEnv(stack);
    const listed = await runCli(['risks', 'ls', '--tenant', TENANT, '--status', 'closed', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const items = (JSON.parse(listed.stdout) as { items: { name: string; closedBy: string }[] }).items;
    expect(items.map((i) => [i.name, i.closedBy])).toEqual([
      ['http-missing-x-frame-options', '#job#https://shop.example.com/#http-probe'],
    ]);
    const got = await runCli(
      ['risks', 'get', '--tenant', TENANT, '#risk##asset#url#http://api.example.com:8080/#http-missing-hsts'],
      env,
    );
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toMatch(/status\s+reopened/);
    expect(got.stdout.match(/^ {2}\S+ {2}(opened|closed|reopened)/gm)).toHaveLength(3);
    const out = join(dir, 'cli.ocsf.jsonl');
    const exported = await runCli(
      ['risks', 'export', '--tenant', TENANT, '--format', 'ocsf', '--out', out],
      env,
    );
    expect(exported.code, exported.stderr).toBe(0);
    expect((await readFile(out, 'utf8')).trimEnd().split('\n')).toHaveLength(6);
    const bad = await runCli(['risks', 'export', '--tenant', TENANT, '--format', 'csv'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/format must be one of sarif, ocsf, defectdojo/);
  });
});
