/**
 * DynamoDB-typed JSON (`{"S": "…"}`, `{"N": "42"}`, `{"BOOL": true}`, `{"L": […]}`, `{"M": {…}}`)
 * checked against a schema, recursively, and turned into plain values. Pure.
 */

/** What a value must be. `M` has fixed `fields` (others refused) or free keys whose `values` share a schema. */
export type TypedSchema =
  | { readonly type: 'S'; readonly maxLength?: number; readonly oneOf?: readonly string[] }
  | { readonly type: 'N'; readonly integer?: boolean; readonly min?: number; readonly max?: number }
  | { readonly type: 'BOOL' }
  | { readonly type: 'L'; readonly items: TypedSchema; readonly maxItems?: number }
  | { readonly type: 'M'; readonly fields: Readonly<Record<string, TypedSchema>> }
  | {
      readonly type: 'M';
      readonly values: TypedSchema;
      readonly maxKeys?: number;
      readonly maxKeyLength?: number;
    };

/** Why a file was refused. Each reason names one place in the file. */
export type IssueCode =
  | 'invalidEncoding'
  | 'invalidJson'
  | 'empty'
  | 'oversized'
  | 'notAList'
  | 'noItems'
  | 'tooManyItems'
  | 'missingKey'
  | 'extraAttribute'
  | 'wrongType'
  | 'invalidValue'
  | 'duplicate';

/** One reason, with the JSON path it is about (`$[3].attributes.M.tags.L[1]`) when there is one. */
export interface Issue {
  readonly code: IssueCode;
  readonly message: string;
  readonly path?: string;
}

/** Collects issues up to a bound, counting the rest (a broken 5 MB file has no use for a million reasons). */
export class Issues {
  readonly list: Issue[] = [];
  total = 0;
  constructor(readonly max: number) {}

  add(issue: Issue): void {
    this.total++;
    if (this.list.length < this.max) this.list.push(issue);
  }
}

const TYPE_TAGS = new Set(['S', 'N', 'B', 'BOOL', 'NULL', 'L', 'M', 'SS', 'NS', 'BS']);
const NUMBER_TEXT = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

/** `$[1]` + `tags` → `$[1].tags`; odd or long keys are quoted and cut. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key.slice(0, 64))}]`;
}

/** `string`, `number`, `array`, `null`, `object`, `boolean`: how JSON calls what it got. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks the `{"<tag>": payload}` wrapper; returns the payload when the tag is the expected one. */
function unwrap(raw: unknown, expected: TypedSchema['type'], path: string, issues: Issues) {
  if (!isPlainObject(raw)) {
    issues.add({ code: 'wrongType', path, message: `expected {"${expected}": …}, got ${jsonType(raw)}` });
    return { ok: false as const };
  }
  const tags = Object.keys(raw);
  const tag = tags[0];
  if (tags.length !== 1 || tag === undefined) {
    const got = tags.length === 0 ? 'none' : tags.slice(0, 5).join(', ');
    issues.add({ code: 'wrongType', path, message: `a typed value has exactly one type key, got ${got}` });
    return { ok: false as const };
  }
  if (tag !== expected) {
    const what = TYPE_TAGS.has(tag) ? tag : `unknown type ${JSON.stringify(tag.slice(0, 16))}`;
    issues.add({ code: 'wrongType', path, message: `expected ${expected}, got ${what}` });
    return { ok: false as const };
  }
  return { ok: true as const, payload: raw[tag], path: childPath(path, tag) };
}

/**
 * Checks one typed value against `schema` and returns its plain form (`{"N": "42"}` → 42),
 * or undefined after adding at least one issue.
 */
export function checkTyped(raw: unknown, schema: TypedSchema, path: string, issues: Issues): unknown {
  const inner = unwrap(raw, schema.type, path, issues);
  if (!inner.ok) return undefined;
  const { payload } = inner;
  switch (schema.type) {
    case 'S':
      return checkString(payload, schema, inner.path, issues);
    case 'N':
      return checkNumber(payload, schema, inner.path, issues);
    case 'BOOL':
      if (typeof payload === 'boolean') return payload;
      issues.add({
        code: 'wrongType',
        path: inner.path,
        message: `BOOL holds true or false, got ${jsonType(payload)}`,
      });
      return undefined;
    case 'L':
      return checkList(payload, schema, inner.path, issues);
    case 'M':
      return checkMap(payload, schema, inner.path, issues);
  }
}

function checkString(
  payload: unknown,
  schema: Extract<TypedSchema, { type: 'S' }>,
  path: string,
  issues: Issues,
): string | undefined {
  if (typeof payload !== 'string') {
    issues.add({ code: 'wrongType', path, message: `S holds a string, got ${jsonType(payload)}` });
    return undefined;
  }
  if (schema.maxLength !== undefined && payload.length > schema.maxLength) {
    issues.add({ code: 'invalidValue', path, message: `longer than ${schema.maxLength} characters` });
    return undefined;
  }
  if (schema.oneOf && !schema.oneOf.includes(payload)) {
    issues.add({ code: 'invalidValue', path, message: `must be one of ${schema.oneOf.join(', ')}` });
    return undefined;
  }
  return payload;
}

