/**
 * Bad SQS message bodies for the worker's admission path, as recipes: a valid job message with one
 * thing broken, or not a message at all. What each must come to:
 * - `dlq`: parked in the DLQ with a `scanq-rejected` reason (anything the schema or the worker refuses);
 * - `ack`: a well-formed message naming a job that does not exist is acknowledged (the design's
 *   "a failed claim … is acknowledged"), and creates nothing;
 * - `settled`: odd but schema-valid (Unicode targets): either of the two, never stuck or cycling.
 * Pure.
 */
import fc from 'fast-check';
import { appendEntry, CASE_ID, type Fragment, json, objOf, withEntry, withoutEntry } from './fragment.js';
import {
  AWKWARD_CHARS,
  type Kind,
  nestingDepth,
  notAnObject,
  notJson,
  otherThan,
  PROTO_KEYS,
  PROTO_VALUES,
  sqsLegal,
  unicodeString,
} from './values.js';

export type MessageExpect = 'dlq' | 'ack' | 'settled';

/** A message attribute as SendMessage takes it (Binary as base64). */
export interface AttributeRecipe {
  readonly name: string;
  readonly type: 'String' | 'Number' | 'Binary';
  readonly value: string;
}

export interface MessageCase {
  readonly kind: string;
  readonly field: string;
  readonly expect: MessageExpect;
  readonly body: Fragment;
  /** The `tenant` attribute (`§ID§` filled in), absent when undefined. */
  readonly tenant?: AttributeRecipe;
  /** Other attributes (a sender's own); at most 7, so the DLQ copy keeps room for the reason. */
  readonly extra: readonly AttributeRecipe[];
}

/** The tenant of a valid message; never the probe tenant. */
export const MESSAGE_TENANT = `fz-${CASE_ID}`;
const VALID = {
  v: 1,
  tenant: MESSAGE_TENANT,
  key: `#job#t-${CASE_ID}#noop`,
  capability: 'noop',
  target: `t-${CASE_ID}`,
  attempt: 0,
  enqueuedAt: '2026-01-01T00:00:00.000Z',
  phase: 'JQ',
} as const;
const KINDS: Readonly<Record<keyof typeof VALID, Kind>> = {
  v: 'number',
  tenant: 'string',
  key: 'string',
  capability: 'string',
  target: 'string',
  attempt: 'number',
  enqueuedAt: 'string',
  phase: 'string',
};
const FIELDS = Object.keys(VALID);
const STRING_FIELDS = FIELDS.filter((f) => KINDS[f as keyof typeof VALID] === 'string');
const valid: Fragment = objOf(VALID);
const tenantAttr = (value: string): AttributeRecipe => ({ name: 'tenant', type: 'String', value });

/** Values of the right type that break a rule of the message schema or of the tenancy layer. */
const BAD_VALUES: Readonly<Record<string, readonly (string | number | null)[]>> = {
  v: [0, 2, -1, 1.5, '1', 'v1'],
  tenant: ['', ' x', 'a/b', 'a..b', 'x'.repeat(129), '-a', 'a b', 'ä', '\u0000', '.'],
  key: ['job#x', '#job', '#JOB#x#noop', `#job#${'x'.repeat(1100)}`, ''],
  capability: ['', 'NOOP', 'no op', '-x', 'x'.repeat(49), 'zzz-not-registered'],
  target: ['', 'x'.repeat(901)],
  attempt: [-1, 1.5, 2 ** 53, 1e300],
  enqueuedAt: ['', 'yesterday', '2026-01-01T00:00:00+01:00', '2026-13-45T00:00:00Z', '2026-01-01', 'Z'],
  phase: ['', 'JR', 'jq', 'JQA ', 'JP', 'JF'],
};

function dlq(kind: string, field: string, body: Fragment, tenant?: string): Omit<MessageCase, 'extra'> {
  return { kind, field, expect: 'dlq', body, tenant: tenantAttr(tenant ?? MESSAGE_TENANT) };
}

const notJsonCase = notJson(200)
  .filter((t) => t.length > 0)
  .map((text) => dlq('notJson', '(body)', { t: 'raw', text }));
const notObjectCase = notAnObject.map((v) => dlq('notAnObject', '(body)', json(v)));
const wrongTypeCase = fc
  .constantFrom(...FIELDS)
  .chain((f) =>
    otherThan(KINDS[f as keyof typeof VALID]).map((v) => dlq('wrongType', f, withEntry(valid, f, json(v)))),
  );
const missingCase = fc.constantFrom(...FIELDS).map((f) => dlq('missingField', f, withoutEntry(valid, f)));
const unknownCase = fc
  .string({ minLength: 1, maxLength: 30 })
  .filter((k) => !FIELDS.includes(k))
  .map((k) => dlq('unknownField', k, appendEntry(valid, { k, v: json(1) })));
