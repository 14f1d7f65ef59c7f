/** Arbitraries of awkward values every generator shares. Pure. */
import fc from 'fast-check';
import type { JsonValue } from './fragment.js';

/** The JSON kinds a field can have. */
export type Kind = 'string' | 'number' | 'boolean' | 'array' | 'object';

/** A JSON value of any kind but `kind` (null included). */
export function otherThan(kind: Kind): fc.Arbitrary<JsonValue> {
  const all: Record<Kind, fc.Arbitrary<JsonValue>> = {
    string: fc.string({ maxLength: 20 }),
    number: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
    boolean: fc.boolean(),
    array: fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxLength: 3 }),
    object: fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
  };
  const others = Object.entries(all).flatMap(([k, arb]) => (k === kind ? [] : [arb]));
  return fc.oneof(fc.constant(null), ...others);
}

/** Characters that break naive code: controls, direction marks, BOM, separators, lone surrogates. */
export const AWKWARD_CHARS = [
  '\u0000',
  '\u0001',
  '\u0008',
  '\u001b',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u200b',
  '\u202e',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ufffd',
  '\uffff',
  '\ud800',
  '\udfff',
  '😀',
  'é',
  '\u0301',
  '#',
  '/',
  '..',
  '%00',
  '\\',
  '"',
] as const;

/** Strings of any Unicode, including lone surrogates and control characters. */
export function unicodeString(maxLength = 40): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength }),
    fc
      .array(fc.oneof(fc.constantFrom(...AWKWARD_CHARS), fc.string({ minLength: 1, maxLength: 3 })), {
        minLength: 1,
        maxLength: 10,
      })
      .map((parts) => parts.join('')),
  );
}

/** Keys that reach for an object's prototype, and escaped spellings of them (written raw). */
export const PROTO_KEYS: readonly { readonly key: string; readonly raw?: true; readonly proto: boolean }[] = [
  { key: '__proto__', proto: true },
  { key: '"\\u005f_proto__"', raw: true, proto: true },
  { key: '"__pro\\u0074o__"', raw: true, proto: true },
  { key: 'constructor', proto: false },
  { key: '"constructo\\u0072"', raw: true, proto: false },
  { key: 'prototype', proto: false },
  { key: 'hasOwnProperty', proto: false },
  { key: 'toString', proto: false },
  { key: '__defineGetter__', proto: false },
];

/** What a prototype key is given: a payload that would pollute if assigned naively. */
export const PROTO_VALUES: readonly JsonValue[] = [
  { polluted: 'yes' },
  { prototype: { polluted: 'yes' } },
  null,
  1,
  'x',
  [],
];

/** JSON texts that are not JSON. */
export const BROKEN_JSON: readonly string[] = [
  '',
  ' ',
  '{',
  '}',
  '{"a":1,}',
  '{"a":NaN}',
  '{"a":Infinity}',
  "{'a':1}",
  '{"a":01}',
  '{"a":"\\x"}',
  '{"a":"\u0001"}',
  '{/*c*/}',
  '{"a":1}{"b":2}',
  'undefined',
  '\ufeff{}',
  '{"a":tru}',
  '[1,2',
  '{"a" 1}',
];

/** A string that `JSON.parse` refuses. */
export function notJson(maxLength = 60): fc.Arbitrary<string> {
  const parses = (text: string) => {
    try {
      JSON.parse(text);
      return true;
    } catch {
      return false;
    }
  };
  return fc.oneof(
    fc.constantFrom(...BROKEN_JSON),
    fc.string({ maxLength }).filter((text) => !parses(text)),
    fc.string({ unit: 'binary', maxLength }).filter((text) => !parses(text)),
  );
}

/** A depth for a deep nesting: mostly moderate, sometimes far past any recursion limit. */
export const nestingDepth = (max: number) =>
  fc.oneof(fc.integer({ min: 33, max: 2_000 }), fc.integer({ min: 2_000, max }));

/** A top-level JSON value that is not an object. */
export const notAnObject: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 10 }),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.constant(null)), { maxLength: 4 }),
  fc.constant([{}]),
);

/** Characters SQS accepts in a message body or attribute value. */
const SQS_ILLEGAL = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const SQS_ILLEGAL_ONE = new RegExp(SQS_ILLEGAL.source, 'u');

/** True when SQS accepts `text` as a (non-empty) body or attribute value. */
export function sqsLegal(text: string): boolean {
  return text.length > 0 && !SQS_ILLEGAL_ONE.test(text);
}

/**
 * `text` with every character SQS refuses written as a JSON escape (`\uFFFF`): inside a JSON
 * string that is the same value, elsewhere it is still broken text, so a case keeps its meaning.
 */
export function sqsSafe(text: string): string {
  return text.replace(SQS_ILLEGAL, (c) =>
    Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join(
      '',
    ),
  );
}
