import { describe, expect, it } from 'vitest';
import {
  builtinCapabilities,
  decodeJobMessage,
  encodeJobMessage,
  JobValidationError,
  jobKey,
  normalizeTarget,
  parseJobKey,
  shardOf,
  statusCode,
  validateJobRequests,
} from '../../../src/jobs/index.js';

describe('Function: normalizeTarget', () => {
  it.each([
    ['host', 'Example.COM', 'example.com'],
    ['host', ' example.com. ', 'example.com'],
    ['host', '10.0.0.1', '10.0.0.1'],
    ['host', '10.0.0.0/24', '10.0.0.0/24'],
    ['host', 'example.com:8443', 'example.com:8443'],
    ['host', '[::1]:22', '[::1]:22'],
    ['host', '::1', '::1'],
    ['url', 'HTTPS://Example.com:443/a#frag', 'https://example.com/a'],
    ['url', 'example.com/path', 'https://example.com/path'],
    ['any', 'Account-123', 'Account-123'],
  ] as const)('%s %j → %j', (kind, raw, expected) => {
    expect(normalizeTarget(kind, raw)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['any', '', /empty/],
    ['any', '   ', /empty/],
    ['any', 'a'.repeat(901), /at most 900/],
    ['any', 'a\u0000b', /control/],
    ['any', 'a b', /whitespace/],
    ['any', 'a#b', /#/],
    ['host', 'exa_mple..com', /hostname/],
    ['host', 'example.com:99999', /port/],
    ['host', '10.0.0.0/33', /CIDR/],
    ['url', 'ftp://example.com', /http/],
    ['url', 'https://user:pw@example.com', /credentials/],
    ['any', 42, /string/],
  ] as const)('%s %j is refused', (kind, raw, reason) => {
    const checked = normalizeTarget(kind, raw);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.reason).toMatch(reason);
  });
});

describe('Function: jobKey / parseJobKey', () => {
  it('round-trips and keeps the capability as the last segment', () => {
    const key = jobKey('example.com:443', 'http-probe');
    expect(key).toBe('#job#example.com:443#http-probe');
    expect(parseJobKey(key)).toEqual({ target: 'example.com:443', capability: 'http-probe' });
    expect(parseJobKey('#asset#x')).toBeUndefined();
  });
});

describe('Function: statusCode', () => {
  it('tells JR from JRA by the full prefix', () => {
    expect(statusCode('JR#2026-01-01T00:00:00.000Z')).toBe('JR');
    expect(statusCode('JRA#2026-01-01T00:00:00.000Z')).toBe('JRA');
    expect(statusCode('JRX#2026')).toBeUndefined();
    expect(statusCode('JR')).toBeUndefined();
  });
});

describe('Function: validateJobRequests', () => {
  const registry = builtinCapabilities();

  it('normalizes a valid request into a job with its deterministic key', () => {
    const [job] = validateJobRequests([{ capability: 'noop', target: ' t1 ' }], registry);
    expect(job).toMatchObject({
      key: '#job#t1#noop',
      target: 't1',
      status: 'JQ',
      allowRepeat: false,
      input: {},
    });
  });

  it.each([
    [{ capability: 'nope', target: 't' }, 'capability'],
    [{ capability: 'noop', target: '' }, 'target'],
    [{ capability: 'noop', target: 'x'.repeat(2_000) }, 'target'],
    [{ capability: 'noop', target: 'a\nb' }, 'target'],
    [{ capability: 'noop', target: 7 }, 'target'],
    [{ capability: 'noop', target: 't', input: { sleepMs: 'long' } }, 'input.sleepMs'],
    [{ capability: 'noop', target: 't', input: { extra: 1 } }, 'input'],
    [{ capability: 'noop', target: 't', tenant: 'other' }, ''],
    [{ capability: 'noop', target: 't', allowRepeat: 'yes' }, 'allowRepeat'],
  ])('%j names the bad field %j', (request, field) => {
    try {
      validateJobRequests([request], registry);
      expect.unreachable('should have thrown');
    } catch (error) {
      expect(error).toBeInstanceOf(JobValidationError);
      expect((error as JobValidationError).code).toBe('job.invalid');
      expect((error as JobValidationError).issues.map((i) => i.field)).toContain(field);
    }
  });

  it('names fields by index in a batch and rejects the whole batch', () => {
    expect(() =>
      validateJobRequests(
        [
          { capability: 'noop', target: 'ok' },
          { capability: 'noop', target: '' },
        ],
        registry,
      ),
    ).toThrow(/jobs\[1\]\.target: must not be empty/);
  });
});

describe('Function: decodeJobMessage', () => {
  const message = {
    v: 1 as const,
    tenant: 'acme',
    key: '#job#t#noop',
    capability: 'noop',
    target: 't',
    attempt: 0,
    enqueuedAt: '2026-11-23T12:00:00.000Z',
    phase: 'JQ' as const,
  };

  it('round-trips a valid message', () => {
    expect(decodeJobMessage(encodeJobMessage(message))).toEqual({ ok: true, message });
  });

  it.each([
    [undefined, /empty/],
    ['', /empty/],
    ['{not json', /not JSON/],
    [JSON.stringify({ ...message, v: 2 }), /unsupported message version 2/],
    [JSON.stringify({ ...message, tenant: '../b' }), /tenant/],
    [JSON.stringify({ ...message, key: '#asset#x' }), /key/],
    [JSON.stringify({ ...message, secret: 'x' }), /secret|Unrecognized/],
    [JSON.stringify({ ...message, enqueuedAt: 'yesterday' }), /enqueuedAt/],
    ['[]', /body|expected object/],
  ])('refuses %j with a reason', (body, reason) => {
    const decoded = decodeJobMessage(body);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toMatch(reason);
  });
});

describe('Function: shardOf', () => {
  it('is deterministic and spreads keys over every shard', () => {
    const shards = new Set(Array.from({ length: 400 }, (_, i) => shardOf('t', `#job#${i}#noop`, 8)));
    expect(shards.size).toBe(8);
    expect(shardOf('t', '#job#a#noop', 8)).toBe(shardOf('t', '#job#a#noop', 8));
  });
});

describe('Function: validateJobRequests — hostile shapes (found by the fuzzer)', () => {
  const registry = builtinCapabilities();

  it('refuses input nested deeper than 32 levels instead of overflowing the stack', () => {
    let input: Record<string, unknown> = {};
    for (let i = 0; i < 20_000; i++) input = { a: input };
    expect(() => validateJobRequests([{ capability: 'noop', target: 't', input }], registry)).toThrow(
      /input: must nest at most 32 levels/,
    );
  });

  it('refuses a target with an unpaired surrogate', () => {
    expect(() => validateJobRequests([{ capability: 'noop', target: 'a\ud800b' }], registry)).toThrow(
      /target: must be well-formed Unicode/,
    );
    expect(validateJobRequests([{ capability: 'noop', target: 'a😀b' }], registry)[0]?.target).toBe('a😀b');
  });
});
