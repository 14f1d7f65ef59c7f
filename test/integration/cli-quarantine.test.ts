import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantFiles } from '../../src/tenancy/index.js';
import { quarantineReportKey } from '../../src/tenancy/quarantine.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { runCli } from '../helpers/cli.js';
import { serviceContext, stackEnv } from '../helpers/stack-extras.js';

describe('Command: scanq quarantine ls|check|rm', () => {
  let stack: TestStack;
  let env: Record<string, string>;
  const quarantined: Record<'a1' | 'a2' | 'b1', string> = { a1: '', a2: '', b1: '' };
  const filesOf = (tenant: string) => {
    const r = stack.config.resources;
    return new TenantFiles(
      {
        s3: stack.clients.s3,
        buckets: { results: r.resultsBucket, uploads: r.uploadsBucket, quarantine: r.quarantineBucket },
      },
      serviceContext(tenant),
    );
  };

  beforeAll(async () => {
    stack = await createTestStack('cliquar');
    env = stackEnv(stack, { LOG_LEVEL: 'silent' });
    const a = filesOf('tenant-a');
    const b = filesOf('tenant-b');
    const move = async (
      files: TenantFiles,
      name: string,
      reasons: { code: string; message: string; path?: string }[],
      total?: number,
    ) => {
      const key = await files.put('uploads', name, '[{"type": 1}]', 'application/json');
      return (await files.quarantine(key, reasons, total === undefined ? {} : { total })).key;
    };
    quarantined.a1 = await move(a, 'assets-1.json', [
      { code: 'wrongType', path: '$[0].type', message: 'expected {"S": …}, got number' },
      { code: 'missingKey', path: '$[0].value', message: 'missing required key "value"' },
    ]);
    quarantined.a2 = await move(
      a,
      'assets-2.json',
      [
        {
          code: 'invalidJson',
          message: 'invalid JSON at line 1, column 2 (offset 1): expected a value, found "x"',
        },
      ],
      1,
    );
    quarantined.b1 = await move(b, 'b.json', [
      { code: 'oversized', message: 'the file is 6000000 bytes; the limit is 5242880 bytes' },
    ]);
  });

  afterAll(async () => {
    await destroyTestStack(stack);
  });

  it("ls lists every tenant's quarantined files with their reasons, and no reports", async () => {
    const json = await runCli(['quarantine', 'ls', '--json'], env);
    const table = await runCli(['quarantine', 'ls'], env);

    expect(json.code).toBe(0);
    const entries = JSON.parse(json.stdout) as {
      key: string;
      tenant: string;
      reasons: string[];
      reasonCount: number;
      firstReason: string;
    }[];
    expect(entries.map((e) => e.key).sort()).toEqual(Object.values(quarantined).sort());
    expect(entries.find((e) => e.key === quarantined.a1)).toMatchObject({
      tenant: 'tenant-a',
      reasons: ['wrongType', 'missingKey'],
      reasonCount: 2,
      firstReason: '$[0].type: expected {"S": …}, got number',
    });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^KEY\s+SIZE\s+QUARANTINED\s+REASONS$/m);
    expect(table.stdout).toContain(`${quarantined.b1} `);
    expect(table.stdout).toMatch(/oversized \(1\)$/m);
    expect(table.stdout).not.toContain('.report.json');
  });

  it("ls --tenant lists only that tenant's files", async () => {
    const result = await runCli(['quarantine', 'ls', '--tenant', 'tenant-b', '--json'], env);

    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { key: string }[]).map((e) => e.key)).toEqual([quarantined.b1]);
  });

  it('check shows the report: every reason with its path', async () => {
    const text = await runCli(['quarantine', 'check', quarantined.a1], env);
    const json = await runCli(['quarantine', 'check', quarantined.a1, '--json'], env);

    expect(text.code).toBe(0);
    expect(text.stdout).toContain('2 reason(s):');
    expect(text.stdout).toMatch(/wrongType\s+\$\[0\]\.type: expected \{"S": …\}, got number/);
    expect(text.stdout).toMatch(/missingKey\s+\$\[0\]\.value: missing required key "value"/);
    expect(text.stdout).toContain('uploaded as tenant-a/uploads/');
    const parsed = JSON.parse(json.stdout) as { report: { reasons: { code: string }[]; source: string } };
    expect(parsed.report.reasons.map((r) => r.code)).toEqual(['wrongType', 'missingKey']);
  });

  it.each([
    ['a key outside quarantine', 'tenant-a/uploads/2026-01-01/x.json', 2],
    ['a path that climbs out', 'tenant-a/quarantine/2026-01-01/../../x.json', 2],
    ['a quarantine key that does not exist', 'tenant-a/quarantine/2026-01-01/nothing.json', 1],
  ])('check refuses %s: %s (exit %i)', async (_name, key, code) => {
    const result = await runCli(['quarantine', 'check', key], env);

    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(/^scanq: /);
  });

  it('rm without --yes and without a terminal exits 2 and deletes nothing', async () => {
    const result = await runCli(['quarantine', 'rm', quarantined.a2], env);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--yes/);
    expect(await filesOf('tenant-a').head(quarantined.a2)).toBeDefined();
  });

  it('rm --yes deletes the file and its report; ls no longer shows it', async () => {
    const files = filesOf('tenant-a');

    const result = await runCli(['quarantine', 'rm', quarantined.a2, '--yes'], env);
    const after = await runCli(['quarantine', 'ls', '--json'], env);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`removed ${quarantined.a2}`);
    expect(await files.head(quarantined.a2)).toBeUndefined();
    expect(await files.head(quarantineReportKey(quarantined.a2))).toBeUndefined();
    expect((JSON.parse(after.stdout) as { key: string }[]).map((e) => e.key).sort()).toEqual(
      [quarantined.a1, quarantined.b1].sort(),
    );
  });
});
