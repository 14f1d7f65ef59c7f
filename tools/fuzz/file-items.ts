/** Import file items that break the typed schema, each in a way `parseImportFile` must refuse. Pure. */
import fc from 'fast-check';
import { CASE_ID, type Entry, type Fragment, json, obj } from './fragment.js';
import { AWKWARD_CHARS, nestingDepth, PROTO_KEYS } from './values.js';

export interface BadItem {
  readonly kind: string;
  /** Where in the item (`.value`, `.attributes.M.ports`). */
  readonly field: string;
  readonly item: Fragment;
}

const HOST = `b-${CASE_ID}.fuzz.test`;
const ATTRIBUTES = [
  'owner',
  'environment',
  'criticality',
  'internet_facing',
  'notes',
  'tags',
  'ports',
  'labels',
  'source',
];

/** An item from its three parts as recipes (`undefined` leaves a part out). */
function raw(parts: { type?: Fragment; value?: Fragment; attributes?: Fragment; extra?: Entry }): Fragment {
  const entries: Entry[] = [];
  if (parts.type) entries.push({ k: 'type', v: parts.type });
  if (parts.value) entries.push({ k: 'value', v: parts.value });
  if (parts.attributes) entries.push({ k: 'attributes', v: parts.attributes });
  if (parts.extra) entries.push(parts.extra);
  return { t: 'obj', entries };
}

const TYPE = json({ S: 'host' });
const VALUE = json({ S: HOST });
/** A host item whose attributes map holds `attributes` (each a recipe). */
const withAttributes = (attributes: Fragment): Fragment =>
  raw({ type: TYPE, value: VALUE, attributes: obj({ M: attributes }) });
const attribute = (name: string, value: Fragment) => withAttributes(obj({ [name]: value }));

const cases = (kind: string, list: readonly (readonly [string, Fragment])[]) =>
  fc.constantFrom(...list).map(([field, item]) => ({ kind, field, item }));

const wrongTag = cases('wrongType', [
  ['.value', raw({ type: TYPE, value: json({ N: '1' }) })],
  ['.value', raw({ type: TYPE, value: json({ BOOL: true }) })],
  ['.value', raw({ type: TYPE, value: json({ L: [] }) })],
  ['.type', raw({ type: json({ N: '1' }), value: VALUE })],
  ['.attributes.owner', attribute('owner', json({ N: '1' }))],
  ['.attributes.internet_facing', attribute('internet_facing', json({ S: 'true' }))],
  ['.attributes.criticality', attribute('criticality', json({ S: '3' }))],
  ['.attributes.ports', attribute('ports', json({ L: [{ N: '22' }, { S: '80' }] }))],
  ['.attributes.tags', attribute('tags', json({ L: [{ N: '1' }] }))],
  ['.attributes.labels', attribute('labels', json({ M: { rack: { N: '1' } } }))],
  ['.attributes.labels', attribute('labels', json({ L: [] }))],
  ['.attributes.source', attribute('source', json({ M: { system: { N: '1' } } }))],
  ['.attributes', raw({ type: TYPE, value: VALUE, attributes: json({ L: [] }) })],
]);

const untyped = cases('wrongType', [
  ['.value', raw({ type: TYPE, value: json(HOST) })],
  ['.type', raw({ type: json('host'), value: VALUE })],
  ['.attributes.owner', attribute('owner', json('web team'))],
  ['.attributes', raw({ type: TYPE, value: VALUE, attributes: json({ owner: { S: 'x' } }) })],
  ['(item)', json('host')],
  ['(item)', json(42)],
  ['(item)', json(null)],
  ['(item)', json([{ S: 'host' }])],
  ['.value', raw({ type: TYPE, value: json({ S: 'a', N: '1' }) })],
  ['.value', raw({ type: TYPE, value: json({}) })],
  ['.value', raw({ type: TYPE, value: json({ X: 'a' }) })],
  ['.value', raw({ type: TYPE, value: json({ SS: ['a'] }) })],
  ['.value', raw({ type: TYPE, value: json({ NULL: true }) })],
  ['.value', raw({ type: TYPE, value: { t: 'obj', entries: [{ k: '__proto__', v: json({ S: HOST }) }] } })],
  ['.value', raw({ type: TYPE, value: json({ S: null }) })],
]);

const missing = cases('missingKey', [
  ['.type', raw({ value: VALUE })],
  ['.value', raw({ type: TYPE })],
  ['(item)', raw({})],
  ['(item)', raw({ attributes: obj({ M: obj({}) }) })],
]);

/** A key nothing allows, at the item, attributes or `source` level; prototype keys included. */
const extraKey = fc
  .tuple(
    fc.constantFrom('item', 'attributes', 'source'),
    fc.oneof(
      fc.string({ maxLength: 20 }).map((k): Entry => ({ k, v: json({ S: 'x' }) })),
      fc
        .constantFrom(...PROTO_KEYS)
        .map(
          (pk): Entry => ({ k: pk.key, v: json({ S: 'x' }), ...(pk.raw ? { rawKey: true as const } : {}) }),
        ),
    ),
  )
  .filter(([level, e]) => {
    const allowed =
      level === 'item' ? ['type', 'value', 'attributes'] : level === 'source' ? ['system', 'id'] : ATTRIBUTES;
    return e.rawKey === true || !allowed.includes(e.k);
  })
  .map(([level, e]) => {
    const item =
      level === 'item'
        ? raw({ type: TYPE, value: VALUE, extra: e })
        : level === 'attributes'
          ? withAttributes({ t: 'obj', entries: [e] })
          : attribute(
              'source',
              obj({ M: { t: 'obj', entries: [{ k: 'system', v: json({ S: 'cmdb' }) }, e] } }),
            );
    return { kind: 'extraAttribute', field: `.${level}[${JSON.stringify(e.k)}]`, item };
  });

