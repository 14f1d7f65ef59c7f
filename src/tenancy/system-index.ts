import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../local-aws/manifest.js';
import { assertTenantId } from './context.js';
import type { TableDeps } from './table.js';

/** A job found by the sweeper index: its tenant comes from the table's own partition key. */
export interface SweepRef {
  readonly tenant: string;
  readonly key: string;
  readonly status: string;
  readonly updated: string;
  readonly leaseUntil?: string;
  readonly asyncDeadline?: string;
}

/**
 * The one sanctioned cross-tenant read: the sweeper index (`sweepKey` = `CODE#shard`, sorted by
 * `updated`). It yields references only; reading or writing a job then goes through a
 * `TenantTable` opened with `systemContext(ref.tenant, …)`.
 */
export async function querySweepIndex(
  deps: TableDeps,
  query: { sweepKey: string; updatedBefore: string; limit?: number; cursor?: Record<string, unknown> },
): Promise<{ refs: SweepRef[]; cursor?: Record<string, unknown> }> {
  const index = TABLE.indexes.bySweep;
  const out = await deps.doc.send(
    new QueryCommand({
      TableName: deps.tableName,
      IndexName: index.name,
      KeyConditionExpression: '#p = :p AND #s < :before',
      ExpressionAttributeNames: { '#p': index.partitionKey, '#s': index.sortKey },
      ExpressionAttributeValues: { ':p': query.sweepKey, ':before': query.updatedBefore },
      Limit: query.limit ?? 100,
      ExclusiveStartKey: query.cursor,
    }),
  );
  const refs = (out.Items ?? []).map((item) => ({
    tenant: assertTenantId(item[TABLE.partitionKey]),
    key: String(item[TABLE.sortKey]),
    status: String(item.status),
    updated: String(item.updated),
    ...(typeof item.leaseUntil === 'string' ? { leaseUntil: item.leaseUntil } : {}),
    ...(typeof item.asyncDeadline === 'string' ? { asyncDeadline: item.asyncDeadline } : {}),
  }));
  return { refs, ...(out.LastEvaluatedKey ? { cursor: out.LastEvaluatedKey } : {}) };
}
