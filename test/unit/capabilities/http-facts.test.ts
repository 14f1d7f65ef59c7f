import { describe, expect, it } from 'vitest';
import {
  extractTitle,
  type Handshake,
  headerFindings,
  redirectLocation,
  tlsFacts,
  tlsFindings,
} from '../../../src/jobs/capabilities/http-facts.js';
import { classifyNetworkError } from '../../../src/jobs/capabilities/http-fetch.js';
import { httpProbe, speaksHttp, urlForPort } from '../../../src/jobs/capabilities/http-probe.js';

describe('Function: extractTitle', () => {
  it.each([
    ['<html><head><title>Hello</title></head>', 'Hello'],
    ['<TITLE lang="en">\n  Two\n  lines </TITLE>', 'Two lines'],
    ['<title>Tom &amp; Jerry &#39;s &#x41;&lt;</title>', "Tom & Jerry 's A<"],
    ['<title></title>', undefined],
    ['no title here', undefined],
  ])('%j → %j', (body, title) => {
    expect(extractTitle(body)).toBe(title);
  });

  it('bounds a huge title', () => {
    expect(extractTitle(`<title>${'x'.repeat(1000)}</title>`)?.length).toBe(200);
  });
});

describe('Function: redirectLocation', () => {
  it.each([
    [301, '/a', '/a'],
    [308, 'https://x/', 'https://x/'],
    [200, '/a', undefined],
    [302, undefined, undefined],
  ])('%d with location %s → %s', (status, location, expected) => {
    expect(redirectLocation(status, location ? { location } : {})).toBe(expected);
  });
});

describe('Function: headerFindings', () => {
  const https = new URL('https://example.com/');
  const http = new URL('http://example.com/');
  const names = (url: URL, headers: Record<string, string>) =>
    headerFindings(url, 200, headers)
      .map((f) => f.name)
      .sort();

  it.each([
    [
      'HTTPS, no headers',
      https,
      {},
      [
        'http-missing-csp',
        'http-missing-hsts',
        'http-missing-x-content-type-options',
        'http-missing-x-frame-options',
      ],
    ],
    [
      'HTTP, no headers: HSTS is not asked of plain HTTP',
      http,
      {},
      ['http-missing-csp', 'http-missing-x-content-type-options', 'http-missing-x-frame-options'],
    ],
    [
      'HTTPS, all present',
      https,
      {
        'strict-transport-security': 'max-age=31536000',
        'content-security-policy': "default-src 'self'",
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
      },
      [],
    ],
    [
      'HSTS with max-age=0 does not count',
      https,
      {
        'strict-transport-security': 'max-age=0',
        'content-security-policy': "frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
      },
      ['http-missing-hsts'],
    ],
    [
      'CSP frame-ancestors stands in for X-Frame-Options',
      http,
      {
        'content-security-policy': "default-src 'self'; frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
      },
      [],
    ],
    [
      'X-Content-Type-Options must say nosniff',
      http,
      { 'content-security-policy': "frame-ancestors 'self'", 'x-content-type-options': 'sniff' },
      ['http-missing-x-content-type-options'],
    ],
  ])('%s', (_name, url, headers, expected) => {
    expect(names(url, headers)).toEqual(expected);
  });

  it('carries evidence: url, status, header, what was observed', () => {
    const [finding] = headerFindings(http, 404, {
      'content-security-policy': "frame-ancestors 'none'",
      'x-content-type-options': 'bogus',
    });
    expect(finding).toEqual({
      name: 'http-missing-x-content-type-options',
      severity: 'low',
      evidence: {
        url: 'http://example.com/',
        status_code: 404,
        header: 'x-content-type-options',
        observed: 'bogus',
      },
    });
  });
});

const NOW = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;
const handshake = (
  overrides: Partial<Handshake> & { notAfter?: Date; notBefore?: Date; selfSigned?: boolean },
): Handshake => {
  const notBefore = overrides.notBefore ?? new Date(NOW.getTime() - 100 * DAY);
  const notAfter = overrides.notAfter ?? new Date(NOW.getTime() + 200 * DAY);
  const issuer = overrides.selfSigned ? { CN: 'example.com', O: 'Example' } : { CN: 'Good CA', O: 'CA Inc' };
  return {
    protocol: 'TLSv1.3',
    cipher: 'TLS_AES_128_GCM_SHA256',
    hostname: 'example.com',
    cert: {
      subject: { CN: 'example.com', O: 'Example' } as Handshake['cert']['subject'],
      issuer: issuer as Handshake['cert']['issuer'],
      valid_from: notBefore.toUTCString(),
      valid_to: notAfter.toUTCString(),
      subjectaltname: 'DNS:example.com, DNS:www.example.com',
      fingerprint256: 'AA:BB',
    },
    ...overrides,
  };
};

