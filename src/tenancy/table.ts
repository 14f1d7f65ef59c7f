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
import { TABLE } from '../local-aws/manifest.js';
import type { TenantContext } from './context.js';
import { ConditionFailedError, InvalidKeyError, TenancyError } from './errors.js';
import { buildUpdate, type Condition, mergePlaceholders, type UpdateSpec } from './expressions.js';

/** A stored item as the caller sees it: the tenant partition is implied by the context. */
export type Item = Readonly<Record<string, unknown>> & { readonly key: string };

export interface TableDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
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

  #key(key: string) {
    return { [TABLE.partitionKey]: this.context.tenant, [TABLE.sortKey]: assertItemKey(key) };
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
        Key: this.#key(key),
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
    const out = await this.#conditional(item.key, () =>
      this.#deps.doc.send(
        new PutCommand({
          TableName: this.#deps.tableName,
          Item: { ...item, ...this.#key(item.key) },
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
    const out = await this.#conditional(key, () =>
      this.#deps.doc.send(
        new UpdateCommand({
          TableName: this.#deps.tableName,
          Key: this.#key(key),
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
    await this.#conditional(key, () =>
      this.#deps.doc.send(
        new DeleteCommand({
          TableName: this.#deps.tableName,
          Key: this.#key(key),
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
    for (let i = 0; i < items.length; i += 25) {
      let requests: { PutRequest: { Item: Record<string, unknown> } }[] = items
        .slice(i, i + 25)
        .map((item) => ({ PutRequest: { Item: { ...item, ...this.#key(item.key) } } }));
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
   * A filter is applied after the read, so a page may hold fewer than `limit` items.
   */
  async query(options: QueryOptions = {}): Promise<Page> {
    const names: Record<string, string> = { '#qp': TABLE.partitionKey };
    const values: Record<string, unknown> = { ':qp': this.context.tenant };
    let keyCondition = '#qp = :qp';
    if (options.prefix !== undefined) {
      names['#qs'] = TABLE.sortKey;
      values[':qs'] = options.prefix;
      keyCondition += ' AND begins_with(#qs, :qs)';
    }
    const out = await this.#deps.doc.send(
      new QueryCommand({
        TableName: this.#deps.tableName,
        KeyConditionExpression: keyCondition,
        FilterExpression: options.filter?.expression,
        ExpressionAttributeNames: mergePlaceholders(names, options.filter?.names),
        ExpressionAttributeValues: mergePlaceholders(values, options.filter?.values),
        Limit: options.limit,
        ScanIndexForward: options.forward ?? true,
        ConsistentRead: options.consistent,
        ExclusiveStartKey: options.cursor ? this.#decodeCursor(options.cursor) : undefined,
      }),
    );
    const items = (out.Items ?? []).map((raw) => this.#strip(raw)).filter((i): i is Item => i !== undefined);
    return { items, ...(out.LastEvaluatedKey ? { cursor: encodeCursor(out.LastEvaluatedKey) } : {}) };
  }

  /** A cursor is only honoured inside this tenant's partition: a crafted one cannot cross tenants. */
  #decodeCursor(cursor: string): Record<string, unknown> {
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      throw new InvalidKeyError('table.invalidCursor', 'cursor: not a cursor this API issued');
    }
    if (
      typeof decoded !== 'object' ||
      decoded === null ||
      (decoded as Record<string, unknown>)[TABLE.partitionKey] !== this.context.tenant
    ) {
      throw new InvalidKeyError('table.invalidCursor', 'cursor: not a cursor this API issued');
    }
    return decoded as Record<string, unknown>;
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

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}