function checkNumber(
  payload: unknown,
  schema: Extract<TypedSchema, { type: 'N' }>,
  path: string,
  issues: Issues,
): number | undefined {
  if (typeof payload !== 'string' || !NUMBER_TEXT.test(payload)) {
    const got = typeof payload === 'string' ? 'a string that is not a number' : jsonType(payload);
    issues.add({ code: 'wrongType', path, message: `N holds a number written as a string, got ${got}` });
    return undefined;
  }
  const n = Number(payload);
  const bad =
    !Number.isFinite(n) || (Number.isInteger(n) && !Number.isSafeInteger(n))
      ? 'cannot be stored exactly'
      : schema.integer && !Number.isInteger(n)
        ? 'must be a whole number'
        : (schema.min !== undefined && n < schema.min) || (schema.max !== undefined && n > schema.max)
          ? `must be between ${schema.min ?? '-∞'} and ${schema.max ?? '∞'}`
          : undefined;
  if (bad) {
    issues.add({ code: 'invalidValue', path, message: bad });
    return undefined;
  }
  return n;
}

function checkList(
  payload: unknown,
  schema: Extract<TypedSchema, { type: 'L' }>,
  path: string,
  issues: Issues,
): unknown[] | undefined {
  if (!Array.isArray(payload)) {
    issues.add({ code: 'wrongType', path, message: `L holds a list, got ${jsonType(payload)}` });
    return undefined;
  }
  if (schema.maxItems !== undefined && payload.length > schema.maxItems) {
    issues.add({ code: 'invalidValue', path, message: `more than ${schema.maxItems} entries` });
    return undefined;
  }
  const before = issues.total;
  const values = payload.map((entry, i) => checkTyped(entry, schema.items, childPath(path, i), issues));
  return issues.total === before ? values : undefined;
}

function checkMap(
  payload: unknown,
  schema: Extract<TypedSchema, { type: 'M' }>,
  path: string,
  issues: Issues,
): Record<string, unknown> | undefined {
  if (!isPlainObject(payload)) {
    issues.add({ code: 'wrongType', path, message: `M holds an object, got ${jsonType(payload)}` });
    return undefined;
  }
  return 'fields' in schema
    ? checkFields(payload, schema.fields, [], path, issues)
    : checkFreeMap(payload, schema, path, issues);
}

function checkFreeMap(
  payload: Record<string, unknown>,
  schema: Extract<TypedSchema, { values: TypedSchema }>,
  path: string,
  issues: Issues,
): Record<string, unknown> | undefined {
  const keys = Object.keys(payload);
  if (schema.maxKeys !== undefined && keys.length > schema.maxKeys) {
    issues.add({ code: 'invalidValue', path, message: `more than ${schema.maxKeys} keys` });
    return undefined;
  }
  const maxKeyLength = schema.maxKeyLength ?? 128;
  const before = issues.total;
  // Entries, not assignment: a `__proto__` key stays a key instead of becoming a prototype.
  const out: [string, unknown][] = [];
  for (const key of keys) {
    const at = childPath(path, key);
    if (key.length === 0 || key.length > maxKeyLength) {
      issues.add({ code: 'invalidValue', path: at, message: `keys are 1-${maxKeyLength} characters` });
      continue;
    }
    out.push([key, checkTyped(payload[key], schema.values, at, issues)]);
  }
  return issues.total === before ? Object.fromEntries(out) : undefined;
}

/**
 * Checks an object of named typed values: every `required` key present, no key outside `fields`,
 * each value against its schema. Used for `M` values and for the items themselves.
 */
export function checkFields(
  payload: Record<string, unknown>,
  fields: Readonly<Record<string, TypedSchema>>,
  required: readonly string[],
  path: string,
  issues: Issues,
): Record<string, unknown> | undefined {
  const before = issues.total;
  for (const key of required) {
    if (!Object.hasOwn(payload, key)) {
      issues.add({
        code: 'missingKey',
        path: childPath(path, key),
        message: `missing required key "${key}"`,
      });
    }
  }
  const out: [string, unknown][] = [];
  for (const [key, raw] of Object.entries(payload)) {
    const schema = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (!schema) {
      issues.add({
        code: 'extraAttribute',
        path: childPath(path, key),
        message: `"${key.slice(0, 64)}" is not allowed here (allowed: ${Object.keys(fields).join(', ')})`,
      });
      continue;
    }
    out.push([key, checkTyped(raw, schema, childPath(path, key), issues)]);
  }
  return issues.total === before ? Object.fromEntries(out) : undefined;
}
