import { describe, expect, it } from 'vitest';
import {
  mergePages,
  type PartitionPage,
  partitionOf,
  partitionsFor,
  shardOfKey,
  splitPartition,
} from '../../../src/tenancy/index.js';

describe('Function: partitionOf / partitionsFor / splitPartition', () => {
  it('puts only job keys of a sharded tenant under tenant#n, the same n for the same key', () => {
    expect(partitionOf('acme', '#job#a.example.com#noop', 1)).toBe('acme');
    const n = shardOfKey('#job#a.example.com#noop', 4);
    expect(partitionOf('acme', '#job#a.example.com#noop', 4)).toBe(`acme#${n}`);
    expect(partitionOf('acme', '#tenant', 4)).toBe('acme');
    expect(partitionOf('acme', '#asset#host#a', 4)).toBe('acme');
  });

  it('spreads keys over every shard', () => {
    const shards = new Set(Array.from({ length: 200 }, (_, i) => shardOfKey(`#job#t${i}#noop`, 16)));
    expect(shards.size).toBe(16);
  });

  it('reads the job shards for a job prefix, the plain partition otherwise, both for a shorter prefix', () => {
    expect(partitionsFor('acme', '#job#', 1)).toEqual(['acme']);
    expect(partitionsFor('acme', '#job#a', 2)).toEqual(['acme#0', 'acme#1']);
    expect(partitionsFor('acme', '#asset#', 2)).toEqual(['acme']);
    expect(partitionsFor('acme', undefined, 2)).toEqual(['acme', 'acme#0', 'acme#1']);
    expect(partitionsFor('acme', '#j', 2)).toEqual(['acme', 'acme#0', 'acme#1']);
  });

  it('splits a stored partition value into tenant and shard', () => {
    expect(splitPartition('acme')).toEqual({ tenant: 'acme' });
    expect(splitPartition('acme#12')).toEqual({ tenant: 'acme', shard: 12 });
  });
});

describe('Function: mergePages', () => {
  const page = (partition: string, keys: string[], lastKey?: string): PartitionPage<string> => ({
    partition,
    items: keys.map((key) => ({ key, raw: `${partition}:${key}` })),
    ...(lastKey ? { lastKey } : {}),
  });

  it('merges exhausted partitions in key order up to the limit, and says where each stands', () => {
    const merged = mergePages(
      [page('a#0', ['#job#1', '#job#4']), page('a#1', ['#job#2', '#job#3'])],
      3,
      true,
    );
    expect(merged.items).toEqual(['a#0:#job#1', 'a#1:#job#2', 'a#1:#job#3']);
    expect(merged.state).toEqual({ 'a#0': '#job#1', 'a#1': null });
  });

  it('returns nothing beyond the frontier of a partition that has more (its unread items may sort first)', () => {
    const merged = mergePages(
      [page('a#0', ['#job#1'], '#job#2'), page('a#1', ['#job#3', '#job#5'])],
      10,
      true,
    );
    expect(merged.items).toEqual(['a#0:#job#1']);
    // a#0 continues after its last read key; a#1 was not consumed, so it starts over.
    expect(merged.state).toEqual({ 'a#0': '#job#2' });
  });

  it('moves past a partition whose page was all filtered out', () => {
    const merged = mergePages([page('a#0', [], '#job#7'), page('a#1', ['#job#9'])], 10, true);
    expect(merged.items).toEqual([]);
    expect(merged.state).toEqual({ 'a#0': '#job#7' });
  });

  it('merges newest-last keys first when reading backwards', () => {
    const merged = mergePages([page('a#0', ['#job#4', '#job#1']), page('a#1', ['#job#3'])], 2, false);
    expect(merged.items).toEqual(['a#0:#job#4', 'a#1:#job#3']);
    expect(merged.state).toEqual({ 'a#0': '#job#4', 'a#1': null });
  });

  it('orders keys by their UTF-8 bytes, as DynamoDB does', () => {
    // U+FF5E sorts before U+1F600 in UTF-8 but after it in UTF-16 code units.
    const merged = mergePages([page('a#0', ['#job#\u{1F600}']), page('a#1', ['#job#\uFF5E'])], 2, true);
    expect(merged.items).toEqual(['a#1:#job#\uFF5E', 'a#0:#job#\u{1F600}']);
  });
});
