import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PORTS,
  joinHostPort,
  parsePortSpec,
  splitHostPort,
} from '../../../src/jobs/capabilities/ports.js';
import { portscan, portsOf, worstCaseMs } from '../../../src/jobs/capabilities/portscan.js';
import { cleanBanner, guessService } from '../../../src/jobs/capabilities/tcp-probe.js';
import { builtinCapabilities, validateJobRequests } from '../../../src/jobs/index.js';

describe('Function: parsePortSpec', () => {
  it.each([
    ['80', [80]],
    ['22,80,443', [22, 80, 443]],
    ['8000-8003', [8000, 8001, 8002, 8003]],
    ['443, 80-81,80', [80, 81, 443]],
    ['65535', [65535]],
  ])('%s → %j', (spec, ports) => {
    expect(parsePortSpec(spec)).toEqual({ ports });
  });

  it.each(['0', '65536', '100-50', 'http', '1-', '', '80;443'])('%s is refused with a reason', (spec) => {
    expect(parsePortSpec(spec)).toHaveProperty('error');
  });

  it('expands the whole port range', () => {
    const parsed = parsePortSpec('1-65535');
    expect('ports' in parsed && parsed.ports.length).toBe(65_535);
  });
});

describe('Function: splitHostPort / joinHostPort', () => {
  it.each([
    ['example.com', { host: 'example.com' }],
    ['example.com:8080', { host: 'example.com', port: 8080 }],
    ['10.0.0.1:22', { host: '10.0.0.1', port: 22 }],
    ['[::1]:22', { host: '::1', port: 22 }],
    ['[::1]', { host: '::1' }],
    ['2001:db8::1', { host: '2001:db8::1' }],
  ])('%s → %j', (target, split) => {
    expect(splitHostPort(target)).toEqual(split);
  });

  it('brackets IPv6 hosts', () => {
    expect(joinHostPort('::1', 80)).toBe('[::1]:80');
    expect(joinHostPort('example.com', 80)).toBe('example.com:80');
  });
});

describe('Function: portsOf', () => {
  it.each([
    [{ ports: [443, 80] }, undefined, [80, 443]],
    [{ range: '20-22' }, undefined, [20, 21, 22]],
    [{ ports: [22], range: '21-22' }, undefined, [21, 22]],
    [{}, 8080, [8080]],
    [{ ports: [22] }, 8080, [22]],
  ])('%j with target port %s → %j', (input, targetPort, ports) => {
    expect(portsOf(input, targetPort)).toEqual(ports);
  });

  it('falls back to the default list', () => {
    expect(portsOf({})).toEqual([...DEFAULT_PORTS]);
  });
});

describe('Capability: portscan input schema', () => {
  const registry = builtinCapabilities();
  const check = (input: Record<string, unknown>) =>
    validateJobRequests([{ capability: 'portscan', target: 'example.com', input }], registry);

  it('applies the defaults', () => {
    const [job] = check({ ports: [80] });
    expect(job?.input).toEqual({
      ports: [80],
      concurrency: 100,
      timeoutMs: 1000,
      bannerMs: 500,
      probeHttp: true,
    });
  });

  it.each([
    [{ range: '1-70000' }, 'input.range'],
    [{ ports: [0] }, 'input.ports.0'],
    [{ concurrency: 5000 }, 'input.concurrency'],
    [{ timeoutMs: 10 }, 'input.timeoutMs'],
    [{ bannerMs: 60_000 }, 'input.bannerMs'],
    [{ unknown: true }, 'input'],
    [{ range: '1-65535' }, 'input'],
  ])('%j is refused naming %s', (input, field) => {
    expect(() => check(input)).toThrow(
      expect.objectContaining({ issues: expect.arrayContaining([expect.objectContaining({ field })]) }),
    );
  });

  it('accepts the full range when it fits the time limit', () => {
    const [job] = check({ range: '1-65535', concurrency: 1000, timeoutMs: 500, bannerMs: 300 });
    expect(job?.capability).toBe('portscan');
  });

  it('estimates the worst case from batches of concurrency', () => {
    expect(worstCaseMs({ concurrency: 10, timeoutMs: 1000, bannerMs: 500, probeHttp: true }, 25)).toBe(
      3 * 2000,
    );
  });

  it.each([
    [{ type: 'host', value: 'example.com' }, true],
    [{ type: 'ip', value: '10.0.0.1' }, true],
    [{ type: 'port', value: 'example.com:80' }, false],
    [{ type: 'url', value: 'https://example.com/' }, false],
  ])('match(%j) = %s', (asset, expected) => {
    expect(portscan.match?.(asset)).toBe(expected);
  });
});

describe('Function: cleanBanner / guessService', () => {
  it('drops control characters, trims and bounds', () => {
    expect(cleanBanner(Buffer.from('\u0000SSH-2.0-OpenSSH_9.6\r\n'))).toBe('SSH-2.0-OpenSSH_9.6');
    expect(cleanBanner(Buffer.alloc(5000, 'a')).length).toBe(256);
  });

  it.each([
    ['HTTP/1.1 200 OK\r\nServer: x', 'http'],
    ['SSH-2.0-OpenSSH_9.6', 'ssh'],
    ['220 mail.example.com ESMTP Postfix', 'smtp'],
    ['220 (vsFTPd 3.0.5)', 'ftp'],
    ['+OK POP3 ready', 'pop3'],
    ['* OK IMAP4rev1', 'imap'],
    ['-NOAUTH Authentication required.', 'redis'],
    ['hello', undefined],
  ])('%s → %s', (banner, service) => {
    expect(guessService(banner)).toBe(service);
  });
});
