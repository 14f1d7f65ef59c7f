import type { Condition } from '../tenancy/expressions.js';
import { JOB_KEY_PREFIX } from './keys.js';
import { type StatusCode, statusPrefix } from './status.js';

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
