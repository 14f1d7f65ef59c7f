import { describe, expect, it } from 'vitest';
import { emptyMessage } from '../../../src/jobs/capabilities/import/format.js';
import { findJsonSyntaxError } from '../../../src/jobs/capabilities/import/json-syntax.js';
import { IMPORT_LIMITS, parseImportFile } from '../../../src/jobs/index.js';

const bytes = (value: unknown) =>
  new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const host = (value: string, attributes?: Record<string, unknown>) => ({
  type: { S: 'host' },
  value: { S: value },
  ...(attributes ? { attributes: { M: attributes } } : {}),
});

describe('Function: parseImportFile', () => {
  it('turns a valid file into plain, normalized items', () => {
    // Prepare
    const file = [
      host('A.Example.com', {
        owner: { S: 'web team' },
        criticality: { N: '4' },
        internet_facing: { BOOL: true },
        tags: { L: [{ S: 'edge' }, { S: 'eu' }] },
        ports: { L: [{ N: '443' }, { N: '80' }] },
        labels: { M: { cost: { S: 'cc-12' }, proto: { S: 'kept as a key' } } },
        source: { M: { system: { S: 'cmdb' }, id: { S: 'ci-9' } } },
      }),
      { type: { S: 'url' }, value: { S: 'https://b.example.com/login#x' } },
      { type: { S: 'ip' }, value: { S: '10.0.0.7' } },
      { type: { S: 'domain' }, value: { S: 'example.org' } },
    ];

    // A `__proto__` key in the file must stay a key (a literal here would set the prototype).
    const text = JSON.stringify(file).replace('"proto"', '"__proto__"');

    // Act
    const parsed = parseImportFile(bytes(text));

    // Assess
    expect(parsed).toEqual({
      ok: true,
      items: [
        {
          index: 0,
          type: 'host',
          value: 'a.example.com',
          attributes: {
            owner: 'web team',
            criticality: 4,
            internet_facing: true,
            tags: ['edge', 'eu'],
            ports: [443, 80],
            labels: { cost: 'cc-12', ['__proto__']: 'kept as a key' },
            source: { system: 'cmdb', id: 'ci-9' },
          },
        },
        { index: 1, type: 'url', value: 'https://b.example.com/login', attributes: {} },
        { index: 2, type: 'ip', value: '10.0.0.7', attributes: {} },
        { index: 3, type: 'domain', value: 'example.org', attributes: {} },
      ],
    });
  });

  it.each([
    ['a missing key', [{ type: { S: 'host' } }], { code: 'missingKey', path: '$[0].value' }],
    [
      'an extra item key',
      [{ ...host('a.example.com'), colour: { S: 'red' } }],
      { code: 'extraAttribute', path: '$[0].colour' },
    ],
    [
      'an extra attribute',
      [host('a.example.com', { colour: { S: 'red' } })],
      { code: 'extraAttribute', path: '$[0].attributes.M.colour' },
    ],
    [
      'an extra key in a nested map',
      [host('a.example.com', { source: { M: { system: { S: 'x' }, rack: { S: '4' } } } })],
      { code: 'extraAttribute', path: '$[0].attributes.M.source.M.rack' },
    ],
    [
      'S where N is expected',
      [host('a.example.com', { criticality: { S: '4' } })],
      { code: 'wrongType', path: '$[0].attributes.M.criticality', message: 'expected N, got S' },
    ],
    [
      'a wrong type deep in a list',
      [host('a.example.com', { ports: { L: [{ N: '443' }, { S: '80' }] } })],
      { code: 'wrongType', path: '$[0].attributes.M.ports.L[1]', message: 'expected N, got S' },
    ],
    [
      'an N that is not a number',
      [host('a.example.com', { criticality: { N: 'four' } })],
      { code: 'wrongType', path: '$[0].attributes.M.criticality.N' },
    ],
    [
      'an N given as a JSON number',
      [host('a.example.com', { criticality: { N: 4 } })],
      { code: 'wrongType', path: '$[0].attributes.M.criticality.N' },
    ],
    [
      'an S holding a number',
      [{ type: { S: 'host' }, value: { S: 12 } }],
      { code: 'wrongType', path: '$[0].value.S' },
    ],
    [
      'BOOL holding a string',
      [host('a.example.com', { internet_facing: { BOOL: 'yes' } })],
      { code: 'wrongType', path: '$[0].attributes.M.internet_facing.BOOL' },
    ],
    [
      'an untyped value',
      [{ type: 'host', value: { S: 'a.example.com' } }],
      { code: 'wrongType', path: '$[0].type', message: 'expected {"S": …}, got string' },
    ],
    [
      'two type keys',
      [{ type: { S: 'host', N: '1' }, value: { S: 'a.example.com' } }],
      { code: 'wrongType', path: '$[0].type' },
    ],
    [
      'an unsupported type',
      [host('a.example.com', { tags: { SS: ['a'] } })],
      { code: 'wrongType', message: 'expected L, got SS' },
    ],
    [
      'an unknown asset type',
      [{ type: { S: 'printer' }, value: { S: 'p1' } }],
      { code: 'invalidValue', path: '$[0].type.S' },
    ],
    ['a value that is no host', [host('not a host!')], { code: 'invalidValue', path: '$[0].value.S' }],
    [
      'a number out of range',
      [host('a.example.com', { ports: { L: [{ N: '70000' }] } })],
      { code: 'invalidValue', path: '$[0].attributes.M.ports.L[0].N' },
    ],
    [
      'an integer too large to keep',
      [host('a.example.com', { criticality: { N: '9007199254740993' } })],
      { code: 'invalidValue' },
    ],
    ['an item that is not an object', ['a.example.com'], { code: 'wrongType', path: '$[0]' }],
    ['an object instead of a list', { items: [] }, { code: 'notAList', path: '$' }],
    ['an empty list', [], { code: 'noItems' }],
    [
      'the same item twice (after normalization)',
      [host('a.example.com'), host('b.example.com'), host('A.EXAMPLE.com')],
      { code: 'duplicate', path: '$[2]', message: 'duplicates item $[0] (host a.example.com)' },
    ],
  ])('refuses %s with a precise reason', (_name, file, expected) => {
    const parsed = parseImportFile(bytes(file));

    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.issues).toEqual([expect.objectContaining(expected)]);
  });

  it('reports invalid JSON with line, column and offset', () => {
    const parsed = parseImportFile(bytes('[\n  {"type": {"S": "host"}}\n  {"type": 1}\n]'));

    expect(parsed).toEqual({
      ok: false,
      total: 1,
      issues: [
        {
          code: 'invalidJson',
          message: 'invalid JSON at line 3, column 3 (offset 30): expected , or ], found "{"',
        },
      ],
    });
  });

  it('says an empty file is empty, not invalid JSON, and how to upload it', () => {
    const parsed = parseImportFile(new Uint8Array(0));

    expect(parsed.ok ? [] : parsed.issues).toEqual([
      { code: 'empty', message: expect.stringMatching(/^the file is empty \(0 bytes\).*curl --upload-file/) },
    ]);
  });

  it.each([
    [
      'application/x-www-form-urlencoded',
      /uploaded as a form \(content-type application\/x-www-form-urlencoded\)/,
    ],
    ['application/json', /^the file is empty \(0 bytes\): the upload sent no body/],
    [undefined, /^the file is empty \(0 bytes\): the upload sent no body/],
  ])('names a form upload (%s) as the cause of an empty file', (contentType, expected) => {
    expect(emptyMessage(contentType)).toMatch(expected);
  });

  it('refuses bytes that are not UTF-8', () => {
    const parsed = parseImportFile(new Uint8Array([0x5b, 0xff, 0x5d]));

    expect(parsed.ok ? [] : parsed.issues.map((i) => i.code)).toEqual(['invalidEncoding']);
  });

  it('refuses a file over the size limit without parsing it', () => {
    const parsed = parseImportFile(new Uint8Array(IMPORT_LIMITS.maxBytes + 1).fill(0x20));

    expect(parsed).toEqual({
      ok: false,
      total: 1,
      issues: [
        {
          code: 'oversized',
          message: `the file is ${IMPORT_LIMITS.maxBytes + 1} bytes; the limit is ${IMPORT_LIMITS.maxBytes} bytes`,
        },
      ],
    });
  });

  it('refuses more items than the limit', () => {
    const file = Array.from({ length: 3 }, (_, i) => host(`h${i}.example.com`));

    const parsed = parseImportFile(bytes(file), { ...IMPORT_LIMITS, maxItems: 2 });

    expect(parsed.ok ? [] : parsed.issues).toEqual([
      { code: 'tooManyItems', path: '$', message: '3 items; the limit is 2' },
    ]);
  });

  it('keeps the first reasons up to the limit and counts them all', () => {
    const file = Array.from({ length: 7 }, () => ({ type: { S: 'host' } }));

    const parsed = parseImportFile(bytes(file), { ...IMPORT_LIMITS, maxIssues: 3 });

    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.total).toBe(7);
      expect(parsed.issues.map((i) => i.path)).toEqual(['$[0].value', '$[1].value', '$[2].value']);
    }
  });
});

