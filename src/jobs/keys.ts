import { isIP } from 'node:net';

/** What a capability's target names; decides how it is normalized. */
export type TargetKind = 'host' | 'url' | 'account' | 'file' | 'any';

/** Longest target accepted, so `#job#{target}#{capability}` stays within 1024 characters. */
export const MAX_TARGET_LENGTH = 900;
export const MAX_KEY_LENGTH = 1024;
export const JOB_KEY_PREFIX = '#job#';

/** Result of a check: the normalized value, or why it was refused. */
export type Checked =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly reason: string };

const HOSTNAME =
  /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)*\.?$/;
const PORT = /^\d{1,5}$/;
/** Half of a UTF-16 surrogate pair on its own: not text, and DynamoDB refuses it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function normalizeHost(raw: string): Checked {
  let host = raw.toLowerCase();
  let port: string | undefined;
  const bracketed = /^\[([0-9a-f:.]+)\](?::(\d+))?$/.exec(host);
  if (bracketed?.[1]) {
    host = bracketed[1];
    port = bracketed[2];
  } else if (isIP(host) === 0 && host.includes(':')) {
    const at = host.lastIndexOf(':');
    port = host.slice(at + 1);
    host = host.slice(0, at);
  }
  if (port !== undefined && (!PORT.test(port) || Number(port) < 1 || Number(port) > 65_535)) {
    return { ok: false, reason: 'port must be 1-65535' };
  }
  const cidr = /^([0-9a-f:.]+)\/(\d{1,3})$/.exec(host);
  const bare = cidr?.[1] ?? host;
  const family = isIP(bare);
  if (cidr && (family === 0 || Number(cidr[2]) > (family === 4 ? 32 : 128))) {
    return { ok: false, reason: 'must be a valid CIDR' };
  }
  if (family === 0 && !HOSTNAME.test(host))
    return { ok: false, reason: 'must be a hostname, IP address or CIDR' };
  const hostPart = family === 6 && port !== undefined ? `[${host}]` : host.replace(/\.$/, '');
  return { ok: true, value: port === undefined ? hostPart : `${hostPart}:${port}` };
}

function normalizeUrl(raw: string): Checked {
  let url: URL;
  try {
    url = new URL(raw.includes('://') ? raw : `https://${raw}`);
  } catch {
    return { ok: false, reason: 'must be an http(s) URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, reason: 'must be an http(s) URL' };
  if (url.username || url.password) return { ok: false, reason: 'must not carry credentials' };
  // The fragment never reaches a server, and `#` separates key segments.
  url.hash = '';
  return { ok: true, value: url.toString() };
}

/**
 * Normalizes a target for its kind, so equal targets give equal job keys (the dedupe identity):
 * hosts lowercased, URLs canonical without fragment. Pure.
 */
export function normalizeTarget(kind: TargetKind, raw: unknown): Checked {
  if (typeof raw !== 'string') return { ok: false, reason: 'must be a string' };
  const target = raw.trim();
  if (target.length === 0) return { ok: false, reason: 'must not be empty' };
  if (target.length > MAX_TARGET_LENGTH)
    return { ok: false, reason: `must be at most ${MAX_TARGET_LENGTH} characters` };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
  if (/[\x00-\x1f\x7f\s]/.test(target))
    return { ok: false, reason: 'must not contain whitespace or control characters' };
  if (LONE_SURROGATE.test(target)) return { ok: false, reason: 'must be well-formed Unicode' };
  const checked =
    kind === 'host'
      ? normalizeHost(target)
      : kind === 'url'
        ? normalizeUrl(target)
        : { ok: true as const, value: target };
  if (checked.ok && checked.value.includes('#')) return { ok: false, reason: 'must not contain #' };
  if (checked.ok && checked.value.length > MAX_TARGET_LENGTH) {
    return { ok: false, reason: `must be at most ${MAX_TARGET_LENGTH} characters` };
  }
  return checked;
}

const CAPABILITY_NAME = /^[a-z][a-z0-9-]{0,47}$/;

export function isCapabilityName(name: unknown): name is string {
  return typeof name === 'string' && CAPABILITY_NAME.test(name);
}

/** `#job#{target}#{capability}`: deterministic, so the key is the dedupe identity. */
export function jobKey(target: string, capability: string): string {
  const key = `${JOB_KEY_PREFIX}${target}#${capability}`;
  if (key.length > MAX_KEY_LENGTH) throw new RangeError(`job key longer than ${MAX_KEY_LENGTH}`);
  return key;
}

/** Splits a job key back into target and capability (the capability is the last segment). */
export function parseJobKey(key: string): { target: string; capability: string } | undefined {
  if (!key.startsWith(JOB_KEY_PREFIX)) return undefined;
  const rest = key.slice(JOB_KEY_PREFIX.length);
  const at = rest.lastIndexOf('#');
  if (at <= 0) return undefined;
  const capability = rest.slice(at + 1);
  return isCapabilityName(capability) ? { target: rest.slice(0, at), capability } : undefined;
}
