import { createHash } from 'node:crypto';
import { JOB_KEY_PREFIX } from '../jobs/keys.js';

/** Most write shards a tenant may have (`shards` in its profile). */
export const MAX_SHARDS = 64;

/**
 * Write sharding of a hot tenant: with `shards` S > 1 in its profile, its job items live under the
 * partitions `tenant#0` … `tenant#{S-1}`, chosen by a hash of the job key, so every job write
 * stays one item in one partition and the tenant's write ceiling grows S-fold. Everything else
 * (profile, accounts, schedules, findings, audit) stays under the plain `tenant` partition. With
 * S = 1 (the default) jobs stay under `tenant` too: the layout before sharding.
 */
export function isShardedKey(key: string): boolean {
  return key.startsWith(JOB_KEY_PREFIX);
}

/** Shard of a key among `shards`: a hash, so the same key always lands in the same shard. */
export function shardOfKey(key: string, shards: number): number {
  return createHash('sha1').update(key).digest().readUInt32BE(0) % shards;
}

/** The partition value of an item of `tenant` with `key` when the tenant has `shards` shards. */
export function partitionOf(tenant: string, key: string, shards: number): string {
  return shards > 1 && isShardedKey(key) ? `${tenant}#${shardOfKey(key, shards)}` : tenant;
}

/** Every partition a query with `prefix` has to read for a tenant with `shards` shards. */
export function partitionsFor(tenant: string, prefix: string | undefined, shards: number): string[] {
  if (shards <= 1) return [tenant];
  const jobs = Array.from({ length: shards }, (_, n) => `${tenant}#${n}`);
  const p = prefix ?? '';
  if (p.startsWith(JOB_KEY_PREFIX)) return jobs;
  // A shorter prefix (`#`, `#j`) matches job keys and others alike.
  return JOB_KEY_PREFIX.startsWith(p) ? [tenant, ...jobs] : [tenant];
}

/** The tenant (and shard, if any) a stored partition value names: `acme` or `acme#3`. */
export function splitPartition(value: string): { readonly tenant: string; readonly shard?: number } {
  const hash = value.lastIndexOf('#');
  if (hash < 0) return { tenant: value };
  return { tenant: value.slice(0, hash), shard: Number(value.slice(hash + 1)) };
}
