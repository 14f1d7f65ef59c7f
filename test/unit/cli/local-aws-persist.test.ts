import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dynamoDbLocalArgs } from '../../../src/local-aws/dynamodb-local.js';
import { elasticMqConf } from '../../../src/local-aws/elasticmq.js';
import { LocalAwsError, startLocalAws } from '../../../src/local-aws/index.js';

const files = { jar: '/opt/ddb/DynamoDBLocal.jar', lib: '/opt/ddb/DynamoDBLocal_lib' };

describe('Function: dynamoDbLocalArgs', () => {
  it('runs in memory by default, and on a database file in the data directory with one', () => {
    // Act
    const memory = dynamoDbLocalArgs(files, 8000);
    const kept = dynamoDbLocalArgs(files, 8000, '/data/dynamodb-local');

    // Assess
    expect(memory).toContain('-inMemory');
    expect(memory).not.toContain('-dbPath');
    expect(kept).not.toContain('-inMemory');
    expect(kept.slice(kept.indexOf('-dbPath'), kept.indexOf('-dbPath') + 2)).toEqual([
      '-dbPath',
      '/data/dynamodb-local',
    ]);
    expect(kept).toContain('-sharedDb');
  });
});

describe('Function: elasticMqConf', () => {
  it('keeps queues and messages only when given a data directory', () => {
    // Act
    const memory = elasticMqConf(9324);
    const kept = elasticMqConf(9324, '/data/elasticmq');

    // Assess
    expect(memory).not.toMatch(/storage/);
    expect(kept).toMatch(/queues-storage \{\s+enabled = true\s+path = "\/data\/elasticmq\/queues\.conf"/);
    expect(kept).toMatch(
      /messages-storage \{\s+enabled = true\s+uri = "jdbc:h2:\/data\/elasticmq\/messages"/,
    );
  });
});

describe('Function: startLocalAws', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'scanq-persist-'));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it('refuses to keep data on the default profile (moto cannot), before starting anything', async () => {
    await expect(
      startLocalAws({
        profile: 'default',
        mode: 'system',
        detached: false,
        stateDir,
        dataDir: join(stateDir, 'data'),
      }),
    ).rejects.toThrow(LocalAwsError);
  });
});
