import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type TableDescription,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { IndexSpec, Manifest } from '../manifest.js';
import { isAwsError, isUnsupported, type StepLog } from './report.js';

type TableSpec = Manifest['table'];

/** Key attributes of the table and every index, each declared once as a string. */
export function attributeDefinitions(spec: TableSpec): AttributeDefinition[] {
  const names = new Set([
    spec.partitionKey,
    spec.sortKey,
    ...spec.indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ]);
  return [...names].map((name) => ({ AttributeName: name, AttributeType: 'S' }));
}

export function gsiDefinition(index: IndexSpec): GlobalSecondaryIndex {
  return {
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' },
      { AttributeName: index.sortKey, KeyType: 'RANGE' },
    ],
    Projection: {
      ProjectionType: index.projection,
      ...(index.nonKeyAttributes ? { NonKeyAttributes: [...index.nonKeyAttributes] } : {}),
    },
  };
}

async function describe(db: DynamoDBClient, name: string): Promise<TableDescription | undefined> {
  try {
    return (await db.send(new DescribeTableCommand({ TableName: name }))).Table;
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) return undefined;
    throw error;
  }
}

async function waitActive(db: DynamoDBClient, name: string): Promise<TableDescription> {
  for (let i = 0; i < 600; i++) {
    const table = await describe(db, name);
    const indexesReady = (table?.GlobalSecondaryIndexes ?? []).every(
      (g) => (g.IndexStatus ?? 'ACTIVE') === 'ACTIVE',
    );
    if (table?.TableStatus === 'ACTIVE' && indexesReady) return table;
    await sleep(100);
  }
  throw new Error(`table ${name} did not become ACTIVE`);
}

async function ensureIndexes(db: DynamoDBClient, spec: TableSpec, table: TableDescription, log: StepLog) {
  const present = new Set((table.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName));
  for (const index of spec.indexes) {
    if (present.has(index.name)) {
      log.add({ resource: 'index', name: index.name, action: 'unchanged' });
      continue;
    }
    // DynamoDB creates one index per UpdateTable call.
    await db.send(
      new UpdateTableCommand({
        TableName: spec.name,
        AttributeDefinitions: attributeDefinitions(spec),
        GlobalSecondaryIndexUpdates: [{ Create: gsiDefinition(index) }],
      }),
    );
    await waitActive(db, spec.name);
    log.add({ resource: 'index', name: index.name, action: 'created' });
  }
}

async function ensureTtl(db: DynamoDBClient, spec: TableSpec, log: StepLog) {
  const ttl = await db.send(new DescribeTimeToLiveCommand({ TableName: spec.name }));
  const d = ttl.TimeToLiveDescription;
  if (d?.TimeToLiveStatus === 'ENABLED' && d.AttributeName === spec.ttlAttribute) {
    log.add({ resource: 'ttl', name: spec.ttlAttribute, action: 'unchanged' });
    return;
  }
  await db.send(
    new UpdateTimeToLiveCommand({
      TableName: spec.name,
      TimeToLiveSpecification: { AttributeName: spec.ttlAttribute, Enabled: true },
    }),
  );
  log.add({ resource: 'ttl', name: spec.ttlAttribute, action: 'created' });
}

async function ensurePitr(db: DynamoDBClient, spec: TableSpec, log: StepLog) {
  if (!spec.pointInTimeRecovery) return;
  try {
    const out = await db.send(new DescribeContinuousBackupsCommand({ TableName: spec.name }));
    const status =
      out.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus;
    if (status === 'ENABLED') {
      log.add({ resource: 'pitr', name: spec.name, action: 'unchanged' });
      return;
    }
    await db.send(
      new UpdateContinuousBackupsCommand({
        TableName: spec.name,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    );
    log.add({ resource: 'pitr', name: spec.name, action: 'created' });
  } catch (error) {
    if (!isUnsupported(error)) throw error;
    log.add({
      resource: 'pitr',
      name: spec.name,
      action: 'unsupported',
      detail: 'endpoint has no continuous backups',
    });
  }
}

/** Creates or converges the single table: indexes, TTL, point-in-time recovery, encryption. */
export async function ensureTable(db: DynamoDBClient, spec: TableSpec, log: StepLog): Promise<void> {
  let table = await describe(db, spec.name);
  if (!table) {
    await db.send(
      new CreateTableCommand({
        TableName: spec.name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: attributeDefinitions(spec),
        KeySchema: [
          { AttributeName: spec.partitionKey, KeyType: 'HASH' },
          { AttributeName: spec.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: spec.indexes.map(gsiDefinition),
        ...(spec.encryption ? { SSESpecification: { Enabled: true } } : {}),
      }),
    );
    table = await waitActive(db, spec.name);
    log.add({
      resource: 'table',
      name: spec.name,
      action: 'created',
      detail: `${spec.indexes.length} indexes`,
    });
  } else {
    log.add({ resource: 'table', name: spec.name, action: 'unchanged' });
    await ensureIndexes(db, spec, table, log);
  }
  await ensureTtl(db, spec, log);
  await ensurePitr(db, spec, log);
}
