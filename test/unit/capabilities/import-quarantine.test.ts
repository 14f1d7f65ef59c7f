import { describe, expect, it } from 'vitest';
import { quarantineTable, quarantineTenant, removalMode } from '../../../src/cli/quarantine.js';
import { parseFileKey } from '../../../src/tenancy/index.js';
import {
  QUARANTINE_METADATA,
  quarantineMetadata,
  quarantineReportKey,
} from '../../../src/tenancy/quarantine.js';

describe('Function: quarantineReportKey', () => {
  it('puts the report next to the file', () => {
    expect(quarantineReportKey('acme/quarantine/2026-05-01/assets.json')).toBe(
      'acme/quarantine/2026-05-01/assets.json.report.json',
    );
  });

  it('keeps a long name within the name limit, distinct per file, and still a key of the tenant', () => {
    const long = (tail: string) => `acme/quarantine/2026-05-01/${'n'.repeat(250)}${tail}`;

    const a = quarantineReportKey(long('a'));
    const b = quarantineReportKey(long('b'));

    expect(a).not.toBe(b);
    for (const key of [a, b]) {
      expect(parseFileKey(key, 'acme').name.length).toBeLessThanOrEqual(256);
      expect(key.endsWith('.report.json')).toBe(true);
    }
  });
});

describe('Function: quarantineMetadata', () => {
  it('carries the distinct codes, the count and the first reason as ASCII', () => {
    const meta = quarantineMetadata(
      'acme',
      '2026-05-01',
      [
        { code: 'wrongType', path: '$[0].value', message: 'expected S, got N — é' },
        { code: 'wrongType', path: '$[1].value', message: 'expected S, got N' },
        { code: 'missingKey', path: '$[2].type', message: 'missing required key "type"' },
      ],
      140,
      '2026-05-02T10:00:00.000Z',
    );

    expect(meta).toEqual({
      tenant: 'acme',
      [QUARANTINE_METADATA.at]: '2026-05-02T10:00:00.000Z',
      [QUARANTINE_METADATA.uploadDay]: '2026-05-01',
      [QUARANTINE_METADATA.codes]: 'wrongType%2CmissingKey',
      [QUARANTINE_METADATA.total]: '140',
      [QUARANTINE_METADATA.first]: encodeURIComponent('$[0].value: expected S, got N — é'),
    });
    for (const value of Object.values(meta)) expect(value).toMatch(/^[\x20-\x7e]*$/);
  });

  it('cuts a long first reason without splitting an escape', () => {
    const meta = quarantineMetadata(
      'acme',
      '2026-05-01',
      [{ code: 'x', message: 'é'.repeat(500) }],
      1,
      'now',
    );

    const first = meta[QUARANTINE_METADATA.first] ?? '';
    expect(first.length).toBeLessThanOrEqual(1024);
    expect(first).toMatch(/^(%[0-9A-F]{2})+$/);
  });
});

describe('Function: removalMode', () => {
  it.each([
    [{ yes: true, isTTY: false }, 'proceed'],
    [{ yes: true, isTTY: true }, 'proceed'],
    [{ yes: false, isTTY: true }, 'ask'],
    [{ yes: false, isTTY: false }, 'refuse'],
  ] as const)('%j → %s', (options, expected) => {
    expect(removalMode(options)).toBe(expected);
  });
});

describe('Function: quarantineTenant', () => {
  it.each([
    ['acme/quarantine/2026-05-01/a.json', 'acme'],
    ['acme/uploads/2026-05-01/a.json', undefined],
    ['acme/quarantine/a.json', undefined],
    ['acme/quarantine/2026-05-01/../b/a.json', undefined],
    ['/acme/quarantine/2026-05-01/a.json', undefined],
  ])('%s → %s', (key, tenant) => {
    expect(quarantineTenant(key)).toBe(tenant);
  });
});

describe('Function: quarantineTable', () => {
  it('aligns the columns and shows codes with the count', () => {
    const lines = quarantineTable([
      {
        key: 'acme/quarantine/2026-05-01/a.json',
        tenant: 'acme',
        size: 12,
        quarantinedAt: '2026-05-01T10:00:00.000Z',
        reasons: ['wrongType', 'missingKey'],
        reasonCount: 3,
        firstReason: undefined,
      },
    ]);

    expect(lines).toEqual([
      'KEY                                SIZE  QUARANTINED               REASONS',
      'acme/quarantine/2026-05-01/a.json  12    2026-05-01T10:00:00.000Z  wrongType,missingKey (3)',
    ]);
  });
});
