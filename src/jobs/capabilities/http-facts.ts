/**
 * What an HTTP response tells us, as pure functions: title, redirect target, missing security
 * headers, certificate facts and the risks they imply.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import type { Severity } from '../capability.js';

/** A problem found on a response, before it is attached to its asset. */
export interface Finding {
  readonly name: string;
  readonly severity: Severity;
  readonly evidence: Readonly<Record<string, unknown>>;
}

const ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
};

/** The page `<title>`, entities decoded and whitespace collapsed (≤ 200 characters). Pure. */
export function extractTitle(body: string): string | undefined {
  const match = /<title[^>]*>([\s\S]*?)<\/title\s*>/i.exec(body);
  if (!match?.[1]) return undefined;
  const title = match[1]
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
      if (entity.startsWith('#x') || entity.startsWith('#X'))
        return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
      if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
      return ENTITIES[entity.toLowerCase()] ?? whole;
    })
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
  return title || undefined;
}

/** One header's value as a string (first of a repeated one). */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The `Location` of a redirect (301, 302, 303, 307, 308), else undefined. Pure. */
export function redirectLocation(status: number, headers: IncomingHttpHeaders): string | undefined {
  return [301, 302, 303, 307, 308].includes(status) ? headerValue(headers, 'location') : undefined;
}

/** The security headers checked, their risk name and severity. HSTS counts on HTTPS only (browsers ignore it on HTTP). */
export const HEADER_CHECKS = [
  { header: 'strict-transport-security', risk: 'http-missing-hsts', severity: 'medium', httpsOnly: true },
  { header: 'content-security-policy', risk: 'http-missing-csp', severity: 'medium', httpsOnly: false },
  {
    header: 'x-content-type-options',
    risk: 'http-missing-x-content-type-options',
    severity: 'low',
    httpsOnly: false,
  },
  { header: 'x-frame-options', risk: 'http-missing-x-frame-options', severity: 'low', httpsOnly: false },
] as const satisfies readonly { header: string; risk: string; severity: Severity; httpsOnly: boolean }[];

/** Whether a present header actually does its job (`max-age=0` HSTS, `X-Content-Type-Options: foo` do not). */
function effective(header: string, value: string): boolean {
  if (header === 'strict-transport-security')
    return Number(/max-age\s*=\s*"?(\d+)/i.exec(value)?.[1] ?? 0) > 0;
  if (header === 'x-content-type-options') return value.trim().toLowerCase() === 'nosniff';
  return value.trim().length > 0;
}

/** A CSP `frame-ancestors` directive supersedes X-Frame-Options. */
function frameAncestors(headers: IncomingHttpHeaders): boolean {
  return /(^|;)\s*frame-ancestors\s/i.test(headerValue(headers, 'content-security-policy') ?? '');
}

/** Security headers missing (or ineffective) on a final response at `url`. Pure. */
export function headerFindings(url: URL, status: number, headers: IncomingHttpHeaders): Finding[] {
  const https = url.protocol === 'https:';
  return HEADER_CHECKS.flatMap((check) => {
    if (check.httpsOnly && !https) return [];
    const value = headerValue(headers, check.header);
    if (value === undefined && check.header === 'x-frame-options' && frameAncestors(headers)) return [];
    if (value !== undefined && effective(check.header, value)) return [];
    return [
      {
        name: check.risk,
        severity: check.severity,
        evidence: { url: url.href, status_code: status, header: check.header, observed: value ?? null },
      },
    ];
  });
}

/** TLS facts of a response, named like httpx's `tls` object. */
export interface TlsFacts {
  readonly tls_version: string | null;
  readonly cipher: string | null;
  readonly subject_cn: string | null;
  readonly subject_an: readonly string[];
  readonly issuer_cn: string | null;
  readonly issuer_org: string | null;
  readonly not_before: string | null;
  readonly not_after: string | null;
  readonly expires_in_days: number | null;
  readonly self_signed: boolean;
  readonly expired: boolean;
  readonly mismatched: boolean;
  readonly fingerprint_sha256: string | null;
  /** Chain, name and dates all check out. */
  readonly valid: boolean;
  /** Why not valid: OpenSSL's code (`DEPTH_ZERO_SELF_SIGNED_CERT`), `ERR_TLS_CERT_ALTNAME_INVALID`, … */
  readonly reason?: string;
}

/** Days within which a certificate counts as expiring soon. */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value) ?? null;
const isoOf = (text: string | undefined) => {
  const ms = text ? Date.parse(text) : Number.NaN;
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
};

