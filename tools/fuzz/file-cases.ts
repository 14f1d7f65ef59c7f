/**
 * Bad import files (`import` capability, typed JSON per `jobs/capabilities/import/format.ts`), as
 * recipes. Every one is broken for sure — invalid JSON or UTF-8, the wrong shape, an item that
 * breaks the typed schema, a duplicate, too many items, too large — so every one must be
 * quarantined with a reason and none of its items written. Pure.
 */
import fc from 'fast-check';
import { badItem } from './file-items.js';
import { arr, CASE_ID, type Fragment, json, obj, render } from './fragment.js';
import { notAnObject, notJson } from './values.js';

/** What a file is made of: a recipe, raw bytes (base64), or a size past the import limit. */
export type FileContent =
  | { readonly t: 'text'; readonly body: Fragment }
  | { readonly t: 'bytes'; readonly base64: string }
  | { readonly t: 'oversized'; readonly bytes: number };

export interface FileCase {
  readonly kind: string;
  readonly field: string;
  readonly content: FileContent;
}

/** Largest file `import` reads (IMPORT_LIMITS.maxBytes). */
export const IMPORT_MAX_BYTES = 5 * 1024 * 1024;

/** Typed item `{type: {S}, value: {S}, attributes?: {M}}`. */
export function item(type: string, value: string, attributes?: Readonly<Record<string, Fragment>>): Fragment {
  return obj({
    type: json({ S: type }),
    value: json({ S: value }),
    ...(attributes ? { attributes: obj({ M: obj(attributes) }) } : {}),
  });
}

/** Assets the run imports before the cases, so a file can repeat one that exists. */
export const SEEDED = Array.from({ length: 8 }, (_, i) => `seed-${i}.fuzz.test`);
export const seedFile = (): string => render(arr(SEEDED.map((v) => item('host', v))));

/** A valid file of `count` new hosts (the control file of a batch: it must be imported). */
export function controlFile(id: string, count: number): string {
  return render(
    arr(Array.from({ length: count }, (_, i) => item('host', `ctl-${i}-${CASE_ID}.fuzz.test`))),
    id,
  );
}

/** Valid items around a bad one; values unique to the case. */
const filler = (n: number, from: number): Fragment[] =>
  Array.from({ length: n }, (_, i) =>
    item('host', `f${from + i}-${CASE_ID}.fuzz.test`, {
      owner: json({ S: 'web team' }),
      ports: json({ L: [{ N: '443' }] }),
    }),
  );

const validText = render(arr([...filler(3, 0)]));

const invalidJson = fc
  .oneof(
    notJson(120),
    fc.nat({ max: validText.length - 1 }).map((cut) => validText.slice(0, cut)),
    fc.constantFrom(',', ']', '}', 'x', ' []').map((tail) => validText + tail),
  )
  .map((text) => ({
    kind: 'invalidJson',
    field: '(file)',
    content: { t: 'text' as const, body: { t: 'raw' as const, text } },
  }));

// Bytes that never occur in UTF-8, whatever surrounds them.
const NEVER_UTF8 = [0xff, 0xfe, 0xc0, 0xc1, 0xf8] as const;

const notUtf8 = fc
  .tuple(fc.uint8Array({ maxLength: 2_000 }), fc.nat(), fc.constantFrom(...NEVER_UTF8))
  .map(([bytes, at, bad]) => {
    const i = at % (bytes.length + 1);
    const out = Buffer.concat([bytes.subarray(0, i), Buffer.from([bad]), bytes.subarray(i)]);
    return {
      kind: 'notUtf8',
      field: '(file)',
      content: { t: 'bytes' as const, base64: out.toString('base64') },
    };
  });

const utf16 = fc.constant({
  kind: 'notUtf8',
  field: 'utf-16',
  content: { t: 'bytes' as const, base64: Buffer.from(validText, 'utf16le').toString('base64') },
});

const notAList = fc
  .oneof(
    notAnObject.filter((v) => !Array.isArray(v)),
    fc.constant({ items: [] }),
    fc.constant({ type: { S: 'host' }, value: { S: 'x.fuzz.test' } }),
  )
  .map((v) => ({ kind: 'notAList', field: '$', content: { t: 'text' as const, body: json(v) } }));

const noItems = fc.constant({ kind: 'noItems', field: '$', content: { t: 'text' as const, body: arr([]) } });

const tooMany = fc.integer({ min: 1_001, max: 1_100 }).map((count) => ({
  kind: 'tooManyItems',
  field: `$(${count})`,
  content: {
    t: 'text' as const,
    body: { t: 'many' as const, count, item: item('host', `m§N§-${CASE_ID}.fuzz.test`) },
  },
}));

const oneBadItem = fc.tuple(badItem, fc.nat({ max: 6 }), fc.nat({ max: 6 })).map(([bad, before, after]) => ({
  kind: bad.kind,
  field: `$[${before}]${bad.field}`,
  content: { t: 'text' as const, body: arr([...filler(before, 0), bad.item, ...filler(after, before + 1)]) },
}));

const duplicateWithin = fc.tuple(fc.nat({ max: 4 }), fc.boolean()).map(([before, upper]) => {
  const value = `dup-${CASE_ID}.fuzz.test`;
  // Upper case normalizes to the same host (the case id is filled in after, in lower case).
  const again = upper ? value.toUpperCase() : value;
  return {
    kind: 'duplicate',
    field: upper ? 'within (case)' : 'within',
    content: {
      t: 'text' as const,
      body: arr([item('host', value), ...filler(before, 0), item('host', again)]),
    },
  };
});

const duplicateExisting = fc
  .tuple(fc.constantFrom(...SEEDED), fc.nat({ max: 4 }))
  .map(([seeded, before]) => ({
    kind: 'duplicate',
    field: 'existing',
    content: { t: 'text' as const, body: arr([...filler(before, 0), item('host', seeded)]) },
  }));

const oversized = fc.integer({ min: 1, max: 65_536 }).map((extra) => ({
  kind: 'oversized',
  field: '(file)',
  content: { t: 'oversized' as const, bytes: IMPORT_MAX_BYTES + extra },
}));

/** A bad import file. Oversized ones are rare: each is a 5 MiB upload. */
export function fileCase(): fc.Arbitrary<FileCase> {
  return fc.oneof(
    { weight: 3, arbitrary: invalidJson },
    { weight: 2, arbitrary: notUtf8 },
    { weight: 1, arbitrary: utf16 },
    { weight: 2, arbitrary: notAList },
    { weight: 1, arbitrary: noItems },
    { weight: 1, arbitrary: tooMany },
    { weight: 14, arbitrary: oneBadItem },
    { weight: 2, arbitrary: duplicateWithin },
    { weight: 2, arbitrary: duplicateExisting },
    { weight: 1, arbitrary: oversized },
  );
}

/** The bytes of a file case, `§ID§` filled in. */
export function fileBytes(c: FileCase, id: string): Uint8Array {
  switch (c.content.t) {
    case 'text':
      return Buffer.from(render(c.content.body, id), 'utf8');
    case 'bytes':
      return Buffer.from(c.content.base64, 'base64');
    case 'oversized': {
      const bytes = Buffer.alloc(c.content.bytes, 0x20);
      bytes[0] = 0x5b;
      return bytes;
    }
  }
}

export function fileLabel(c: FileCase): string {
  return `${c.kind} ${c.field}`;
}
