/**
 * The asset import file: a JSON list of items in DynamoDB-typed JSON, e.g.
 *
 * ```json
 * [{ "type": {"S": "host"}, "value": {"S": "a.example.com"},
 *    "attributes": {"M": {"owner": {"S": "web team"}, "ports": {"L": [{"N": "443"}]}}} }]
 * ```
 *
 * `type` and `value` are required; `attributes` is optional and holds only the attributes of
 * `IMPORT_ATTRIBUTES`, each of its declared type. Pure: bytes in, items or reasons out.
 */
import { isIP } from 'node:net';
import { normalizeTarget } from '../../keys.js';
import { findJsonSyntaxError } from './json-syntax.js';
import {
  checkFields,
  childPath,
  type Issue,
  Issues,
  isPlainObject,
  jsonType,
  type TypedSchema,
} from './typed.js';

/** Bounds of one import file. */
export interface ImportLimits {
  readonly maxBytes: number;
  readonly maxItems: number;
  readonly maxIssues: number;
}

/** The bounds `import` applies. */
export const IMPORT_LIMITS: ImportLimits = {
  /** Largest file read: 5 MiB. Larger files are quarantined unread. */
  maxBytes: 5 * 1024 * 1024,
  /** Most items in one file. */
  maxItems: 1_000,
  /** Most reasons kept in a report (the total is always counted). */
  maxIssues: 100,
};

/** Asset types a file may import. */
export const IMPORT_ASSET_TYPES = ['host', 'domain', 'ip', 'url'] as const;
export type ImportAssetType = (typeof IMPORT_ASSET_TYPES)[number];

/** The attributes an item may carry, and their types. Nothing else is accepted. */
export const IMPORT_ATTRIBUTES: Readonly<Record<string, TypedSchema>> = {
  owner: { type: 'S', maxLength: 256 },
  environment: { type: 'S', oneOf: ['production', 'staging', 'development', 'test'] },
  criticality: { type: 'N', integer: true, min: 1, max: 5 },
  internet_facing: { type: 'BOOL' },
  notes: { type: 'S', maxLength: 2_000 },
  tags: { type: 'L', items: { type: 'S', maxLength: 64 }, maxItems: 50 },
  ports: { type: 'L', items: { type: 'N', integer: true, min: 1, max: 65_535 }, maxItems: 100 },
  labels: { type: 'M', values: { type: 'S', maxLength: 256 }, maxKeys: 50, maxKeyLength: 64 },
  source: { type: 'M', fields: { system: { type: 'S', maxLength: 128 }, id: { type: 'S', maxLength: 256 } } },
};

/** The keys of one item. */
export const ITEM_FIELDS: Readonly<Record<string, TypedSchema>> = {
  type: { type: 'S', oneOf: IMPORT_ASSET_TYPES },
  value: { type: 'S', maxLength: 900 },
  attributes: { type: 'M', fields: IMPORT_ATTRIBUTES },
};
export const REQUIRED_ITEM_KEYS = ['type', 'value'] as const;

/** One valid item, in plain values, its `value` normalized (hosts lowercased, URLs canonical). */
export interface ImportItem {
  readonly index: number;
  readonly type: ImportAssetType;
  readonly value: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

export type ParsedImport =
  | { readonly ok: true; readonly items: ImportItem[] }
  | { readonly ok: false; readonly issues: Issue[]; readonly total: number };

/** The canonical value of an asset of `type`, or why it is not one. */
export function normalizeAssetValue(
  type: ImportAssetType,
  raw: string,
): { value: string } | { reason: string } {
  const checked = normalizeTarget(type === 'url' ? 'url' : 'host', raw);
  if (!checked.ok) return { reason: `${type}: ${checked.reason}` };
  const { value } = checked;
  if (type === 'ip' && isIP(value) === 0) return { reason: 'ip: must be an IPv4 or IPv6 address' };
  if (type === 'domain' && (isIP(value) !== 0 || /[:/]/.test(value)))
    return { reason: 'domain: must be a domain name (no address, port or CIDR)' };
  if (type === 'host' && value.includes('/'))
    return { reason: 'host: must be a host name or address, not a CIDR' };
  return { value };
}

function decode(bytes: Uint8Array, issues: Issues): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    issues.add({ code: 'invalidEncoding', message: 'the file is not UTF-8 text' });
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    const at = findJsonSyntaxError(text);
    const where = at
      ? `line ${at.line}, column ${at.column} (offset ${at.offset}): ${at.problem}`
      : 'not valid JSON';
    issues.add({ code: 'invalidJson', message: `invalid JSON at ${where}` });
    return undefined;
  }
}