/** What the handshake yielded: the peer certificate and Node's verdict on its chain. */
export interface Handshake {
  readonly protocol: string | null;
  readonly cipher: string | null;
  readonly cert: Pick<
    PeerCertificate,
    'subject' | 'issuer' | 'valid_from' | 'valid_to' | 'subjectaltname' | 'fingerprint256'
  >;
  /** Node's `authorizationError` code, when the chain did not verify. */
  readonly authorizationError?: string;
  readonly hostname: string;
}

/** Certificate facts from a handshake, judged at `now`. Pure. */
export function tlsFacts(handshake: Handshake, now: Date): TlsFacts {
  const { cert } = handshake;
  const notAfter = isoOf(cert.valid_to);
  const notBefore = isoOf(cert.valid_from);
  const expired = notAfter !== null && Date.parse(notAfter) <= now.getTime();
  const notYet = notBefore !== null && Date.parse(notBefore) > now.getTime();
  const mismatched = checkServerIdentity(handshake.hostname, cert as PeerCertificate) !== undefined;
  const selfSigned =
    JSON.stringify({ ...cert.subject }) === JSON.stringify({ ...cert.issuer }) ||
    handshake.authorizationError === 'DEPTH_ZERO_SELF_SIGNED_CERT';
  const reason =
    handshake.authorizationError ??
    (mismatched ? 'ERR_TLS_CERT_ALTNAME_INVALID' : undefined) ??
    (expired ? 'CERT_HAS_EXPIRED' : notYet ? 'CERT_NOT_YET_VALID' : undefined);
  return {
    tls_version: handshake.protocol,
    cipher: handshake.cipher,
    subject_cn: first(cert.subject?.CN),
    subject_an: (cert.subjectaltname ?? '')
      .split(',')
      .map((name) => name.trim().replace(/^(DNS|IP Address):/, ''))
      .filter(Boolean),
    issuer_cn: first(cert.issuer?.CN),
    issuer_org: first(cert.issuer?.O),
    not_before: notBefore,
    not_after: notAfter,
    // Whole days, toward zero: 10.9 days left is 10, expired 2.5 days ago is -2.
    expires_in_days:
      notAfter === null ? null : Math.trunc((Date.parse(notAfter) - now.getTime()) / DAY_MS) || 0,
    self_signed: selfSigned,
    expired,
    mismatched,
    fingerprint_sha256: cert.fingerprint256 ?? null,
    valid: reason === undefined,
    ...(reason ? { reason } : {}),
  };
}

const DATE_CODES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/** Expired (high), expiring within 30 days (medium), untrusted — self-signed, wrong name, bad chain (low). Pure. */
export function tlsFindings(url: URL, tls: TlsFacts): Finding[] {
  const cert = {
    url: url.href,
    subject_cn: tls.subject_cn,
    issuer_cn: tls.issuer_cn,
    not_after: tls.not_after,
    expires_in_days: tls.expires_in_days,
  };
  const findings: Finding[] = [];
  if (tls.expired) findings.push({ name: 'tls-certificate-expired', severity: 'high', evidence: cert });
  else if (tls.expires_in_days !== null && tls.expires_in_days < EXPIRY_WARNING_DAYS) {
    findings.push({ name: 'tls-certificate-expiring', severity: 'medium', evidence: cert });
  }
  const untrusted =
    tls.self_signed || tls.mismatched || (tls.reason !== undefined && !DATE_CODES.has(tls.reason));
  if (untrusted) {
    findings.push({
      name: 'tls-certificate-untrusted',
      severity: 'low',
      evidence: {
        ...cert,
        reason: tls.reason ?? null,
        self_signed: tls.self_signed,
        mismatched: tls.mismatched,
      },
    });
  }
  return findings;
}
