import { isIP } from 'node:net';

/** An IP address as a number, so ranges compare by arithmetic rather than by text. */
export interface ParsedAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

/** A CIDR block: `base` with its host bits cleared. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly base: bigint;
  readonly prefix: number;
}

const BITS = { 4: 32, 6: 128 } as const;

/** `[::1]` and `fe80::1%eth0` → `::1` and `fe80::1`: brackets and zone ids are not part of the address. */
export function bareAddress(text: string): string {
  const unbracketed = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = unbracketed.indexOf('%');
  return zone >= 0 ? unbracketed.slice(0, zone) : unbracketed;
}

function ipv4Value(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6Value(text: string): bigint {
  let expanded = text;
  const tail = text.slice(text.lastIndexOf(':') + 1);
  if (tail.includes('.')) {
    // A dotted IPv4 tail (`::ffff:1.2.3.4`) is two 16-bit groups.
    const v4 = ipv4Value(tail);
    expanded = `${text.slice(0, text.length - tail.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [left = '', right] = expanded.split('::');
  const head = left ? left.split(':') : [];
  const rest = right === undefined ? [] : right ? right.split(':') : [];
  const groups =
    right === undefined ? head : [...head, ...Array(8 - head.length - rest.length).fill('0'), ...rest];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

/** IPv6 prefixes that carry an IPv4 address in their last 32 bits: mapped (`::ffff:0:0/96`) and NAT64. */
const EMBEDS_IPV4: readonly { readonly base: bigint; readonly mask: bigint }[] = [
  { base: 0xffff_0000_0000n, mask: (1n << 128n) - (1n << 32n) },
  { base: 0x64_ff9b_0000_0000_0000_0000_0000_0000n, mask: (1n << 128n) - (1n << 32n) },
];

/**
 * Parses an IPv4 or IPv6 address (brackets and zone id allowed). An IPv6 address that embeds an
 * IPv4 one (`::ffff:169.254.169.254`, `64:ff9b::a9fe:a9fe`) is returned as that IPv4 address, so
 * the policy cannot be bypassed by spelling. Undefined when `text` is not an address. Pure.
 */
export function parseAddress(text: string): ParsedAddress | undefined {
  const bare = bareAddress(text);
  const family = isIP(bare);
  if (family === 4) return { family: 4, value: ipv4Value(bare) };
  if (family !== 6) return undefined;
  const value = ipv6Value(bare);
  const embedded = EMBEDS_IPV4.some((prefix) => (value & prefix.mask) === prefix.base);
  return embedded ? { family: 4, value: value & 0xffff_ffffn } : { family: 6, value };
}

function mask(family: 4 | 6, prefix: number): bigint {
  const bits = BigInt(BITS[family]);
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(prefix))) - 1n);
}

/**
 * Parses `address/prefix` (or a bare address, as a /32 or /128). A mapped IPv6 block narrower than
 * /96 becomes the IPv4 block it covers. Undefined when malformed. Pure.
 */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const addressText = slash >= 0 ? text.slice(0, slash) : text;
  const rawFamily = isIP(bareAddress(addressText));
  const address = parseAddress(addressText);
  if (!address || rawFamily === 0) return undefined;
  const prefixText = slash >= 0 ? text.slice(slash + 1) : String(BITS[rawFamily === 4 ? 4 : 6]);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  let prefix = Number(prefixText);
  if (prefix > BITS[rawFamily === 4 ? 4 : 6]) return undefined;
  if (rawFamily === 6 && address.family === 4) {
    if (prefix < 96) return undefined;
    prefix -= 96;
  }
  return { family: address.family, base: address.value & mask(address.family, prefix), prefix };
}

/** True when `address` lies in `cidr` (same family after unmapping). Pure. */
export function cidrContains(cidr: Cidr, address: ParsedAddress): boolean {
  return cidr.family === address.family && (address.value & mask(cidr.family, cidr.prefix)) === cidr.base;
}

/** Why an address may never be scanned (or `loopback`, allowed only in dev and tests). */
export type AddressClass =
  | 'metadata'
  | 'linkLocal'
  | 'loopback'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved';

function block(text: string): Cidr {
  const cidr = parseCidr(text);
  if (!cidr) throw new Error(`bad built-in block ${text}`);
  return cidr;
}

/**
 * Blocks a scan may not reach, most specific first (metadata before link-local, broadcast before
 * reserved). Cloud metadata: AWS/GCP/Azure/OCI `169.254.169.254`, AWS IPv6 `fd00:ec2::254`,
 * Alibaba `100.100.100.200`.
 */
export const FORBIDDEN_BLOCKS: readonly { readonly cidr: Cidr; readonly kind: AddressClass }[] = [
  { cidr: block('169.254.169.254/32'), kind: 'metadata' },
  { cidr: block('fd00:ec2::254/128'), kind: 'metadata' },
  { cidr: block('100.100.100.200/32'), kind: 'metadata' },
  { cidr: block('169.254.0.0/16'), kind: 'linkLocal' },
  { cidr: block('fe80::/10'), kind: 'linkLocal' },
  { cidr: block('127.0.0.0/8'), kind: 'loopback' },
  { cidr: block('::1/128'), kind: 'loopback' },
  { cidr: block('0.0.0.0/8'), kind: 'unspecified' },
  { cidr: block('::/128'), kind: 'unspecified' },
  { cidr: block('224.0.0.0/4'), kind: 'multicast' },
  { cidr: block('ff00::/8'), kind: 'multicast' },
  { cidr: block('255.255.255.255/32'), kind: 'broadcast' },
  { cidr: block('240.0.0.0/4'), kind: 'reserved' },
];

/** The forbidden class of an address, or undefined when it may be scanned (scopes permitting). Pure. */
export function classifyAddress(address: ParsedAddress): AddressClass | undefined {
  return FORBIDDEN_BLOCKS.find((entry) => cidrContains(entry.cidr, address))?.kind;
}

/** Canonical text of a parsed address (`127.0.0.1`, `::1`), for connecting and reporting. Pure. */
export function formatAddress(address: ParsedAddress): string {
  if (address.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((address.value >> shift) & 0xffn)).join('.');
  }
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => (address.value >> shift) & 0xffffn);
  // RFC 5952: the longest run (≥ 2) of zero groups becomes `::`.
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0n) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0n) j++;
    if (j - i > best.length && j - i >= 2) best = { start: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}
