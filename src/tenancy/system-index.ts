import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../local-aws/manifest.js';
import { assertTenantId } from './context.js';
import { splitPartition } from './shards.js';
import type { TableDeps } from './table.js';

/**
 * An open job the sweeper should look at: its tenant comes from the table's own partition key
 * (`tenant`, or `tenant#n` for a sharded tenant's job).
 */
export interface OpenRef {
  readonly tenant: string;
  readonly key: string;
  /** When the sweeper was due to look at it (the `by-open` sort key). */
  readonly sweepAt: string;
}

/**
 * The one sanctioned cross-tenant read: the sweeper's `by-open` index (`openKey` = `open#shard`,
 * sorted by `sweepAt`), keys only. It yields references; reading or writing a job then goes
 * through a `TenantTable` opened with `systemContext(ref.tenant, …)`.
 */
export async function queryOpenIndex(
  deps: TableDeps,
  query: { openKey: string; dueBefore: string; limit?: number; cursor?: Record<string, unknown> },
): Promise<{ refs: OpenRef[]; cursor?: Record<string, unknown> }> {
  const index = TABLE.indexes.byOpen;
  const out = await deps.doc.send(
    new QueryCommand({
      TableName: deps.tableName,
      IndexName: index.name,
      KeyConditionExpression: '#p = :p AND #s < :before',
      ExpressionAttributeNames: { '#p': index.partitionKey, '#s': index.sortKey },
      ExpressionAttributeValues: { ':p': query.openKey, ':before': query.dueBefore },
      Limit: query.limit ?? 100,
      ExclusiveStartKey: query.cursor,
    }),
  );
  const refs = (out.Items ?? []).map((item) => ({
    tenant: assertTenantId(splitPartition(String(item[TABLE.partitionKey])).tenant),
    key: String(item[TABLE.sortKey]),
    sweepAt: String(item[index.sortKey]),
  }));
  return { refs, ...(out.LastEvaluatedKey ? { cursor: out.LastEvaluatedKey } : {}) };
}
