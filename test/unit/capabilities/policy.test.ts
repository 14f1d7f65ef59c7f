import { describe, expect, it } from 'vitest';
import {
  hostOfTarget,
  type ResolvedAddress,
  type Resolver,
  resolveTarget,
  TargetPolicyError,
} from '../../../src/jobs/capabilities/policy.js';
import { PermanentError, TransientError } from '../../../src/jobs/index.js';

/** A resolver that answers from a table and counts lookups (no network). */
function fakeResolver(table: Record<string, readonly string[]>) {
  const asked: string[] = [];
  const resolve: Resolver = async (host) => {
    asked.push(host);
    const answer = table[host];
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return answer.map((address): ResolvedAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve, asked };
}

const DNS = {
  'metadata.evil.test': ['169.254.169.254'],
  'mapped.evil.test': ['::ffff:169.254.169.254'],
  'mixed.evil.test': ['93.184.216.34', '169.254.169.254'],
  'rebind.evil.test': ['127.0.0.1', 'fd00:ec2::254'],
  'www.example.com': ['93.184.216.34', '2001:db8::34'],
  'cdn.example.com': ['203.0.113.9'],
  'other.test': ['198.51.100.7'],
  'local.test': ['127.0.0.1'],
};

const open = { allowLoopback: false, allowedScopes: [] as string[] };

describe('Function: resolveTarget', () => {
  it.each([
    ['an IP literal of the metadata service', '169.254.169.254', open, 'policy.metadata'],
    ['the mapped IPv6 spelling of it', '::ffff:169.254.169.254', open, 'policy.metadata'],
    ['the bracketed mapped spelling', '[::ffff:a9fe:a9fe]', open, 'policy.metadata'],
    ['the AWS IPv6 metadata address', 'fd00:ec2::254', open, 'policy.metadata'],
    ['a name resolving to the metadata service', 'metadata.evil.test', open, 'policy.metadata'],
    ['a name resolving to its mapped form', 'mapped.evil.test', open, 'policy.metadata'],
    ['a name with one public and one metadata address', 'mixed.evil.test', open, 'policy.metadata'],
    [
      'a name mixing loopback and metadata, loopback allowed',
      'rebind.evil.test',
      { ...open, allowLoopback: true },
      'policy.metadata',
    ],
    ['link-local', '169.254.10.10', open, 'policy.linkLocal'],
    ['IPv6 link-local', 'fe80::1', open, 'policy.linkLocal'],
    ['loopback by default', '127.0.0.1', open, 'policy.loopback'],
    ['a name resolving to loopback', 'local.test', open, 'policy.loopback'],
    ['unspecified', '0.0.0.0', open, 'policy.unspecified'],
    ['multicast', '239.1.1.1', open, 'policy.multicast'],
    ['broadcast', '255.255.255.255', open, 'policy.broadcast'],
    ['a CIDR out of scope', '198.51.100.7', { ...open, allowedScopes: ['10.0.0.0/8'] }, 'policy.outOfScope'],
    [
      'a name out of every scope',
      'other.test',
      { ...open, allowedScopes: ['example.com', '10.0.0.0/8'] },
      'policy.outOfScope',
    ],
    [
      'loopback allowed yet outside the scopes',
      '127.0.0.1',
      { allowLoopback: true, allowedScopes: ['10.0.0.0/8'] },
      'policy.outOfScope',
    ],
    ['an unknown name', 'nowhere.test', open, 'policy.unresolvable'],
  ])('refuses %s', async (_name, host, scope, code) => {
    const dns = fakeResolver(DNS);
    const refusal = await resolveTarget(host, scope, { resolve: dns.resolve }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(TargetPolicyError);
    expect(refusal).toBeInstanceOf(PermanentError);
    expect((refusal as TargetPolicyError).code).toBe(code);
  });

  it.each([
    ['a public name, no scopes', 'www.example.com', open, '93.184.216.34'],
    [
      'a name in a domain scope (subdomain)',
      'WWW.Example.com.',
      { ...open, allowedScopes: ['example.com'] },
      '93.184.216.34',
    ],
    [
      'a name whose address is in a CIDR scope',
      'cdn.example.com',
      { ...open, allowedScopes: ['203.0.113.0/24'] },
      '203.0.113.9',
    ],
    [
      'the in-scope address of several',
      'www.example.com',
      { ...open, allowedScopes: ['2001:db8::/32'] },
      '2001:db8::34',
    ],
    ['loopback when allowed', 'local.test', { ...open, allowLoopback: true }, '127.0.0.1'],
    ['an IPv6 literal in brackets', '[2001:db8::34]', open, '2001:db8::34'],
  ])('allows %s and returns the address to connect to', async (_name, host, scope, address) => {
    const dns = fakeResolver(DNS);
    const resolved = await resolveTarget(host, scope, { resolve: dns.resolve });
    expect(resolved.address).toBe(address);
  });

  it('resolves a name exactly once and never resolves a literal', async () => {
    const dns = fakeResolver(DNS);
    await resolveTarget('www.example.com', open, { resolve: dns.resolve });
    await resolveTarget('93.184.216.34', open, { resolve: dns.resolve });
    expect(dns.asked).toEqual(['www.example.com']);
  });

  it('reports a failing resolver as transient (retry), not as a refusal', async () => {
    const failing: Resolver = async () => {
      throw Object.assign(new Error('temporary failure'), { code: 'EAI_AGAIN' });
    };
    const error = await resolveTarget('www.example.com', open, { resolve: failing }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).code).toBe('policy.dnsUnavailable');
  });

  it('does not resolve once the signal has aborted', async () => {
    const dns = fakeResolver(DNS);
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(
      resolveTarget('www.example.com', open, { resolve: dns.resolve, signal: controller.signal }),
    ).rejects.toThrow('stop');
    expect(dns.asked).toEqual([]);
  });
});

describe('Function: hostOfTarget', () => {
  it.each([
    ['url', 'https://WWW.example.com:8443/a?b', 'www.example.com'],
    ['url', 'http://[::1]:8080/', '::1'],
    ['host', 'example.com:22', 'example.com'],
    ['host', '[2001:db8::1]:22', '2001:db8::1'],
    ['host', '10.0.0.1', '10.0.0.1'],
    ['any', 'whatever', undefined],
    ['account', '123456789012', undefined],
  ] as const)('%s %s → %s', (kind, target, host) => {
    expect(hostOfTarget(kind, target)).toBe(host);
  });
});
