import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../local-aws/manifest.js';
import { assertTenantId, type TableDeps } from '../tenancy/index.js';

/** A due schedule found in the `by-due` index: its tenant comes from the table's own partition key. */
export interface DueRef {
  readonly tenant: string;
  /** The whole item (the index projects ALL), without the partition attribute. */
  readonly item: Readonly<Record<string, unknown>>;
}

/** One page of due schedules. */
export interface DuePage {
  readonly refs: DueRef[];
  readonly cursor?: Record<string, unknown>;
}

/**
 * The scheduler's cross-tenant read: one partition of the sparse `by-due` index (`dueKey` =
 * `due#{shard}`, sorted by `nextRun`), items due at or before `dueBy` — a `Query`, never a `Scan`.
 * It yields references only; claiming and firing a schedule then goes through a `TenantTable`
 * opened with `systemContext(ref.tenant, 'scheduler')`. An item whose partition is not a valid
 * tenant id is dropped here, so no code downstream sees it.
 */
export async function queryDueSchedules(
  deps: TableDeps,
  query: { dueKey: string; dueBy: string; limit?: number; cursor?: Record<string, unknown> },
): Promise<DuePage> {
  const index = TABLE.indexes.byDue;
  const out = await deps.doc.send(
    new QueryCommand({
      TableName: deps.tableName,
      IndexName: index.name,
      KeyConditionExpression: '#p = :p AND #s <= :due',
      ExpressionAttributeNames: { '#p': index.partitionKey, '#s': index.sortKey },
      ExpressionAttributeValues: { ':p': query.dueKey, ':due': query.dueBy },
      Limit: query.limit ?? 100,
      ExclusiveStartKey: query.cursor,
    }),
  );
  const refs = (out.Items ?? []).flatMap((raw) => {
    const { [TABLE.partitionKey]: tenant, ...item } = raw;
    try {
      return [{ tenant: assertTenantId(tenant), item }];
    } catch {
      return [];
    }
  });
  return { refs, ...(out.LastEvaluatedKey ? { cursor: out.LastEvaluatedKey } : {}) };
}
