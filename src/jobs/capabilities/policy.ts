import { lookup } from 'node:dns/promises';
import type { TargetScope } from '../capability.js';
import { PermanentError, TransientError } from '../errors.js';
import type { TargetKind } from '../keys.js';
import {
  type AddressClass,
  bareAddress,
  cidrContains,
  classifyAddress,
  formatAddress,
  type ParsedAddress,
  parseAddress,
  parseCidr,
} from './address.js';
import { splitHostPort } from './ports.js';

/**
 * A target the policy refuses (DESIGN §4). Permanent: retrying cannot make it allowed. Codes:
 * `policy.metadata`, `policy.linkLocal`, `policy.loopback`, `policy.unspecified`,
 * `policy.multicast`, `policy.broadcast`, `policy.reserved`, `policy.outOfScope`,
 * `policy.unresolvable`, `policy.invalidTarget`.
 */
export class TargetPolicyError extends PermanentError {
  readonly host: string;

  constructor(code: string, host: string, message: string) {
    super(message, { code });
    this.host = host;
  }
}

/** One address a name resolves to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

/** Resolves a host name to all its addresses; injectable so tests can point a name anywhere. */
export type Resolver = (host: string) => Promise<readonly ResolvedAddress[]>;

/** The system resolver (`getaddrinfo`, so /etc/hosts counts), IPv4 first. */
export const systemResolver: Resolver = (host) => lookup(host, { all: true, order: 'ipv4first' });

/** What the policy allowed: connect to `address`, and present `host` (Host header, SNI). */
export interface ResolvedTarget {
  readonly host: string;
  readonly address: string;
  readonly family: 4 | 6;
  /** Every address the name resolved to (all of them passed the policy). */
  readonly addresses: readonly string[];
}

/** `Example.COM.` → `example.com`, `[::1]` → `::1`. Pure. */
export function normalizeHostName(host: string): string {
  return bareAddress(host.trim().toLowerCase()).replace(/\.$/, '');
}

/**
 * The host a target of `kind` connects to (`url` → its hostname, `host` → without the port), or
 * undefined for kinds that name no host (accounts, files, anything). Pure.
 */
export function hostOfTarget(kind: TargetKind, target: string): string | undefined {
  if (kind === 'url') {
    try {
      return normalizeHostName(new URL(target).hostname);
    } catch {
      return undefined;
    }
  }
  return kind === 'host' ? normalizeHostName(splitHostPort(target).host) : undefined;
}

/** True when `host` is `domain` or one of its subdomains. Pure. */
export function domainMatches(domain: string, host: string): boolean {
  const d = normalizeHostName(domain);
  return host === d || host.endsWith(`.${d}`);
}

/**
 * Whether a scope entry admits the target: a CIDR or address matches the address, a domain
 * matches the host name and its subdomains (never an IP literal). Pure.
 */
export function scopeMatches(scope: string, host: string, address: ParsedAddress): boolean {
  const cidr = parseCidr(scope.trim());
  if (cidr) return cidrContains(cidr, address);
  return parseAddress(host) === undefined && domainMatches(scope, host);
}

/** The policy verdict for one resolved address: the refusal code, or undefined when allowed. Pure. */
export function addressVerdict(
  host: string,
  address: ParsedAddress,
  scope: TargetScope,
): { code: string; kind: AddressClass | 'outOfScope' } | undefined {
  const kind = classifyAddress(address);
  if (kind && !(kind === 'loopback' && scope.allowLoopback)) return { code: `policy.${kind}`, kind };
  if (scope.allowedScopes.length > 0 && !scope.allowedScopes.some((s) => scopeMatches(s, host, address))) {
    return { code: 'policy.outOfScope', kind: 'outOfScope' };
  }
  return undefined;
}

const REASONS: Readonly<Record<AddressClass | 'outOfScope', string>> = {
  metadata: 'is a cloud metadata address',
  linkLocal: 'is link-local',
  loopback: 'is loopback (allowed only with SCANQ_ALLOW_LOOPBACK)',
  unspecified: 'is an unspecified address',
  multicast: 'is multicast',
  broadcast: 'is broadcast',
  reserved: 'is reserved',
  outOfScope: "is outside the tenant's allowed scopes",
};

const NOT_FOUND = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA']);

async function resolveOnce(host: string, resolve: Resolver, signal?: AbortSignal) {
  signal?.throwIfAborted();
  try {
    return await resolve(host);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && NOT_FOUND.has(code)) {
      throw new TargetPolicyError('policy.unresolvable', host, `target ${host} does not resolve`);
    }
    throw new TransientError(`resolving ${host} failed`, { cause: error, code: 'policy.dnsUnavailable' });
  }
}

/**
 * Checks a target host before any connection: resolves it once (an IP literal is not resolved),
 * refuses it when ANY address is forbidden (metadata, link-local, unspecified, multicast,
 * broadcast, reserved, loopback unless `scope.allowLoopback`) or when none is within
 * `scope.allowedScopes` (when that list is not empty), and returns the address to connect to —
 * the caller connects to it, never to the name again, so DNS cannot rebind in between.
 * @param options.resolve resolver; default the system's (`systemResolver`).
 * @throws TargetPolicyError (permanent) when refused; TransientError when DNS itself failed.
 */
export async function resolveTarget(
  rawHost: string,
  scope: TargetScope,
  options: { resolve?: Resolver; signal?: AbortSignal } = {},
): Promise<ResolvedTarget> {
  const host = normalizeHostName(rawHost);
  if (!host) throw new TargetPolicyError('policy.invalidTarget', rawHost, 'target has no host');
  const literal = parseAddress(host);
  const found = literal
    ? [literal]
    : (await resolveOnce(host, options.resolve ?? systemResolver, options.signal)).map((r) =>
        parseAddress(r.address),
      );
  const addresses = found.filter((a): a is ParsedAddress => a !== undefined);
  if (addresses.length === 0 || addresses.length !== found.length) {
    throw new TargetPolicyError('policy.unresolvable', host, `target ${host} resolves to no usable address`);
  }
  const verdicts = addresses.map((address) => ({ address, verdict: addressVerdict(host, address, scope) }));
  // A forbidden address anywhere in the answer refuses the name: it is pointed somewhere it must not go.
  const forbidden = verdicts.find((v) => v.verdict && v.verdict.kind !== 'outOfScope');
  const allowed = verdicts.find((v) => !v.verdict);
  const refusal = forbidden ?? (allowed ? undefined : verdicts[0]);
  if (refusal?.verdict) {
    const shown = formatAddress(refusal.address);
    throw new TargetPolicyError(
      refusal.verdict.code,
      host,
      `target ${host}${shown === host ? '' : ` (${shown})`} ${REASONS[refusal.verdict.kind]}`,
    );
  }
  if (!allowed) throw new TargetPolicyError('policy.unresolvable', host, `target ${host} has no address`);
  return {
    host,
    address: formatAddress(allowed.address),
    family: allowed.address.family,
    addresses: addresses.map(formatAddress),
  };
}
