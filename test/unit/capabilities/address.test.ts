import { describe, expect, it } from 'vitest';
import {
  cidrContains,
  classifyAddress,
  formatAddress,
  parseAddress,
  parseCidr,
} from '../../../src/jobs/capabilities/address.js';
import { addressVerdict, domainMatches, scopeMatches } from '../../../src/jobs/capabilities/policy.js';

const addr = (text: string) => {
  const parsed = parseAddress(text);
  if (!parsed) throw new Error(`test address ${text} does not parse`);
  return parsed;
};

describe('Function: parseAddress / formatAddress', () => {
  it.each([
    ['127.0.0.1', 4, '127.0.0.1'],
    ['::1', 6, '::1'],
    ['[::1]', 6, '::1'],
    ['fe80::1%eth0', 6, 'fe80::1'],
    ['2001:db8:0:0:1:0:0:1', 6, '2001:db8::1:0:0:1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', 6, '2001:db8::1'],
    ['::ffff:169.254.169.254', 4, '169.254.169.254'],
    ['::ffff:a9fe:a9fe', 4, '169.254.169.254'],
    ['64:ff9b::a9fe:a9fe', 4, '169.254.169.254'],
    ['::ffff:127.0.0.1', 4, '127.0.0.1'],
    ['fd00:ec2::254', 6, 'fd00:ec2::254'],
    ['::', 6, '::'],
  ])('%s → IPv%d %s', (text, family, shown) => {
    const parsed = addr(text);
    expect(parsed.family).toBe(family);
    expect(formatAddress(parsed)).toBe(shown);
  });

  it.each(['example.com', '999.1.1.1', '1.2.3', '', '::g', '10.0.0.0/8'])('%s is not an address', (text) => {
    expect(parseAddress(text)).toBeUndefined();
  });
});

describe('Function: parseCidr / cidrContains', () => {
  it.each([
    ['10.0.0.0/8', '10.255.1.2', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['10.1.2.3/8', '10.9.9.9', true],
    ['192.168.1.7', '192.168.1.7', true],
    ['192.168.1.7', '192.168.1.8', false],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['0.0.0.0/0', '2001:db8::1', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['::/0', '2001:db8::1', true],
    ['169.254.0.0/16', '::ffff:169.254.1.1', true],
    ['::ffff:10.0.0.0/104', '10.1.1.1', true],
    ['::ffff:10.0.0.0/104', '11.1.1.1', false],
  ])('%s contains %s: %s', (cidr, address, expected) => {
    const block = parseCidr(cidr);
    expect(block).toBeDefined();
    expect(block && cidrContains(block, addr(address))).toBe(expected);
  });

  it.each(['10.0.0.0/33', '::/129', 'example.com/8', '10.0.0.0/x', '::ffff:0:0/95'])(
    '%s is refused',
    (cidr) => {
      expect(parseCidr(cidr)).toBeUndefined();
    },
  );
});

describe('Function: classifyAddress', () => {
  it.each([
    ['169.254.169.254', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['169.254.170.2', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['febf::1', 'linkLocal'],
    ['127.0.0.1', 'loopback'],
    ['127.9.9.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['10.0.0.1', undefined],
    ['192.168.1.1', undefined],
    ['8.8.8.8', undefined],
    ['fd00:ec2::253', undefined],
    ['fec0::1', undefined],
    ['2001:db8::1', undefined],
  ])('%s → %s', (text, expected) => {
    expect(classifyAddress(addr(text))).toBe(expected);
  });
});

describe('Function: scopeMatches / domainMatches', () => {
  it.each([
    ['example.com', 'example.com', '93.184.216.34', true],
    ['example.com', 'www.example.com', '93.184.216.34', true],
    ['example.com', 'badexample.com', '93.184.216.34', false],
    ['example.com', 'example.com.evil.net', '1.2.3.4', false],
    ['example.com', '93.184.216.34', '93.184.216.34', false],
    ['93.184.216.0/24', 'www.example.com', '93.184.216.34', true],
    ['93.184.216.0/24', 'www.example.com', '93.184.217.34', false],
    ['10.0.0.0/8', '::ffff:10.1.1.1', '::ffff:10.1.1.1', true],
    ['2001:db8::/32', 'v6.example.com', '2001:db8::5', true],
  ])('scope %s admits %s (%s): %s', (scope, host, address, expected) => {
    expect(scopeMatches(scope, host, addr(address))).toBe(expected);
  });

  it('matches a domain with a trailing dot or upper case in the scope', () => {
    expect(domainMatches('Example.COM.', 'a.example.com')).toBe(true);
  });
});

describe('Function: addressVerdict', () => {
  const open = { allowLoopback: false, allowedScopes: [] };
  it.each([
    [
      'metadata even when in scope',
      '169.254.169.254',
      { ...open, allowedScopes: ['169.254.0.0/16'] },
      'policy.metadata',
    ],
    ['loopback refused by default', '127.0.0.1', open, 'policy.loopback'],
    ['loopback allowed when configured', '127.0.0.1', { ...open, allowLoopback: true }, undefined],
    [
      'loopback allowed but out of scope',
      '127.0.0.1',
      { allowLoopback: true, allowedScopes: ['10.0.0.0/8'] },
      'policy.outOfScope',
    ],
    ['in a CIDR scope', '10.2.3.4', { ...open, allowedScopes: ['10.0.0.0/8'] }, undefined],
    ['public with no scopes', '8.8.8.8', open, undefined],
  ])('%s', (_name, address, scope, code) => {
    expect(addressVerdict(address, addr(address), scope)?.code).toBe(code);
  });
});
