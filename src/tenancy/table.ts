import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { errorName } from '../lib/errors.js';
import { TtlCache } from '../lib/ttl-cache.js';
import { TABLE } from '../local-aws/manifest.js';
import type { TenantContext } from './context.js';
import { ConditionFailedError, InvalidKeyError, TenancyError } from './errors.js';
import { buildUpdate, type Condition, mergePlaceholders, type UpdateSpec } from './expressions.js';
import { PROFILE_KEY } from './profile.js';
import { MAX_SHARDS, partitionOf, partitionsFor } from './shards.js';

/** A stored item as the caller sees it: the tenant partition is implied by the context. */
export type Item = Readonly<Record<string, unknown>> & { readonly key: string };

export interface TableDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * Shard counts by table and tenant. A profile's `shards` never changes once set (`putProfile`),
 * and a profile with more than one is refused once the tenant has jobs, so a cached count is
 * only ever stale for a tenant that has no profile yet — for at most this long.
 */
const SHARDS_TTL_MS = 10_000;
const shardCounts = new TtlCache<number>(SHARDS_TTL_MS);

/**
 * Reads a tenant's write shards from its profile (1 without one), uncached: for the shard cache
 * itself, and for a reader that must not wait on it (a tenant session's policy, whose credentials
 * the cached read may be waiting for).
 */
export async function readShardCount(deps: TableDeps, tenant: string): Promise<number> {
  const out = await deps.doc.send(
    new GetCommand({
      TableName: deps.tableName,
      Key: { [TABLE.partitionKey]: tenant, [TABLE.sortKey]: PROFILE_KEY },
      ProjectionExpression: '#n',
      ExpressionAttributeNames: { '#n': 'shards' },
      ConsistentRead: true,
    }),
  );
  const shards = out.Item?.shards;
  return typeof shards === 'number' && Number.isInteger(shards) && shards >= 1 && shards <= MAX_SHARDS
    ? shards
    : 1;
}

/** Sort keys: `#kind#…`, ≤ 1024 characters, no control characters. */
export function assertItemKey(key: unknown): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
  if (typeof key !== 'string' || !key.startsWith('#') || key.length > 1024 || /[\x00-\x1f\x7f]/.test(key)) {
    throw new InvalidKeyError(
      'table.invalidKey',
      'key: must start with #, be at most 1024 characters, no control characters',
    );
  }
  return key;
}

export interface QueryOptions {
  /** Items whose key begins with this (e.g. `#job#`). */
  readonly prefix?: string;
  readonly limit?: number;
  /** Opaque cursor from a previous page. */
  readonly cursor?: string;
  /** Newest first when false. Default true. */
  readonly forward?: boolean;
  readonly consistent?: boolean;
  /** Extra filter applied after the key condition. */
  readonly filter?: Condition;
}

export interface Page {
  readonly items: Item[];
  readonly cursor?: string;
}

/**
 * The only way to the table for tenant data: every key and item gets the context's tenant as its
 * partition; no method takes a partition from its caller, and cursors are checked to stay in it.
 */
export class TenantTable {
  readonly #deps: TableDeps;
  readonly context: TenantContext;

  constructor(deps: TableDeps, context: TenantContext) {
    this.#deps = deps;
    this.context = context;
  }

  get tenant(): string {
    return this.context.tenant;
  }

  /** The item's table key: the tenant's partition (its job shard for job keys) and the sort key. */
  async #key(key: string) {
    const partition = partitionOf(this.context.tenant, assertItemKey(key), await this.#shards());
    return { [TABLE.partitionKey]: partition, [TABLE.sortKey]: key };
  }

  /** The tenant's write shards (`shards` in its profile; 1 without a profile). */
  #shards(): Promise<number> {
    return shardCounts.get(`${this.#deps.tableName}\u0000${this.context.tenant}`, () =>
      readShardCount(this.#deps, this.context.tenant),
    );
  }

  /** Forgets the cached shard count of this tenant (after its profile was written). */
  forgetShards(): void {
    shardCounts.delete(`${this.#deps.tableName}\u0000${this.context.tenant}`);
  }