describe('Function: tlsFacts / tlsFindings', () => {
  const url = new URL('https://example.com/');
  it.each([
    ['a good certificate', handshake({}), true, undefined, []],
    [
      'expiring in 10 days',
      handshake({ notAfter: new Date(NOW.getTime() + 10 * DAY) }),
      true,
      undefined,
      ['tls-certificate-expiring'],
    ],
    [
      'expiring in 31 days is fine',
      handshake({ notAfter: new Date(NOW.getTime() + 31 * DAY) }),
      true,
      undefined,
      [],
    ],
    [
      'expired yesterday',
      handshake({ notAfter: new Date(NOW.getTime() - DAY), authorizationError: 'CERT_HAS_EXPIRED' }),
      false,
      'CERT_HAS_EXPIRED',
      ['tls-certificate-expired'],
    ],
    [
      'self-signed',
      handshake({ selfSigned: true, authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
      false,
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      ['tls-certificate-untrusted'],
    ],
    [
      'self-signed and expired',
      handshake({
        selfSigned: true,
        notAfter: new Date(NOW.getTime() - DAY),
        authorizationError: 'CERT_HAS_EXPIRED',
      }),
      false,
      'CERT_HAS_EXPIRED',
      ['tls-certificate-expired', 'tls-certificate-untrusted'],
    ],
    [
      'for another name',
      handshake({ hostname: 'other.org' }),
      false,
      'ERR_TLS_CERT_ALTNAME_INVALID',
      ['tls-certificate-untrusted'],
    ],
  ])('%s', (_name, shake, valid, reason, risks) => {
    const facts = tlsFacts(shake, NOW);
    expect(facts.valid).toBe(valid);
    expect(facts.reason).toBe(reason);
    expect(tlsFindings(url, facts).map((f) => f.name)).toEqual(risks);
  });

  it('reports the facts with httpx names and whole days to expiry', () => {
    const facts = tlsFacts(handshake({ notAfter: new Date(NOW.getTime() + 10 * DAY + 3_600_000) }), NOW);
    expect(facts).toMatchObject({
      tls_version: 'TLSv1.3',
      subject_cn: 'example.com',
      subject_an: ['example.com', 'www.example.com'],
      issuer_cn: 'Good CA',
      issuer_org: 'CA Inc',
      expires_in_days: 10,
      self_signed: false,
      expired: false,
      mismatched: false,
    });
  });

  it('grades expired high and expiring medium', () => {
    const expired = tlsFindings(url, tlsFacts(handshake({ notAfter: new Date(NOW.getTime() - DAY) }), NOW));
    const soon = tlsFindings(url, tlsFacts(handshake({ notAfter: new Date(NOW.getTime() + DAY) }), NOW));
    expect(expired[0]?.severity).toBe('high');
    expect(soon[0]?.severity).toBe('medium');
  });
});

describe('Function: classifyNetworkError', () => {
  const err = (code: string) => Object.assign(new Error('x'), { code });
  it.each([
    ['EPROTO', true, true],
    ['ERR_SSL_WRONG_VERSION_NUMBER', true, true],
    ['ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', true, false],
    ['ECONNREFUSED', true, false],
    ['ECONNRESET', false, false],
    ['ETIMEDOUT', false, false],
  ])('%s: permanent %s, plaintext %s', (code, permanent, plaintext) => {
    expect(classifyNetworkError(err(code))).toEqual({ code, permanent, plaintext });
  });

  it('names a timeout by its error name', () => {
    expect(classifyNetworkError(new DOMException('late', 'TimeoutError'))).toMatchObject({
      code: 'TimeoutError',
      permanent: false,
    });
  });
});

describe('Capability: http-probe cascade match', () => {
  it.each([
    [{ type: 'port', value: 'h:80', attributes: { port: 80 } }, true, 'http://h:80/'],
    [{ type: 'port', value: 'h:443', attributes: { port: 443 } }, true, 'https://h:443/'],
    [{ type: 'port', value: 'h:8443' }, true, 'https://h:8443/'],
    [
      { type: 'port', value: 'h:443', attributes: { port: 443, banner: 'HTTP/1.1 400 Bad Request' } },
      true,
      'http://h:443/',
    ],
    [
      { type: 'port', value: 'h:31337', attributes: { port: 31337, banner: 'HTTP/1.0 200 OK' } },
      true,
      'http://h:31337/',
    ],
    [
      { type: 'port', value: '[::1]:9000', attributes: { port: 9000, service: 'http' } },
      true,
      'http://[::1]:9000/',
    ],
    [{ type: 'port', value: 'h:22', attributes: { port: 22, banner: 'SSH-2.0-OpenSSH' } }, false, undefined],
    [{ type: 'host', value: 'h' }, false, undefined],
  ])('%j → %s', (asset, matches, url) => {
    expect(speaksHttp(asset)).toBe(matches);
    expect(httpProbe.match?.(asset)).toBe(matches);
    if (url) expect(urlForPort(asset)).toBe(url);
  });
});