const badEnum = fc.oneof(
  fc
    .string({ maxLength: 12 })
    .filter((t) => !['host', 'domain', 'ip', 'url'].includes(t))
    .map((t) => ({
      kind: 'invalidValue',
      field: '.type',
      item: raw({ type: json({ S: t }), value: VALUE }),
    })),
  fc
    .string({ maxLength: 12 })
    .filter((e) => !['production', 'staging', 'development', 'test'].includes(e))
    .map((e) => ({
      kind: 'invalidValue',
      field: '.attributes.environment',
      item: attribute('environment', json({ S: e })),
    })),
);

const NOT_IN_RANGE = ['0', '6', '2.5', '-1', '1e400', 'abc', '', ' 1', '0x1', '1.', '9007199254740993'];
const outOfRange = fc.oneof(
  fc.constantFrom(...NOT_IN_RANGE).map((n) => ({
    kind: 'invalidValue',
    field: '.attributes.criticality',
    item: attribute('criticality', json({ N: n })),
  })),
  fc.constantFrom('0', '65536', '-1', '1.5', '1e400', 'NaN', '').map((n) => ({
    kind: 'invalidValue',
    field: '.attributes.ports',
    item: attribute('ports', json({ L: [{ N: '443' }, { N: n }] })),
  })),
);

const tooLong = fc.oneof(
  fc.integer({ min: 901, max: 50_000 }).map((n) => ({
    kind: 'hugeString',
    field: '.value',
    item: raw({ type: TYPE, value: obj({ S: { t: 'huge', length: n, unit: 'x' } }) }),
  })),
  fc.integer({ min: 257, max: 20_000 }).map((n) => ({
    kind: 'hugeString',
    field: '.attributes.owner',
    item: attribute('owner', obj({ S: { t: 'huge', length: n, unit: 'x' } })),
  })),
  fc.integer({ min: 2_001, max: 100_000 }).map((n) => ({
    kind: 'hugeString',
    field: '.attributes.notes',
    item: attribute('notes', obj({ S: { t: 'huge', length: n, unit: 'é' } })),
  })),
  fc.integer({ min: 65, max: 5_000 }).map((n) => ({
    kind: 'hugeString',
    field: '.attributes.tags',
    item: attribute('tags', json({ L: [{ S: 'x'.repeat(n) }] })),
  })),
  fc.integer({ min: 51, max: 200 }).map((n) => ({
    kind: 'tooMany',
    field: '.attributes.tags',
    item: attribute('tags', json({ L: Array.from({ length: n }, (_, i) => ({ S: `t${i}` })) })),
  })),
  fc.integer({ min: 101, max: 300 }).map((n) => ({
    kind: 'tooMany',
    field: '.attributes.ports',
    item: attribute('ports', json({ L: Array.from({ length: n }, () => ({ N: '80' })) })),
  })),
  fc.integer({ min: 51, max: 120 }).map((n) => ({
    kind: 'tooMany',
    field: '.attributes.labels',
    item: attribute(
      'labels',
      json({ M: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, { S: 'v' }])) }),
    ),
  })),
  fc.integer({ min: 65, max: 500 }).map((n) => ({
    kind: 'hugeString',
    field: '.attributes.labels(key)',
    item: attribute('labels', json({ M: { ['k'.repeat(n)]: { S: 'v' } } })),
  })),
  fc.constant({
    kind: 'invalidValue',
    field: '.attributes.labels(empty key)',
    item: attribute('labels', json({ M: { '': { S: 'v' } } })),
  }),
);

const BAD_ASSETS: readonly (readonly [string, string])[] = [
  ['host', 'a b'],
  ['host', ''],
  ['host', 'a\u0000b'],
  ['host', 'x/24'],
  ['host', '---'],
  ['host', 'a..b'],
  ['ip', 'not-an-ip'],
  ['ip', '999.1.1.1'],
  ['ip', 'example.com'],
  ['domain', '10.0.0.1'],
  ['domain', 'a.example.com:443'],
  ['url', 'http://'],
  ['url', 'ftp://x.example.com'],
  ['url', 'https://u:p@x.example.com'],
  ['url', 'https://x.example.com/a b'],
];
const badAsset = fc.constantFrom(...BAD_ASSETS).map(([type, value]) => ({
  kind: 'invalidValue',
  field: `.value(${type})`,
  item: raw({ type: json({ S: type }), value: json({ S: value }) }),
}));

/** A host name with a character no host name has, somewhere inside. */
const unicodeHost = fc
  .tuple(fc.constantFrom(...AWKWARD_CHARS), fc.constantFrom('u-', 'u-x', `u-${CASE_ID}`))
  .map(([c, head]) => ({
    kind: 'unicode',
    field: `.value(${JSON.stringify(c)})`,
    item: raw({ type: TYPE, value: json({ S: `${head}${c}z.fuzz.test` }) }),
  }));

const deep = fc
  .tuple(
    fc.constantFrom('.value', '.attributes.labels', '(item)'),
    nestingDepth(100_000),
    fc.constantFrom('object', 'array' as const),
  )
  .map(([field, depth, shape]) => {
    const d: Fragment = { t: 'deep', depth, shape };
    const item =
      field === '.value'
        ? raw({ type: TYPE, value: d })
        : field === '(item)'
          ? d
          : attribute('labels', obj({ M: obj({ rack: d }) }));
    return { kind: 'deepNesting', field, item };
  });

/** One item the typed schema refuses. */
export const badItem: fc.Arbitrary<BadItem> = fc.oneof(
  wrongTag,
  untyped,
  missing,
  extraKey,
  badEnum,
  outOfRange,
  tooLong,
  badAsset,
  unicodeHost,
  deep,
);
