/** Field-level mutations of an endpoint's valid body (see `api-cases.ts`). Pure. */
import fc from 'fast-check';
import type { EndpointSpec, Expect, Mutation } from './api-endpoints.js';
import {
  appendEntry,
  type Entry,
  entryOf,
  type Fragment,
  json,
  toObj,
  withEntry,
  withoutEntry,
} from './fragment.js';
import { type Kind, nestingDepth, otherThan, PROTO_KEYS, PROTO_VALUES } from './values.js';

/** Largest body the API reads is 1 MiB; a few cases go past it (413). */
const OVER_BODY_LIMIT = { min: 1_048_577, max: 1_400_000 };

export function wrongTypeCase(spec: EndpointSpec): fc.Arbitrary<Mutation> {
  return fc.constantFrom(...Object.keys(spec.kinds)).chain((field) =>
    otherThan(spec.kinds[field] as Kind).map((v) => ({
      kind: 'wrongType',
      field,
      expect: 'reject' as const,
      body: withEntry(spec.valid, field, json(v)),
    })),
  );
}

export function missingCase(spec: EndpointSpec): fc.Arbitrary<Mutation> | undefined {
  if (spec.required.length === 0) return undefined;
  return fc.constantFrom(...spec.required).map((field) => ({
    kind: 'missingField',
    field,
    expect: 'reject',
    body: withoutEntry(spec.valid, field),
  }));
}

/** A run of `x` past the field's bound refuses; other units may or may not (counted in UTF-16 units). */
export function hugeCase(spec: EndpointSpec): fc.Arbitrary<Mutation> | undefined {
  const fields = Object.keys(spec.bounds);
  if (fields.length === 0) return undefined;
  return fc.constantFrom(...fields).chain((field) => {
    const bound = spec.bounds[field] ?? 1;
    const length = fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: bound, max: Math.max(bound, 4_096) }) },
      { weight: 6, arbitrary: fc.integer({ min: 4_096, max: 300_000 }) },
      { weight: 1, arbitrary: fc.integer(OVER_BODY_LIMIT) },
    );
    const unit = fc.oneof(
      { weight: 9, arbitrary: fc.constant('x') },
      { weight: 1, arbitrary: fc.constantFrom('é', '😀', ' ', '\u0000') },
    );
    return fc.tuple(length, unit).map(([n, u]) => ({
      kind: 'hugeString',
      field,
      expect: u === 'x' ? ('reject' as const) : ('any' as const),
      body: withEntry(spec.valid, field, { t: 'huge', length: n, unit: u }),
    }));
  });
}

/** Nesting far deeper than any field allows, in place of a field or under a new key. */
export function deepCase(spec: EndpointSpec): fc.Arbitrary<Mutation> {
  const fields = [...Object.keys(spec.kinds), 'nested'];
  return fc
    .tuple(fc.constantFrom(...fields), nestingDepth(100_000), fc.constantFrom('object', 'array' as const))
    .map(([field, depth, shape]) => {
      const deep: Fragment = { t: 'deep', depth, shape };
      // Inside an object field too: `input: {"a": <deep>}` reaches code that walks the object.
      const objectField = spec.objects[field] !== undefined;
      const value = objectField
        ? appendEntry(toObj(entryOf(spec.valid, field) ?? json({})), entryFor('a', deep))
        : deep;
      return {
        kind: 'deepNesting',
        field: objectField ? `${field}.a` : field,
        expect: 'reject' as const,
        body: withEntry(spec.valid, field, value),
      };
    });
}

function entryFor(k: string, v: Fragment, rawKey?: true): Entry {
  return rawKey ? { k, v, rawKey } : { k, v };
}

/** What a prototype key may be answered with: parse errors for `__proto__`, strict schemas for others. */
function protoExpect(proto: boolean, key: string, value: unknown, strict: boolean): Expect {
  if (proto) return 'reject';
  const constructorKey = key === 'constructor' || key === '"constructo\\u0072"';
  const poisoning =
    constructorKey && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype');
  return poisoning || strict ? 'reject' : 'any';
}

/** `__proto__`, `constructor` and friends at the top level or inside an object field. */
export function protoCase(spec: EndpointSpec): fc.Arbitrary<Mutation> {
  const places = ['(top)', ...Object.keys(spec.objects)];
  return fc
    .tuple(fc.constantFrom(...places), fc.constantFrom(...PROTO_KEYS), fc.constantFrom(...PROTO_VALUES))
    .map(([place, pk, value]) => {
      const added = entryFor(pk.key, json(value), pk.raw);
      if (place === '(top)') {
        return {
          kind: 'protoKey',
          field: pk.key,
          expect: protoExpect(pk.proto, pk.key, value, true),
          body: appendEntry(spec.valid, added),
        };
      }
      const inner = appendEntry(toObj(entryOf(spec.valid, place) ?? json({})), added);
      return {
        kind: 'protoKey',
        field: `${place}.${pk.key}`,
        expect: protoExpect(pk.proto, pk.key, value, spec.objects[place] === true),
        body: withEntry(spec.valid, place, inner),
      };
    });
}

/** A key no schema knows, at the top level or inside an object field. */
export function unknownFieldCase(spec: EndpointSpec): fc.Arbitrary<Mutation> {
  const places = ['(top)', ...Object.keys(spec.objects)];
  return fc
    .tuple(fc.constantFrom(...places), fc.string({ minLength: 1, maxLength: 30 }), fc.integer())
    .filter(([place, key]) => place !== '(top)' || spec.kinds[key] === undefined)
    .map(([place, key, value]) => {
      if (place === '(top)') {
        return {
          kind: 'unknownField',
          field: key,
          expect: 'reject' as const,
          body: appendEntry(spec.valid, { k: key, v: json(value) }),
        };
      }
      const inner = toObj(entryOf(spec.valid, place) ?? json({}));
      const known = inner.t === 'obj' && inner.entries.some((e) => e.k === key);
      return {
        kind: 'unknownField',
        field: `${place}.${key}`,
        // Replacing a known inner key with a number is a wrong type, refused either way.
        expect: spec.objects[place] === true || known ? ('reject' as const) : ('any' as const),
        body: withEntry(
          spec.valid,
          place,
          known ? withEntry(inner, key, json(value)) : appendEntry(inner, { k: key, v: json(value) }),
        ),
      };
    });
}

/** The same key twice: the last value wins (JSON.parse), so the case is bad only when the last is. */
export function duplicateKeyCase(spec: EndpointSpec): fc.Arbitrary<Mutation> {
  return fc.constantFrom(...Object.keys(spec.kinds)).chain((field) =>
    fc.tuple(otherThan(spec.kinds[field] as Kind), fc.boolean()).map(([wrong, lastValid]) => {
      const valid = entryOf(spec.valid, field) ?? json(null);
      const [first, last] = lastValid ? [json(wrong), valid] : [valid, json(wrong)];
      return {
        kind: 'duplicateKey',
        field,
        expect: lastValid ? ('any' as const) : ('reject' as const),
        body: appendEntry(withEntry(spec.valid, field, first), { k: field, v: last }),
      };
    }),
  );
}

/** A valid body under a content type the API does not read. */
export function contentTypeCase(spec: EndpointSpec): fc.Arbitrary<Mutation> {
  return fc
    .constantFrom(
      'text/plain',
      'application/xml',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      '',
    )
    .map((contentType) => ({
      kind: 'contentType',
      field: contentType || '(none)',
      expect: 'reject',
      body: spec.valid,
      contentType,
    }));
}