  /** Strips the partition from an item read back (callers never see or set it). */
  #strip(raw: Record<string, unknown> | undefined): Item | undefined {
    if (!raw) return undefined;
    const { [TABLE.partitionKey]: _tenant, ...rest } = raw;
    return rest as Item;
  }

  /** Reads one item of this tenant. */
  async get(key: string, options: { consistent?: boolean } = {}): Promise<Item | undefined> {
    const out = await this.#deps.doc.send(
      new GetCommand({
        TableName: this.#deps.tableName,
        Key: await this.#key(key),
        ConsistentRead: options.consistent,
      }),
    );
    return this.#strip(out.Item);
  }

  /**
   * Writes an item into this tenant's partition, optionally only if `condition` holds; with
   * `returnOld`, returns the item it replaced.
   * @throws ConditionFailedError carrying the stored item when the condition fails.
   */
  async put(
    item: Item,
    options: { condition?: Condition; returnOld?: boolean } = {},
  ): Promise<Item | undefined> {
    if (TABLE.partitionKey in item && item[TABLE.partitionKey] !== this.context.tenant) {
      throw new InvalidKeyError('table.partitionInItem', 'item: may not name a tenant partition');
    }
    const key = await this.#key(item.key);
    const out = await this.#conditional(item.key, () =>
      this.#deps.doc.send(
        new PutCommand({
          TableName: this.#deps.tableName,
          Item: { ...item, ...key },
          ...(options.returnOld ? { ReturnValues: 'ALL_OLD' as const } : {}),
          ...conditionParams(options.condition),
        }),
      ),
    );
    return this.#strip(out.Attributes);
  }

  /**
   * Updates an existing item (never creates one: the key must exist) and returns it as written.
   * @throws ConditionFailedError when the item is missing or `condition` fails.
   */
  async update(key: string, spec: UpdateSpec, options: { condition?: Condition } = {}): Promise<Item> {
    const update = buildUpdate(spec);
    const exists = `attribute_exists(#uk)`;
    const expression = options.condition ? `(${options.condition.expression}) AND ${exists}` : exists;
    const tableKey = await this.#key(key);
    const out = await this.#conditional(key, () =>
      this.#deps.doc.send(
        new UpdateCommand({
          TableName: this.#deps.tableName,
          Key: tableKey,
          UpdateExpression: update.UpdateExpression,
          ConditionExpression: expression,
          ExpressionAttributeNames: mergePlaceholders(
            update.ExpressionAttributeNames,
            options.condition?.names,
            {
              '#uk': TABLE.sortKey,
            },
          ),
          ExpressionAttributeValues: mergePlaceholders(
            update.ExpressionAttributeValues,
            options.condition?.values,
          ),
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    const written = this.#strip(out.Attributes);
    if (!written) throw new Error(`update of ${key} returned no item`);
    return written;
  }

  /** Deletes an item of this tenant, optionally only if `condition` holds. */
  async delete(key: string, options: { condition?: Condition } = {}): Promise<void> {
    const tableKey = await this.#key(key);
    await this.#conditional(key, () =>
      this.#deps.doc.send(
        new DeleteCommand({
          TableName: this.#deps.tableName,
          Key: tableKey,
          ...conditionParams(options.condition),
        }),
      ),
    );
  }

  /**
   * Writes many items unconditionally (BatchWriteItem, 25 per call), retrying unprocessed items
   * with backoff. For emitted assets and risks, where the last writer wins.
   */
  async putMany(items: readonly Item[]): Promise<void> {
    for (const item of items) {
      if (TABLE.partitionKey in item && item[TABLE.partitionKey] !== this.context.tenant) {
        throw new InvalidKeyError('table.partitionInItem', 'item: may not name a tenant partition');
      }
    }
    const keys = await Promise.all(items.map((item) => this.#key(item.key)));
    for (let i = 0; i < items.length; i += 25) {
      let requests: { PutRequest: { Item: Record<string, unknown> } }[] = items
        .slice(i, i + 25)
        .map((item, j) => ({ PutRequest: { Item: { ...item, ...keys[i + j] } } }));
      for (let round = 0; requests.length > 0; round++) {
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 25 * 2 ** round)));
        if (round > 8) {
          throw new TenancyError(
            'table.unprocessed',
            `BatchWriteItem left ${requests.length} items unprocessed`,
          );
        }
        const out = await this.#deps.doc.send(
          new BatchWriteCommand({ RequestItems: { [this.#deps.tableName]: requests } }),
        );
        requests = (out.UnprocessedItems?.[this.#deps.tableName] ?? []).flatMap((r) =>
          r.PutRequest?.Item ? [{ PutRequest: { Item: r.PutRequest.Item } }] : [],
        );
      }
    }
  }

  /**
   * One page of this tenant's items by key prefix, in key order (`forward: false` reverses it).
   * A filter is applied after the read, so a page may hold fewer than `limit` items. A sharded
   * tenant's jobs are read from each of its shards and merged in order (see `mergePages`).
   */
  async query(options: QueryOptions = {}): Promise<Page> {
    const partitions = partitionsFor(this.context.tenant, options.prefix, await this.#shards());
    const state = options.cursor ? this.#decodeCursor(options.cursor, partitions) : {};
    const active = partitions.filter((p) => state[p] !== null);
    const pages = await Promise.all(
      active.map(async (partition) => {
        const from = state[partition] ?? undefined;
        const out = await this.#deps.doc.send(this.#queryCommand(options, partition, from));
        const lastKey = out.LastEvaluatedKey?.[TABLE.sortKey];
        return {
          partition,
          items: (out.Items ?? []).map((raw) => ({ key: String(raw[TABLE.sortKey]), raw })),
          ...(typeof lastKey === 'string' ? { lastKey } : {}),
        };
      }),
    );
    const merged = mergePages(pages, options.limit ?? Number.POSITIVE_INFINITY, options.forward ?? true);
    const next = { ...state, ...merged.state };
    const items = merged.items.map((raw) => this.#strip(raw)).filter((i): i is Item => i !== undefined);
    const more = partitions.some((p) => next[p] !== null);
    return { items, ...(more ? { cursor: encodeCursor(this.context.tenant, next) } : {}) };
  }

  #queryCommand(options: QueryOptions, partition: string, from: string | undefined) {
    const names: Record<string, string> = { '#qp': TABLE.partitionKey };
    const values: Record<string, unknown> = { ':qp': partition };
    let keyCondition = '#qp = :qp';
    if (options.prefix !== undefined) {
      names['#qs'] = TABLE.sortKey;
      values[':qs'] = options.prefix;
      keyCondition += ' AND begins_with(#qs, :qs)';
    }
    return new QueryCommand({
      TableName: this.#deps.tableName,
      KeyConditionExpression: keyCondition,
      FilterExpression: options.filter?.expression,
      ExpressionAttributeNames: mergePlaceholders(names, options.filter?.names),
      ExpressionAttributeValues: mergePlaceholders(values, options.filter?.values),
      Limit: options.limit,
      ScanIndexForward: options.forward ?? true,
      ConsistentRead: options.consistent,
      ExclusiveStartKey:
        from === undefined ? undefined : { [TABLE.partitionKey]: partition, [TABLE.sortKey]: from },
    });
  }

  /** A cursor is only honoured inside this tenant's partitions: a crafted one cannot cross tenants. */
  #decodeCursor(cursor: string, partitions: readonly string[]): CursorState {
    const invalid = () => new InvalidKeyError('table.invalidCursor', 'cursor: not a cursor this API issued');
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      throw invalid();
    }
    if (typeof decoded !== 'object' || decoded === null) throw invalid();
    const { t, p } = decoded as { t?: unknown; p?: unknown };
    if (t !== this.context.tenant || typeof p !== 'object' || p === null) throw invalid();
    const state: Record<string, string | null> = {};
    for (const [partition, from] of Object.entries(p)) {
      if (!partitions.includes(partition)) throw invalid();
      if (from === null) state[partition] = null;
      else if (typeof from === 'string') state[partition] = assertItemKey(from);
      else throw invalid();
    }
    return state;
  }

  async #conditional<T>(key: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') {
        // The stored item arrives in raw attribute-value form, even through the document client.
        const raw = (error as { Item?: Record<string, AttributeValue> }).Item;
        const stored = raw ? this.#strip(unmarshall(raw)) : undefined;
        throw new ConditionFailedError(key, stored, { cause: error });
      }
      throw error;
    }
  }
}

