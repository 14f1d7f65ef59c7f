/**
 * Bad request bodies for the HTTP API, as recipes: each is a valid body with one thing broken
 * (a wrong type, a missing or unknown field, a string past its bound, deep nesting, a prototype
 * key, broken JSON, a wrong content type). `expect: 'reject'` cases must get a 4xx; `any` cases
 * (odd Unicode, a repeated key whose last value is valid) may be accepted but never answer 5xx.
 * Pure.
 */
import fc from 'fast-check';
import { ENDPOINTS, type EndpointName, type EndpointSpec, type Mutation } from './api-endpoints.js';
import {
  contentTypeCase,
  deepCase,
  duplicateKeyCase,
  hugeCase,
  missingCase,
  protoCase,
  unknownFieldCase,
  wrongTypeCase,
} from './api-mutations.js';
import { arr, CASE_ID, type Fragment, json, obj, objOf, withEntry } from './fragment.js';
import { notAnObject, notJson, unicodeString } from './values.js';

export interface ApiCase extends Mutation {
  readonly endpoint: EndpointName;
}

function badValueCase(spec: EndpointSpec): fc.Arbitrary<Mutation> | undefined {
  const bad = Object.entries(spec.badValues).flatMap(([field, values]) => values.map((v) => ({ field, v })));
  if (bad.length === 0) return undefined;
  return fc.constantFrom(...bad).map(({ field, v }) => ({
    kind: 'badValue',
    field,
    expect: 'reject',
    body: withEntry(spec.valid, field, json(v)),
  }));
}

function unicodeCase(spec: EndpointSpec): fc.Arbitrary<Mutation> | undefined {
  const fields = Object.keys(spec.bounds);
  if (fields.length === 0) return undefined;
  return fc.constantFrom(...fields).chain((field) =>
    unicodeString().map((text) => ({
      kind: 'unicode',
      field,
      expect: 'any' as const,
      body: withEntry(spec.valid, field, json(text)),
    })),
  );
}

function badJsonCase(spec: EndpointSpec): fc.Arbitrary<Mutation> {
  const text = spec.validText;
  return fc
    .oneof(
      notJson().map((t) => ({ t, how: 'text' })),
      fc.nat({ max: text.length - 1 }).map((cut) => ({ t: text.slice(0, cut), how: 'truncated' })),
      fc
        .constantFrom(',', '}', ']', 'x', ' {}', ',"a":1', '\u0000')
        .map((tail) => ({ t: text + tail, how: 'trailing' })),
      fc.constant({ t: text.replaceAll('"', "'"), how: 'quotes' }),
    )
    .map(({ t, how }) => ({
      kind: 'badJson',
      field: `(body:${how})`,
      expect: 'reject' as const,
      body: { t: 'raw' as const, text: t },
    }));
}

const notObjectCase: fc.Arbitrary<Mutation> = notAnObject.map((v) => ({
  kind: 'notAnObject',
  field: '(body)',
  expect: 'reject',
  body: json(v),
}));

/** Every mutation of one endpoint's body, equally likely. */
export function mutationsOf(spec: EndpointSpec): fc.Arbitrary<Mutation> {
  const all = [
    wrongTypeCase(spec),
    missingCase(spec),
    hugeCase(spec),
    deepCase(spec),
    badJsonCase(spec),
    notObjectCase,
    unicodeCase(spec),
    protoCase(spec),
    unknownFieldCase(spec),
    duplicateKeyCase(spec),
    contentTypeCase(spec),
    badValueCase(spec),
  ].filter((a): a is fc.Arbitrary<Mutation> => a !== undefined);
  return fc.oneof(...all);
}

/** A valid job of a batch, its target unique to the case: if a bad batch were half-written, it would show. */
const okJob = (i: number): Fragment => objOf({ capability: 'noop', target: `ok-${CASE_ID}-${i}` });

/**
 * `{ jobs: [...] }`: one bad job among valid ones (all or nothing: the valid ones must not be
 * written either), too many jobs, none, or a broken envelope.
 */
function batchMutations(): fc.Arbitrary<Mutation> {
  const inner = fc
    .tuple(
      mutationsOf(ENDPOINTS.job).filter((m) => m.contentType === undefined),
      fc.nat({ max: 3 }),
      fc.nat({ max: 3 }),
    )
    .map(([m, before, after]) => {
      const items = [
        ...Array.from({ length: before }, (_, i) => okJob(i)),
        m.body,
        ...Array.from({ length: after }, (_, i) => okJob(before + 1 + i)),
      ];
      return {
        kind: m.kind,
        field: `jobs[${before}].${m.field}`,
        expect: m.expect,
        body: obj({ jobs: arr(items) }),
      };
    });
  const tooMany = fc.integer({ min: 101, max: 140 }).map((count) => ({
    kind: 'badValue',
    field: `jobs(${count})`,
    expect: 'reject' as const,
    body: obj({
      jobs: { t: 'many', count, item: objOf({ capability: 'noop', target: `many-${CASE_ID}-§N§` }) },
    }),
  }));
  return fc.oneof(
    { weight: 4, arbitrary: inner },
    { weight: 3, arbitrary: mutationsOf(ENDPOINTS.jobBatch) },
    tooMany,
  );
}

/** A bad body for any of the fuzzed endpoints. */
export function apiCase(): fc.Arbitrary<ApiCase> {
  return fc.oneof(
    ...Object.values(ENDPOINTS).map((spec) =>
      (spec.name === 'jobBatch' ? batchMutations() : mutationsOf(spec)).map(
        (m): ApiCase => ({ endpoint: spec.name, ...m }),
      ),
    ),
  );
}

/** `job hugeString target`: what a case is, for lists and failure reports. */
export function apiLabel(c: ApiCase): string {
  return `${c.endpoint} ${c.kind} ${c.field}`;
}
