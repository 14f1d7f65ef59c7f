import { describe, expect, it } from 'vitest';
import {
  assertFileName,
  FILE_BUCKET,
  FILE_KINDS,
  type FileKind,
  fileKey,
  InvalidKeyError,
  parseFileKey,
} from '../../../src/tenancy/index.js';

/** Runs `fn` and returns the `InvalidKeyError` code it threw (fails the test otherwise). */
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidKeyError);
    return (error as InvalidKeyError).code;
  }
  throw new Error('expected an InvalidKeyError, nothing was thrown');
}

const DAY = new Date('2024-05-01T23:59:59.999Z');

describe('Function: assertFileName', () => {
  it.each([
    'result.json',
    'job-123/result.json',
    'a/b/c/d.txt',
    'report 100%.pdf', // a lone % is not an encoding
    'report%20final.pdf', // an encoded space decodes to a harmless name
    '..hidden',
    'file..json',
    'a.b/c..d/e',
    'ünïcode-名前.txt',
    'x'.repeat(256),
  ])('accepts %j', (name) => {
    // Act & Assess
    expect(assertFileName(name)).toBe(name);
  });

  it.each([
    ['empty', ''],
    ['longer than 256', 'x'.repeat(257)],
    ['not a string', 42],
    ['.. alone', '..'],
    ['.. segment', 'job/../../B/results/x'],
    ['trailing ..', 'job/..'],
    ['. segment', './x'],
    ['leading /', '/etc/passwd'],
    ['double /', 'a//b'],
    ['trailing /', 'job-1/'],
    ['backslash', 'a\\b'],
    ['backslash traversal', '..\\..\\B'],
    ['NUL', 'a\u0000b'],
    ['newline', 'a\nb'],
    ['tab', 'a\tb'],
    ['DEL', 'a\u007fb'],
    ['C1 control', 'a\u0085b'],
    ['encoded ..', '%2e%2e/B/x'],
    ['encoded .. upper case', '%2E%2E/B/x'],
    ['encoded /', 'job%2fx'],
    ['encoded \\', 'job%5cx'],
    ['mixed encoded traversal', '..%2fB'],
    ['double-encoded ..', '%252e%252e/B'],
    ['double-encoded /', 'a%252fb'],
    ['encoded NUL', 'a%00b'],
    ['encoded newline', 'a%0ab'],
    ['overlong UTF-8 dot', '%c0%ae%c0%ae/B'],
    ['quadruple encoding', 'a%25252520b'],
    ['full-width traversal', '\uff0e\uff0e\uff0fB'],
  ])('refuses %s', (_label, name) => {
    expect(codeOf(() => assertFileName(name))).toBe('files.invalidName');
  });
});

describe('Function: fileKey', () => {
  it('builds {tenant}/{kind}/{yyyy-mm-dd}/{name} with the UTC day', () => {
    expect(fileKey('tenant-a', 'results', 'job-1/out.json', DAY)).toBe(
      'tenant-a/results/2024-05-01/job-1/out.json',
    );
    expect(fileKey('t', 'uploads', 'x', new Date('2024-05-01T23:30:00-02:00'))).toBe(
      't/uploads/2024-05-02/x',
    );
  });

  it.each([
    ['bad tenant', () => fileKey('a/b', 'results', 'x', DAY), 'tenant.invalidId'],
    ['tenant with ..', () => fileKey('a..b', 'results', 'x', DAY), 'tenant.invalidId'],
    ['unknown kind', () => fileKey('a', 'secrets' as FileKind, 'x', DAY), 'files.unknownKind'],
    ['bad name', () => fileKey('a', 'results', '../b', DAY), 'files.invalidName'],
    ['bad date', () => fileKey('a', 'results', 'x', new Date(Number.NaN)), 'files.invalidDate'],
  ])('refuses a %s', (_label, build, code) => {
    expect(codeOf(build)).toBe(code);
  });

  it('maps every kind to one of the three buckets', () => {
    expect(Object.fromEntries(FILE_KINDS.map((k) => [k, FILE_BUCKET[k]]))).toEqual({
      results: 'results',
      uploads: 'uploads',
      quarantine: 'quarantine',
      evidence: 'results',
      reports: 'results',
    });
  });
});

describe('Function: parseFileKey', () => {
  it('takes apart a key of its own tenant', () => {
    expect(parseFileKey('A/evidence/2024-05-01/job-1/shot.png', 'A')).toEqual({
      key: 'A/evidence/2024-05-01/job-1/shot.png',
      tenant: 'A',
      kind: 'evidence',
      day: '2024-05-01',
      name: 'job-1/shot.png',
    });
  });

  it.each([
    ['another tenant', 'B/results/2024-05-01/r.json', 'files.crossTenant'],
    ['a tenant whose id extends ours', 'AB/results/2024-05-01/r.json', 'files.crossTenant'],
    ['.. after our prefix', 'A/../B/results/2024-05-01/r.json', 'files.invalidKey'],
    ['.. deep in the name', 'A/results/2024-05-01/../../../B/results/2024-05-01/r.json', 'files.invalidKey'],
    ['a leading /', '/B/results/2024-05-01/r.json', 'files.invalidKey'],
    ['a leading / before our tenant', '/A/results/2024-05-01/r.json', 'files.invalidKey'],
    ['encoded separators', 'A%2f..%2fB/results/2024-05-01/r.json', 'files.invalidKey'],
    ['encoded ..', '%2e%2e/B/results/2024-05-01/r.json', 'files.invalidKey'],
    ['double-encoded ..', 'A/%252e%252e/B/results/2024-05-01/r.json', 'files.invalidKey'],
    ['backslashes', 'A\\..\\B/results/2024-05-01/r.json', 'files.invalidKey'],
    ['a control character', 'A/results/2024-05-01/r\u0000.json', 'files.invalidKey'],
    ['no name', 'A/results/2024-05-01', 'files.invalidKey'],
    ['a bad date', 'A/results/yesterday/r.json', 'files.invalidKey'],
    ['an unknown kind', 'A/secrets/2024-05-01/r.json', 'files.unknownKind'],
    ['an over-long name', `A/results/2024-05-01/${'x'.repeat(257)}`, 'files.invalidName'],
    ['an over-long key', `A/results/2024-05-01/${'x/'.repeat(600)}x`, 'files.invalidKey'],
    ['an empty key', '', 'files.invalidKey'],
  ])('refuses %s', (_label, key, code) => {
    expect(codeOf(() => parseFileKey(key, 'A'))).toBe(code);
  });
});