describe('Function: findJsonSyntaxError', () => {
  it.each([
    ['[1, 2]', undefined],
    ['{"a": [true, false, null, -1.5e3, "x\\u00e9\\n"]}', undefined],
    ['', { offset: 0, line: 1, column: 1, problem: 'expected a value, found end of input' }],
    ['[1, 2', { offset: 5, line: 1, column: 6, problem: 'expected , or ], found end of input' }],
    ['[1,]', { offset: 3, line: 1, column: 4, problem: 'expected a value, found "]"' }],
    ['{"a" 1}', { offset: 5, line: 1, column: 6, problem: 'expected : after the key, found "1"' }],
    ["{'a': 1}", { offset: 1, line: 1, column: 2, problem: 'expected a "quoted" key, found "\'"' }],
    ['["abc', { offset: 1, line: 1, column: 2, problem: 'unterminated string' }],
    ['["a\\qb"]', { offset: 3, line: 1, column: 4, problem: 'invalid escape in a string' }],
    ['[01]', { offset: 2, line: 1, column: 3, problem: 'expected , or ], found "1"' }],
    ['[1]\n x', { offset: 5, line: 2, column: 2, problem: 'unexpected "x" after the JSON value' }],
    ['[tru]', { offset: 1, line: 1, column: 2, problem: 'expected a value, found "t"' }],
    ['['.repeat(70), { offset: 65, line: 1, column: 66, problem: 'nested deeper than 64 levels' }],
  ])('%j → %j', (text, expected) => {
    expect(findJsonSyntaxError(text)).toEqual(expected);
  });

  it('agrees with JSON.parse on which texts are valid', () => {
    const samples = [
      '[1 2]',
      '{"a":}',
      '"\u0001"',
      '[-]',
      '[1.]',
      '[.5]',
      '{"a":1,}',
      'nul',
      '[1e5]',
      '"\\/"',
    ];
    for (const text of samples) {
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      expect(findJsonSyntaxError(text) === undefined, text).toBe(valid);
    }
  });
});