/** Request fields of an optional condition; a failed one returns the stored item. */
function conditionParams(condition: Condition | undefined) {
  return condition
    ? {
        ConditionExpression: condition.expression,
        ExpressionAttributeNames: condition.names,
        ExpressionAttributeValues: condition.values,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      }
    : {};
}

/**
 * Where a listing stands in each partition it reads: the last key read (the next page starts
 * after it), `null` once the partition is exhausted, absent before its first read.
 */
export type CursorState = Readonly<Record<string, string | null>>;

function encodeCursor(tenant: string, state: CursorState): string {
  return Buffer.from(JSON.stringify({ t: tenant, p: state }), 'utf8').toString('base64url');
}

/** Sort keys compare as DynamoDB orders them: by their UTF-8 bytes. */
const byKey = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** One partition's page: its items in key order and, when it has more, the last key it read. */
export interface PartitionPage<T> {
  readonly partition: string;
  readonly items: readonly { readonly key: string; readonly raw: T }[];
  readonly lastKey?: string;
}

/**
 * Merges the pages of several partitions into one page in key order. Only items up to the
 * frontier — the smallest "read up to here" of the partitions that have more — are safe to
 * return, because an unread item of such a partition may sort before anything beyond it; the rest
 * wait for the next page. Returns at most `limit` items and where each partition now stands.
 * Pure.
 */
export function mergePages<T>(
  pages: readonly PartitionPage<T>[],
  limit: number,
  forward: boolean,
): { items: T[]; state: Record<string, string | null> } {
  const order = (a: string, b: string) => (forward ? byKey(a, b) : byKey(b, a));
  const frontier = pages.flatMap((page) => (page.lastKey === undefined ? [] : [page.lastKey])).sort(order)[0];
  const candidates = pages
    .flatMap((page) => page.items.map((item) => ({ ...item, partition: page.partition })))
    .filter((item) => frontier === undefined || order(item.key, frontier) <= 0)
    .sort((a, b) => order(a.key, b.key))
    .slice(0, limit);
  const state: Record<string, string | null> = {};
  for (const page of pages) {
    const taken = candidates.filter((item) => item.partition === page.partition);
    if (taken.length === page.items.length) state[page.partition] = page.lastKey ?? null;
    else {
      const last = taken.at(-1);
      if (last) state[page.partition] = last.key;
    }
  }
  return { items: candidates.map((item) => item.raw), state };
}