const protoCase = fc
  .tuple(fc.constantFrom(...PROTO_KEYS), fc.constantFrom(...PROTO_VALUES))
  .map(([pk, v]) =>
    dlq(
      'protoKey',
      pk.key,
      appendEntry(valid, pk.raw ? { k: pk.key, v: json(v), rawKey: true } : { k: pk.key, v: json(v) }),
    ),
  );
const badValueCase = fc
  .constantFrom(...Object.entries(BAD_VALUES).flatMap(([f, values]) => values.map((v) => ({ f, v }))))
  .map(({ f, v }) =>
    // A bad tenant is tagged with itself, so it gets past the attribute check to the code that uses it.
    dlq(
      'badValue',
      f,
      withEntry(valid, f, json(v)),
      f === 'tenant' && typeof v === 'string' && sqsLegal(v) ? v : undefined,
    ),
  );
const hugeCase = fc
  .tuple(fc.constantFrom(...STRING_FIELDS, 'v'), fc.integer({ min: 1_025, max: 200_000 }))
  .map(([f, length]) => dlq('hugeString', f, withEntry(valid, f, { t: 'huge', length, unit: 'x' })));
const deepCase = fc
  .tuple(
    fc.constantFrom(...FIELDS, 'nested'),
    nestingDepth(30_000),
    fc.constantFrom('object', 'array' as const),
  )
  .map(([f, depth, shape]) => dlq('deepNesting', f, withEntry(valid, f, { t: 'deep', depth, shape })));
const unicodeCase = fc.tuple(fc.constantFrom(...STRING_FIELDS), unicodeString()).map(([f, text]) => ({
  kind: 'unicode',
  field: f,
  expect: 'settled' as const,
  // A Unicode key still starts like a job key, so it reaches the claim.
  body: withEntry(valid, f, json(f === 'key' ? `#job#${text}` : text)),
  tenant: tenantAttr(f === 'tenant' && sqsLegal(text) ? text : MESSAGE_TENANT),
}));
const tenantAttrCase = fc
  .oneof(
    fc.constant({ how: 'missing', attr: undefined }),
    fc.constant({ how: 'other', attr: tenantAttr('fz-someone-else') }),
    fc.constant({ how: 'padded', attr: tenantAttr(`${MESSAGE_TENANT} `) }),
    fc.constant({ how: 'number', attr: { name: 'tenant', type: 'Number' as const, value: '12' } }),
    fc.constant({ how: 'binary', attr: { name: 'tenant', type: 'Binary' as const, value: 'Zno=' } }),
  )
  .map(({ how, attr }) => ({
    kind: 'tenantAttribute',
    field: how,
    expect: 'dlq' as const,
    body: valid,
    ...(attr ? { tenant: attr } : {}),
  }));
const orphanCase = fc
  .tuple(fc.constantFrom('JQ', 'JQA'), fc.nat({ max: 20 }), fc.constantFrom('noop', 'import', 'portscan'))
  .map(([phase, attempt, capability]) => ({
    kind: 'orphan',
    field: `${capability}/${phase}`,
    expect: 'ack' as const,
    body: objOf({ ...VALID, phase, attempt, capability, key: `#job#t-${CASE_ID}#${capability}` }),
    tenant: tenantAttr(MESSAGE_TENANT),
  }));

/** Attributes a sender may add; legal for SQS, never `tenant`. */
const extraAttributes = fc.array(
  fc
    .record({
      name: fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/).map((n) => `x-${n}`),
      type: fc.constantFrom('String' as const, 'Number' as const),
      // Only what SQS accepts: it refuses the rest on send (moto stores it and fails on receive).
      value: fc.oneof(
        fc.integer().map(String),
        fc.constantFrom(...AWKWARD_CHARS.filter(sqsLegal)).map((c) => `v${c}`),
      ),
    })
    .map((a) => (a.type === 'Number' && !/^-?\d+$/.test(a.value) ? { ...a, type: 'String' as const } : a)),
  { maxLength: 7 },
);

/** A bad (or orphan) SQS message. */
export function messageCase(): fc.Arbitrary<MessageCase> {
  return fc
    .tuple(
      fc.oneof(
        notJsonCase,
        notObjectCase,
        wrongTypeCase,
        missingCase,
        unknownCase,
        protoCase,
        badValueCase,
        hugeCase,
        deepCase,
        unicodeCase,
        tenantAttrCase,
        orphanCase,
      ),
      fc.option(extraAttributes, { freq: 4 }),
    )
    .map(([c, extra]) => {
      const names = new Set<string>();
      const unique = (extra ?? []).filter((a) => !names.has(a.name) && names.add(a.name));
      return { ...c, extra: unique };
    });
}

export function messageLabel(c: MessageCase): string {
  return `${c.kind} ${c.field}`;
}
