import { assertTenantId } from './context.js';
import { InvalidKeyError } from './errors.js';

/**
 * A well-formed key of another tenant: refused like any bad key (400), and audited by whoever
 * answers the caller (a cross-tenant attempt). `owner` is the key's first segment, caller-chosen.
 */
export class CrossTenantKeyError extends InvalidKeyError {
  readonly owner: string;

  constructor(owner: string) {
    super('files.crossTenant', 'key: not in this tenant');
    this.owner = owner;
  }
}

/** What an object is; the second segment of every key. */
export const FILE_KINDS = ['results', 'uploads', 'quarantine', 'evidence', 'reports'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

/** The buckets scanq has; each kind lives in one of them. */
export type BucketRole = 'results' | 'uploads' | 'quarantine';

/** Which bucket holds which kind: findings-derived files share the results bucket. */
export const FILE_BUCKET: Readonly<Record<FileKind, BucketRole>> = {
  results: 'results',
  evidence: 'results',
  reports: 'results',
  uploads: 'uploads',
  quarantine: 'quarantine',
};

/** Longest name (the part after the date) a caller may choose. */
export const MAX_FILE_NAME_LENGTH = 256;
/** S3's own limit on a whole key. */
const MAX_KEY_LENGTH = 1024;
/** Layers of percent-encoding we peel before refusing: nobody legitimately triple-encodes a name. */
const MAX_DECODE_ROUNDS = 3;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;
const ENCODED_OCTETS = /(?:%[0-9a-f]{2})+/gi;
const HAS_ENCODED_OCTET = /%[0-9a-f]{2}/i;
/** Encoded `.`, `/` and `\`: the only reason to encode them is to smuggle a path past a check. */
const ENCODED_PATH_CHARACTER = /%(?:2e|2f|5c)/i;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Characters that look like a path separator (`/` or `\`) without being one, refused in names: a
 * human reading a key (a console, a report) would see a path that is not there. NFKC already maps
 * the full-width forms; these survive it. The documented set:
 * U+2215 DIVISION SLASH, U+2044 FRACTION SLASH, U+FF0F FULLWIDTH SOLIDUS, U+29F8 BIG SOLIDUS,
 * U+2571 BOX DRAWINGS LIGHT DIAGONAL UPPER RIGHT TO LOWER LEFT, U+1735 PHILIPPINE SINGLE PUNCTUATION,
 * U+FF3C FULLWIDTH REVERSE SOLIDUS,
 * U+2216 SET MINUS, U+29F5 REVERSE SOLIDUS OPERATOR, U+29F9 BIG REVERSE SOLIDUS, U+FE68 SMALL REVERSE
 * SOLIDUS, U+2572 BOX DRAWINGS LIGHT DIAGONAL UPPER LEFT TO LOWER RIGHT, U+2024 ONE DOT LEADER,
 * U+2025 TWO DOT LEADER, U+FE52 SMALL FULL STOP, U+FF0E FULLWIDTH FULL STOP. Letters that merely
 * resemble a slash in some fonts (KATAKANA NO, CJK strokes) are kept: they are ordinary text.
 */
export const LOOKALIKE_SEPARATORS: readonly string[] = [
  '\u2215',
  '\u2044',
  '\uFF0F',
  '\u29F8',
  '\u2571',
  '\u1735',
  '\uFF3C',
  '\u2216',
  '\u29F5',
  '\u29F9',
  '\uFE68',
  '\u2572',
  '\u2024',
  '\u2025',
  '\uFE52',
  '\uFF0E',
];
const LOOKALIKE = new RegExp(`[${LOOKALIKE_SEPARATORS.join('')}]`, 'u');

/** Why a path is unsafe as it stands (no decoding), or undefined. */
function structuralProblem(path: string): string | undefined {
  if (CONTROL.test(path)) return 'must not contain control characters';
  if (path.includes('\\')) return 'must not contain backslashes';
  if (path.startsWith('/')) return 'must not start with /';
  const segments = path.split('/');
  if (segments.some((s) => s === '.' || s === '..')) return 'must not contain . or .. segments';
  if (segments.some((s) => s === '')) return 'must not contain empty segments (// or a trailing /)';
  return undefined;
}

/** Decodes runs of `%XX` as UTF-8; invalid UTF-8 (overlong `%c0%ae` and friends) is a problem. */
function decodeOnce(path: string): { decoded: string } | { problem: string } {
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  try {
    return {
      decoded: path.replace(ENCODED_OCTETS, (run) => utf8.decode(Buffer.from(run.replace(/%/g, ''), 'hex'))),
    };
  } catch {
    return { problem: 'must not contain invalid percent-encoded UTF-8' };
  }
}

/**
 * Why a path could escape its prefix, or undefined when it cannot. Checks the path as given, its
 * NFKC form (full-width `．．／` become `../`), and each percent-decoding of it, because whatever
 * consumes the key later (a proxy, a browser, a sync tool) may decode or normalize it. Pure.
 */
export function pathProblem(path: string): string | undefined {
  let current = path;
  for (let round = 0; ; round++) {
    const problem = structuralProblem(current) ?? structuralProblem(current.normalize('NFKC'));
    if (problem) return problem;
    if (ENCODED_PATH_CHARACTER.test(current)) return 'must not contain percent-encoded . / or \\';
    if (!HAS_ENCODED_OCTET.test(current)) return undefined;
    if (round === MAX_DECODE_ROUNDS)
      return `must not be percent-encoded more than ${MAX_DECODE_ROUNDS} times`;
    const next = decodeOnce(current);
    if ('problem' in next) return next.problem;
    current = next.decoded;
  }
}

/**
 * Validates a caller-chosen file name: 1-256 characters, sub-paths allowed (`job-123/result.json`),
 * no `.`/`..`/empty segments, no leading `/`, backslash or control character, and nothing that
 * becomes one of those once percent-decoded (`%2e%2e`, `%2f`, double encoding), and none of the
 * {@link LOOKALIKE_SEPARATORS}. Pure.
 * @throws InvalidKeyError `files.invalidName`.
 */
export function assertFileName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_FILE_NAME_LENGTH) {
    throw new InvalidKeyError('files.invalidName', `name: must be 1-${MAX_FILE_NAME_LENGTH} characters`);
  }
  const problem = pathProblem(name);
  if (problem) throw new InvalidKeyError('files.invalidName', `name: ${problem}`);
  if (LOOKALIKE.test(name.normalize('NFKC')) || LOOKALIKE.test(name)) {
    throw new InvalidKeyError(
      'files.invalidName',
      'name: must not contain characters that look like a path separator or dot (U+2215, U+2044, U+FF0F, U+29F8, …)',
    );
  }
  return name;
}

/** True for a known kind. */
export function isFileKind(kind: unknown): kind is FileKind {
  return typeof kind === 'string' && (FILE_KINDS as readonly string[]).includes(kind);
}

/** @throws InvalidKeyError `files.unknownKind`. */
export function assertFileKind(kind: unknown): FileKind {
  if (!isFileKind(kind)) {
    throw new InvalidKeyError('files.unknownKind', `kind: must be one of ${FILE_KINDS.join(', ')}`);
  }
  return kind;
}

/** The UTC day of `date` as `yyyy-mm-dd`. */
function day(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new InvalidKeyError('files.invalidDate', 'date: not a valid date');
  return date.toISOString().slice(0, 10);
}

/**
 * `{tenant}/{kind}/{yyyy-mm-dd}/{name}`, the date in UTC. Every part is validated. Pure.
 * @throws InvalidKeyError `tenant.invalidId`, `files.unknownKind`, `files.invalidName`, `files.invalidDate`.
 */
export function fileKey(tenant: string, kind: FileKind, name: string, date: Date): string {
  return `${assertTenantId(tenant)}/${assertFileKind(kind)}/${day(date)}/${assertFileName(name)}`;
}

/** A full key taken apart. */
export interface ParsedFileKey {
  readonly key: string;
  readonly tenant: string;
  readonly kind: FileKind;
  readonly day: string;
  readonly name: string;
}

/**
 * Accepts a full key only if it is one `fileKey` could have produced for `tenant`: structure first
 * (so `A/../B/…`, `/B/…`, `A%2f..%2fB/…` are refused as malformed), then the tenant segment, kind,
 * date and name. Pure.
 * @throws InvalidKeyError `files.invalidKey`, `files.crossTenant`, `files.unknownKind`, `files.invalidName`.
 */
export function parseFileKey(key: unknown, tenant: string): ParsedFileKey {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new InvalidKeyError('files.invalidKey', `key: must be 1-${MAX_KEY_LENGTH} characters`);
  }
  const problem = pathProblem(key);
  if (problem) throw new InvalidKeyError('files.invalidKey', `key: ${problem}`);
  const [owner, kind, date, ...rest] = key.split('/');
  if (owner !== tenant) throw new CrossTenantKeyError(owner ?? '');
  if (date === undefined || !DAY.test(date) || rest.length === 0) {
    throw new InvalidKeyError('files.invalidKey', 'key: must be {tenant}/{kind}/{yyyy-mm-dd}/{name}');
  }
  return { key, tenant, kind: assertFileKind(kind), day: date, name: assertFileName(rest.join('/')) };
}

/**
 * Validates a listing prefix below `{tenant}/{kind}/` (e.g. `2024-05-01/` or `2024-05-01/job-1`):
 * empty, or a safe path that may end with `/`. Pure.
 * @throws InvalidKeyError `files.invalidName`.
 */
export function assertListPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  assertFileName(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  return prefix;
}
