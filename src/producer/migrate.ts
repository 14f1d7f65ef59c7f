import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeTableCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import {
  adoptIntoOpenIndex,
  LEGACY_SWEEP_KEY,
  openKey,
  shardOf,
  statusCode,
  TERMINAL,
} from '../jobs/index.js';
import { TABLE } from '../local-aws/manifest.js';
import {
  assertTenantId,
  ConditionFailedError,
  splitPartition,
  systemContext,
  type TableDeps,
  TenantTable,
} from '../tenancy/index.js';

/** Indexes of the layout before `by-open`: a claim re-keyed both (9 write units per job). */
export const LEGACY_INDEXES = ['by-status', 'by-sweep'] as const;

export interface MigrationReport {
  /** Open jobs moved into `by-open`. */
  readonly adopted: number;
  /** Finished jobs that only lost the old sweeper key. */
  readonly cleaned: number;
  /** Jobs that changed while the migration read them (a worker moved them on), or without a status. */
  readonly skipped: number;
  /** Legacy indexes deleted from the table. */
  readonly droppedIndexes: readonly string[];
}

export interface MigrationOptions {
  readonly db: DynamoDBClient;
  /** `SCANQ_INDEX_SHARDS`. */
  readonly shards: number;
  readonly now: Date;
  /** Leave the legacy indexes in place (when terraform owns the table and drops them itself). */
  readonly keepIndexes?: boolean;
}

/**
 * Moves a table from the layout before `by-open` to the current one: every job still carrying
 * the old sweeper key is adopted into `by-open` (open) or cleaned of it (finished), by a
 * conditional update per job; then the legacy indexes are dropped (one per `UpdateTable`, as
 * DynamoDB allows). A one-off `Scan` — the only one in scanq — with a filter on the old key, so
 * a second run finds nothing to do. Safe while workers and the sweeper run.
 */
export async function migrateToOpenIndex(
  deps: TableDeps,
  options: MigrationOptions,
): Promise<MigrationReport> {
  const counts = { adopted: 0, cleaned: 0, skipped: 0 };
  // The sweeper looks at an adopted job one delay from now, as at a fresh insert.
  const sweepAt = options.now;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.doc.send(
      new ScanCommand({
        TableName: deps.tableName,
        FilterExpression: 'attribute_exists(#old)',
        ProjectionExpression: '#p, #k, #s',
        ExpressionAttributeNames: {
          '#old': LEGACY_SWEEP_KEY,
          '#p': TABLE.partitionKey,
          '#k': TABLE.sortKey,
          '#s': 'status',
        },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const tenant = assertTenantId(splitPartition(String(item[TABLE.partitionKey])).tenant);
      const key = String(item[TABLE.sortKey]);
      const status = String(item.status);
      const code = statusCode(status);
      if (code === undefined) {
        counts.skipped++;
        continue;
      }
      const open = !TERMINAL.has(code);
      const adopt = adoptIntoOpenIndex(
        { status },
        open ? { openKey: openKey(shardOf(tenant, key, options.shards)), sweepAt } : undefined,
      );
      const table = new TenantTable(deps, systemContext(tenant, 'migrate'));
      try {
        await table.update(key, adopt.update, { condition: adopt.condition });
        if (open) counts.adopted++;
        else counts.cleaned++;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
        counts.skipped++;
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
  const droppedIndexes = options.keepIndexes ? [] : await dropLegacyIndexes(options.db, deps.tableName);
  return { ...counts, droppedIndexes };
}

async function dropLegacyIndexes(db: DynamoDBClient, tableName: string): Promise<string[]> {
  const dropped: string[] = [];
  for (const name of LEGACY_INDEXES) {
    const table = (await db.send(new DescribeTableCommand({ TableName: tableName }))).Table;
    if (!(table?.GlobalSecondaryIndexes ?? []).some((g) => g.IndexName === name)) continue;
    await db.send(
      new UpdateTableCommand({
        TableName: tableName,
        GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: name } }],
      }),
    );
    dropped.push(name);
    await waitIndexGone(db, tableName, name);
  }
  return dropped;
}

async function waitIndexGone(db: DynamoDBClient, tableName: string, name: string): Promise<void> {
  for (let i = 0; i < 6_000; i++) {
    const table = (await db.send(new DescribeTableCommand({ TableName: tableName }))).Table;
    const busy = (table?.GlobalSecondaryIndexes ?? []).some((g) => g.IndexName === name);
    if (!busy && table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`index ${name} of ${tableName} was not deleted within 10 minutes`);
}
