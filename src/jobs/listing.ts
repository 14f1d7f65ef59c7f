import type { Condition } from '../tenancy/expressions.js';
import type { TenantTable } from '../tenancy/table.js';
import { JOB_KEY_PREFIX } from './keys.js';
import { type JobRecord, parseJobRecord } from './record.js';
import { type StatusCode, statusPrefix } from './status.js';

/**
 * Reading jobs outside the worker: every read parses the stored item once into a `JobRecord`, so
 * the API, the CLI, the producer and the sweeper never coerce a stored field by hand.
 */

/** What a listing of a tenant's jobs may be narrowed to. */
export interface JobListFilter {
  readonly status?: StatusCode;
  readonly capability?: string;
}

/**
 * A tenant's jobs are listed from the table itself, in key order, with status and capability as
 * a filter: no index is kept per job for listing (each would cost write units on every insert,
 * claim and finish). The `CODE#` prefix keeps `JR` from matching `JRA`.
 */
export function jobListQuery(filter: JobListFilter): { prefix: string; filter?: Condition } {
  const clauses: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  if (filter.status) {
    clauses.push('begins_with(#ls, :ls)');
    names['#ls'] = 'status';
    values[':ls'] = statusPrefix(filter.status);
  }
  if (filter.capability) {
    clauses.push('#lc = :lc');
    names['#lc'] = 'capability';
    values[':lc'] = filter.capability;
  }
  return {
    prefix: JOB_KEY_PREFIX,
    ...(clauses.length > 0 ? { filter: { expression: clauses.join(' AND '), names, values } } : {}),
  };
}

/**
 * One stored job of the table's tenant, parsed; undefined when there is none.
 * @throws InvalidJobRecordError when the stored item is not a valid job.
 */
export async function readJob(
  table: TenantTable,
  key: string,
  options: { readonly consistent?: boolean } = {},
): Promise<JobRecord | undefined> {
  const item = await table.get(key, options);
  return item ? parseJobRecord(item) : undefined;
}

/** One page of the tenant's jobs, parsed (see `jobListQuery` for order and filters). */
export async function listJobs(
  table: TenantTable,
  options: JobListFilter & {
    readonly limit?: number;
    readonly cursor?: string;
    readonly consistent?: boolean;
  },
): Promise<{ jobs: JobRecord[]; cursor?: string }> {
  const page = await table.query({
    ...jobListQuery(options),
    ...(options.limit === undefined ? {} : { limit: options.limit }),
    ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
    ...(options.consistent === undefined ? {} : { consistent: options.consistent }),
  });
  return { jobs: page.items.map(parseJobRecord), ...(page.cursor ? { cursor: page.cursor } : {}) };
}