function checkItem(raw: unknown, index: number, issues: Issues): ImportItem | undefined {
  const path = childPath('$', index);
  if (!isPlainObject(raw)) {
    issues.add({
      code: 'wrongType',
      path,
      message: `an item is an object of typed values, got ${jsonType(raw)}`,
    });
    return undefined;
  }
  const plain = checkFields(raw, ITEM_FIELDS, REQUIRED_ITEM_KEYS, path, issues);
  if (!plain) return undefined;
  const type = plain.type as ImportAssetType;
  const normalized = normalizeAssetValue(type, String(plain.value));
  if ('reason' in normalized) {
    issues.add({ code: 'invalidValue', path: `${path}.value.S`, message: normalized.reason });
    return undefined;
  }
  const attributes = (plain.attributes ?? {}) as Record<string, unknown>;
  return { index, type, value: normalized.value, attributes };
}

/** Items whose type and normalized value repeat an earlier item's. */
function checkRepeats(items: readonly ImportItem[], issues: Issues): void {
  const first = new Map<string, number>();
  for (const item of items) {
    const id = `${item.type}#${item.value}`;
    const earlier = first.get(id);
    if (earlier === undefined) first.set(id, item.index);
    else {
      issues.add({
        code: 'duplicate',
        path: childPath('$', item.index),
        message: `duplicates item $[${earlier}] (${item.type} ${item.value})`,
      });
    }
  }
}

/**
 * Validates an import file: size, UTF-8, JSON syntax (with line and column), a non-empty list
 * within the item limit, each item against the typed schema, and no item twice. Pure.
 */
export function parseImportFile(bytes: Uint8Array, limits: ImportLimits = IMPORT_LIMITS): ParsedImport {
  const issues = new Issues(limits.maxIssues);
  const fail = (): ParsedImport => ({ ok: false, issues: issues.list, total: issues.total });
  if (bytes.byteLength > limits.maxBytes) {
    issues.add({ code: 'oversized', message: oversizedMessage(bytes.byteLength, limits.maxBytes) });
    return fail();
  }
  // Said as it is: "invalid JSON at line 1, column 1" would send the user looking at their file.
  if (bytes.byteLength === 0) {
    issues.add({ code: 'empty', message: emptyMessage() });
    return fail();
  }
  const json = decode(bytes, issues);
  if (issues.total > 0) return fail();
  if (!Array.isArray(json)) {
    issues.add({
      code: 'notAList',
      path: '$',
      message: `the file must be a JSON list of items, got ${jsonType(json)}`,
    });
    return fail();
  }
  if (json.length === 0) issues.add({ code: 'noItems', path: '$', message: 'the list has no items' });
  if (json.length > limits.maxItems)
    issues.add({
      code: 'tooManyItems',
      path: '$',
      message: `${json.length} items; the limit is ${limits.maxItems}`,
    });
  if (issues.total > 0) return fail();
  const items = json.map((raw, i) => checkItem(raw, i, issues));
  const valid = items.filter((i): i is ImportItem => i !== undefined);
  checkRepeats(valid, issues);
  return issues.total > 0 ? fail() : { ok: true, items: valid };
}

/**
 * The reason of an empty file. `contentType` is what the upload stored: a form type means the body
 * was sent as a form (`curl --data-binary` without a content type), which the local S3 emulator
 * (moto) consumes as form fields and stores as 0 bytes.
 */
export function emptyMessage(contentType?: string): string {
  const form =
    contentType !== undefined &&
    /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(contentType);
  return form
    ? `the file is empty (0 bytes): it was uploaded as a form (content-type ${contentType}), so the body was not stored; upload it with curl --upload-file FILE URL (or send content-type: application/json)`
    : 'the file is empty (0 bytes): the upload sent no body; upload it with curl --upload-file FILE URL';
}

/** The reason of a file over the size limit (also used before it is read). */
export function oversizedMessage(bytes: number, maxBytes: number): string {
  return `the file is ${bytes} bytes; the limit is ${maxBytes} bytes`;
}
