/**
 * Reading and replacing a tenant's schedules, for the API and the CLI alike.
 */
import type { CapabilityRegistry } from '../jobs/index.js';
import { ConditionFailedError, type TenantTable } from '../tenancy/index.js';
import { ScheduleConflictError } from './errors.js';
import {
  isScheduleId,
  parseScheduleInput,
  parseStoredSchedule,
  SCHEDULE_PREFIX,
  type StoredSchedule,
  scheduleKey,
  unchangedSchedule,
  updatedScheduleItem,
} from './schedule.js';

const notFound = () => new ScheduleConflictError('schedule.notFound', 'no such schedule in this tenant');

/**
 * The stored schedule `id` of the table's tenant (strongly consistent).
 * @throws ScheduleConflictError `schedule.notFound`.
 */
export async function readSchedule(table: TenantTable, id: string): Promise<StoredSchedule> {
  if (!isScheduleId(id)) throw notFound();
  const item = await table.get(scheduleKey(id), { consistent: true });
  if (!item) throw notFound();
  return parseStoredSchedule(item);
}

/** One page of the tenant's schedules. */
export async function listSchedules(
  table: TenantTable,
  options: { readonly limit?: number; readonly cursor?: string } = {},
): Promise<{ schedules: StoredSchedule[]; cursor?: string }> {
  const page = await table.query({
    prefix: SCHEDULE_PREFIX,
    limit: options.limit ?? 50,
    ...(options.cursor ? { cursor: options.cursor } : {}),
  });
  return { schedules: page.items.map(parseStoredSchedule), ...(page.cursor ? { cursor: page.cursor } : {}) };
}

/**
 * Replaces schedule `id` with `raw` (a create body): validated as a create is, the next run
 * computed afresh, id, creation, creator, run count and last run kept; only if no scheduler fired
 * it since it was read.
 * @throws ScheduleValidationError naming each bad field; ScheduleConflictError `schedule.notFound`
 *   or `schedule.changed`.
 */
export async function replaceSchedule(
  table: TenantTable,
  id: string,
  raw: unknown,
  options: { readonly registry: CapabilityRegistry; readonly now: Date; readonly shards: number },
): Promise<StoredSchedule> {
  const stored = await readSchedule(table, id);
  const spec = parseScheduleInput(raw, options.registry);
  const item = updatedScheduleItem(spec, stored, {
    tenant: table.tenant,
    now: options.now,
    shards: options.shards,
  });
  try {
    await table.put(item, { condition: unchangedSchedule(stored) });
  } catch (error) {
    if (error instanceof ConditionFailedError)
      throw new ScheduleConflictError(
        'schedule.changed',
        'the schedule changed while it was replaced; send again',
      );
    throw error;
  }
  return parseStoredSchedule(item);
}
