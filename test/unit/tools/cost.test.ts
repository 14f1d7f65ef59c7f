import { describe, expect, it } from 'vitest';
import { costPerMillionJobs, dynamoUnits, itemSizeBytes } from '../../../tools/bench/cost.js';
import { PRICES, priceKeyOf } from '../../../tools/bench/prices.js';

describe('Function: priceKeyOf', () => {
  it.each([
    ['SQS.ReceiveMessage', 'sqsRequest'],
    ['SQS.SendMessageBatch', 'sqsRequest'],
    ['SNS.Publish', 'snsRequest'],
    ['S3.PutObject', 's3Put'],
    ['S3.ListObjectsV2', 's3Put'],
    ['S3.GetObject', 's3Get'],
    ['S3.DeleteObject', undefined],
    ['SecretsManager.GetSecretValue', 'secretsManagerCall'],
    ['KMS.Decrypt', 'kmsRequest'],
    ['STS.AssumeRole', undefined],
    ['DynamoDB.PutItem', undefined],
  ])('%s is billed as %s', (call, key) => {
    expect(priceKeyOf(call)).toBe(key);
  });

  it('cites a source for every price', () => {
    for (const price of Object.values(PRICES)) expect(price.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
  });
});

describe('Function: dynamoUnits', () => {
  it('uses the capacity the endpoint reported, split into writes and reads', () => {
    const units = dynamoUnits({
      callsPerJob: { 'DynamoDB.PutItem': 2, 'DynamoDB.UpdateItem': 2, 'DynamoDB.GetItem': 0.1 },
      capacityPerJob: { PutItem: 4, UpdateItem: 9, GetItem: 0.05 },
    });
    expect(units).toEqual({ write: 13, read: 0.05 });
  });

  it('without a measurement assumes 1 unit per write and half per read (a floor)', () => {
    const units = dynamoUnits({
      callsPerJob: { 'DynamoDB.PutItem': 2, 'DynamoDB.UpdateItem': 2, 'DynamoDB.GetItem': 1 },
      capacityPerJob: undefined,
    });
    expect(units).toEqual({ write: 4, read: 0.5 });
  });
});

describe('Function: costPerMillionJobs', () => {
  // The floor: three ≤ 1 KB writes, one batched send/receive/delete (a tenth each), one publish.
  const floor = {
    callsPerJob: {
      'DynamoDB.PutItem': 1,
      'DynamoDB.UpdateItem': 2,
      'SQS.SendMessageBatch': 0.1,
      'SQS.ReceiveMessage': 0.1,
      'SQS.DeleteMessageBatch': 0.1,
      'SNS.Publish': 1,
      'S3.PutObject': 1,
    },
    capacityPerJob: { PutItem: 1, UpdateItem: 2 },
  };

  it('itemizes the bill and keeps the S3 result PUT out of the engine overhead', () => {
    const cost = costPerMillionJobs(floor);
    const line = (item: string) => cost.lines.find((l) => l.item === item)?.usdPerMillionJobs;
    expect(line('DynamoDB write units')).toBeCloseTo(3 * 0.625);
    expect(line('SQS requests')).toBeCloseTo(0.3 * 0.4);
    expect(line('SNS requests')).toBeCloseTo(0.5);
    expect(line('S3 result PUT')).toBeCloseTo(5);
    expect(cost.engineUsd).toBeCloseTo(1.875 + 0.12 + 0.5);
    expect(cost.resultUsd).toBeCloseTo(5);
    expect(cost.totalUsd).toBeCloseTo(cost.engineUsd + 5);
    expect(cost.capacityMeasured).toBe(true);
    expect(cost.indexesReported).toBe(false);
  });

  it('prices index maintenance through the measured capacity', () => {
    const withIndexes = costPerMillionJobs({
      ...floor,
      capacityPerJob: { PutItem: 4, UpdateItem: 9, 'UpdateItem (indexes)': 6 },
    });
    expect(withIndexes.indexesReported).toBe(true);
    expect(withIndexes.engineUsd - costPerMillionJobs(floor).engineUsd).toBeCloseTo(10 * 0.625);
  });
});

describe('Function: itemSizeBytes', () => {
  it.each([
    { item: { a: 'xyz' }, bytes: 1 + 3 },
    { item: { n: 12345 }, bytes: 1 + 4 },
    { item: { b: true, z: null }, bytes: 2 + 2 },
    { item: { l: ['ab', 'c'] }, bytes: 1 + 3 + (1 + 2) + (1 + 1) },
    { item: { m: { k: 'v' } }, bytes: 1 + 3 + 1 + 1 + 1 },
    { item: { é: 'é' }, bytes: 2 + 2 },
  ])('sizes $item as $bytes bytes', ({ item, bytes }) => {
    expect(itemSizeBytes(item)).toBe(bytes);
  });
});
