/**
 * Recipes of JSON (and not quite JSON) text. A generated case keeps its body as a recipe, not as
 * text: a 300 KB string or a 100,000-level nesting is a few bytes until it is sent, so ten
 * thousand cases fit in memory, print readably, and hash to a digest that proves a replay.
 * Objects are lists of entries, so a recipe can hold keys a JS object cannot (`__proto__`) and
 * the same key twice. Pure.
 */
import { createHash } from 'node:crypto';

/** A JSON value as `JSON.parse` returns it. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** One `"key": value` of an object recipe; `rawKey` writes the key unquoted-as-is (escaped spellings). */
export interface Entry {
  readonly k: string;
  readonly v: Fragment;
  readonly rawKey?: true;
}

export type Fragment =
  /** A plain value, written with `JSON.stringify`. */
  | { readonly t: 'json'; readonly v: JsonValue }
  | { readonly t: 'obj'; readonly entries: readonly Entry[] }
  | { readonly t: 'arr'; readonly items: readonly Fragment[] }
  /** A string of `length` UTF-16 units made of `unit` repeated. */
  | { readonly t: 'huge'; readonly length: number; readonly unit: string }
  /** `depth` nested objects (`{"a":{"a":…}}`) or arrays (`[[…]]`) around a 1. */
  | { readonly t: 'deep'; readonly depth: number; readonly shape: 'object' | 'array' }
  /** `count` copies of `item`, `§N§` in each replaced by its index. */
  | { readonly t: 'many'; readonly count: number; readonly item: Fragment }
  /** Text written as is (broken JSON). */
  | { readonly t: 'raw'; readonly text: string };

/** Replaced by a per-case identifier when a case is rendered (unique asset values, targets). */
export const CASE_ID = '§ID§';
const ITEM_INDEX = '§N§';

export const json = (v: JsonValue): Fragment => ({ t: 'json', v });
export const raw = (text: string): Fragment => ({ t: 'raw', text });
export const arr = (items: readonly Fragment[]): Fragment => ({ t: 'arr', items });
export const entry = (k: string, v: Fragment): Entry => ({ k, v });

/** An object recipe from a record of recipes (ordinary keys only). */
export function obj(fields: Readonly<Record<string, Fragment>>): Fragment {
  return { t: 'obj', entries: Object.entries(fields).map(([k, v]) => ({ k, v })) };
}

/** An object recipe from a plain value's fields. */
export function objOf(value: Readonly<Record<string, JsonValue>>): Fragment {
  return obj(Object.fromEntries(Object.entries(value).map(([k, v]) => [k, json(v)])));
}

function deep(depth: number, shape: 'object' | 'array'): string {
  return shape === 'object'
    ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
    : `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

function huge(length: number, unit: string): string {
  if (unit.length === 0) return '';
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

/** The text of a recipe, `§ID§` replaced by `id`. */
export function render(fragment: Fragment, id = ''): string {
  return write(fragment).replaceAll(CASE_ID, id);
}

function write(f: Fragment): string {
  switch (f.t) {
    case 'json':
      return JSON.stringify(f.v) ?? 'null';
    case 'obj':
      return `{${f.entries.map((e) => `${e.rawKey ? e.k : JSON.stringify(e.k)}:${write(e.v)}`).join(',')}}`;
    case 'arr':
      return `[${f.items.map(write).join(',')}]`;
    case 'huge':
      return JSON.stringify(huge(f.length, f.unit));
    case 'deep':
      return deep(f.depth, f.shape);
    case 'many': {
      const item = write(f.item);
      return `[${Array.from({ length: f.count }, (_, i) => item.replaceAll(ITEM_INDEX, String(i))).join(',')}]`;
    }
    case 'raw':
      return f.text;
  }
}

/** Replaces (or adds, at the end) the entry `key` of an object recipe. */
export function withEntry(base: Fragment, key: string, value: Fragment): Fragment {
  if (base.t !== 'obj') return base;
  const found = base.entries.some((e) => e.k === key);
  const entries = found
    ? base.entries.map((e) => (e.k === key ? { k: key, v: value } : e))
    : [...base.entries, { k: key, v: value }];
  return { t: 'obj', entries };
}

/** Removes the entry `key` of an object recipe. */
export function withoutEntry(base: Fragment, key: string): Fragment {
  if (base.t !== 'obj') return base;
  return { t: 'obj', entries: base.entries.filter((e) => e.k !== key) };
}

/** Adds an entry at the end, even one whose key is already there. */
export function appendEntry(base: Fragment, added: Entry): Fragment {
  if (base.t !== 'obj') return base;
  return { t: 'obj', entries: [...base.entries, added] };
}

/** A plain object value as an object recipe (so entries can be added to it); others unchanged. */
export function toObj(f: Fragment): Fragment {
  return f.t === 'json' && isRecord(f.v) ? objOf(f.v) : f;
}

function isRecord(v: JsonValue): v is { readonly [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The entry `key` of an object recipe. */
export function entryOf(base: Fragment, key: string): Fragment | undefined {
  return base.t === 'obj' ? base.entries.find((e) => e.k === key)?.v : undefined;
}

/** A short printable description of a recipe: sizes instead of huge contents. */
export function preview(fragment: Fragment, max = 160): string {
  const short = (f: Fragment): string => {
    switch (f.t) {
      case 'huge':
        return `<${f.length} × ${JSON.stringify(f.unit)}>`;
      case 'deep':
        return `<${f.depth} nested ${f.shape}s>`;
      case 'many':
        return `[<${f.count} × ${short(f.item)}>]`;
      case 'obj':
        return `{${f.entries.map((e) => `${e.rawKey ? e.k : JSON.stringify(e.k)}:${short(e.v)}`).join(',')}}`;
      case 'arr':
        return `[${f.items.map(short).join(',')}]`;
      case 'raw':
        return `raw ${JSON.stringify(f.text.slice(0, 80))}`;
      case 'json':
        return JSON.stringify(f.v) ?? 'null';
    }
  };
  const text = short(fragment);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** SHA-256 (hex) of a case list: equal lists, equal digests. */
export function digestOf(cases: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(cases)).digest('hex');
}
