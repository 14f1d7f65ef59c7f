import { ScheduleConflictError } from '../../scheduler/errors.js';
import {
  isScheduleId,
  newScheduleId,
  parseScheduleInput,
  parseStoredSchedule,
  SCHEDULE_PREFIX,
  scheduleItem,
  scheduleKey,
} from '../../scheduler/schedule.js';
import { replaceSchedule } from '../../scheduler/update.js';
import { ConditionFailedError, type TenantTable } from '../../tenancy/index.js';
import { type RouteDeps, tableFor } from '../deps.js';
import { ApiError } from '../errors.js';
import { type Route, securedRoute } from '../routing.js';
import {
  pageQuerySchema,
  scheduleInputSchema,
  scheduleListSchema,
  scheduleParamsSchema,
  scheduleViewSchema,
} from '../schemas.js';
import { scheduleView } from '../views.js';

const TAGS = ['schedules'];

function keyOf(id: string): string {
  if (!isScheduleId(id)) throw new ApiError(404, 'schedule.notFound', 'no such schedule in this tenant');
  return scheduleKey(id);
}

async function storedSchedule(table: TenantTable, id: string) {
  const item = await table.get(keyOf(id), { consistent: true });
  if (!item) throw new ApiError(404, 'schedule.notFound', 'no such schedule in this tenant');
  return parseStoredSchedule(item);
}

function createSchedule(deps: RouteDeps): Route {
  return securedRoute({
    method: 'POST',
    url: '/v1/schedules',
    action: 'schedule:write',
    body: scheduleInputSchema,
    doc: {
      summary: 'Schedule a capability over targets, by interval (15m, 6h, 1d) or cron (5 fields)',
      description:
        'Every target is checked as a job of the capability now, so a schedule cannot hold what would ' +
        'never enqueue. The scheduler enqueues each due run through the same insert rules.',
      tags: TAGS,
      responses: { 201: { description: 'the schedule', schema: scheduleViewSchema } },
    },
    async handle({ body, ctx }) {
      const spec = parseScheduleInput(body, deps.producer.registry);
      const id = newScheduleId();
      const item = scheduleItem(spec, {
        id,
        tenant: ctx.tenant,
        now: deps.now(),
        shards: deps.config.indexShards,
        createdBy: ctx.user,
      });
      await tableFor(deps, ctx).put(item, {
        condition: { expression: 'attribute_not_exists(#sk)', names: { '#sk': 'key' } },
      });
      deps.log.info({ tenant: ctx.tenant, user: ctx.user, key: item.key }, 'schedule created');
      return { status: 201, body: scheduleView(parseStoredSchedule(item)) };
    },
  });
}

function listSchedules(deps: RouteDeps): Route {
  return securedRoute({
    method: 'GET',
    url: '/v1/schedules',
    action: 'schedule:read',
    query: pageQuerySchema,
    doc: {
      summary: "The tenant's schedules",
      tags: TAGS,
      responses: { 200: { description: 'one page', schema: scheduleListSchema } },
    },
    async handle({ query, ctx }) {
      const page = await tableFor(deps, ctx).query({
        prefix: SCHEDULE_PREFIX,
        limit: query.limit,
        ...(query.cursor ? { cursor: query.cursor } : {}),
      });
      const items = page.items.map((item) => scheduleView(parseStoredSchedule(item)));
      return { status: 200, body: { items, ...(page.cursor ? { cursor: page.cursor } : {}) } };
    },
  });
}

function getSchedule(deps: RouteDeps): Route {
  return securedRoute({
    method: 'GET',
    url: '/v1/schedules/:id',
    action: 'schedule:read',
    params: scheduleParamsSchema,
    doc: {
      summary: 'A schedule',
      tags: TAGS,
      responses: { 200: { description: 'the schedule', schema: scheduleViewSchema } },
    },
    async handle({ params, ctx }) {
      return { status: 200, body: scheduleView(await storedSchedule(tableFor(deps, ctx), params.id)) };
    },
  });
}

function deleteSchedule(deps: RouteDeps): Route {
  return securedRoute({
    method: 'DELETE',
    url: '/v1/schedules/:id',
    action: 'schedule:write',
    params: scheduleParamsSchema,
    doc: {
      summary: 'Delete a schedule (runs already enqueued are not affected)',
      tags: TAGS,
      responses: { 204: { description: 'deleted' } },
    },
    async handle({ params, ctx }) {
      const key = keyOf(params.id);
      try {
        await tableFor(deps, ctx).delete(key, {
          condition: { expression: 'attribute_exists(#sk)', names: { '#sk': 'key' } },
        });
      } catch (error) {
        if (error instanceof ConditionFailedError) {
          throw new ApiError(404, 'schedule.notFound', 'no such schedule in this tenant');
        }
        throw error;
      }
      deps.log.info({ tenant: ctx.tenant, user: ctx.user, key }, 'schedule deleted');
      return { status: 204 };
    },
  });
}

function updateSchedule(deps: RouteDeps): Route {
  return securedRoute({
    method: 'PUT',
    url: '/v1/schedules/:id',
    action: 'schedule:write',
    params: scheduleParamsSchema,
    body: scheduleInputSchema,
    doc: {
      summary:
        'Replace a schedule (capability, targets, cadence, input, enabled); the next run is computed afresh',
      description:
        'The body is the same as a create. The id, creation time, creator, run count and last run are kept. ' +
        '409 when a scheduler fired it while it was being replaced (read it and send again).',
      tags: TAGS,
      responses: { 200: { description: 'the schedule as stored', schema: scheduleViewSchema } },
    },
    async handle({ params, body, ctx }) {
      const schedule = await replaceSchedule(tableFor(deps, ctx), params.id, body, {
        registry: deps.producer.registry,
        now: deps.now(),
        shards: deps.config.indexShards,
      }).catch((error: unknown) => {
        if (!(error instanceof ScheduleConflictError)) throw error;
        throw new ApiError(error.code === 'schedule.notFound' ? 404 : 409, error.code, error.message);
      });
      deps.log.info(
        { tenant: ctx.tenant, user: ctx.user, key: scheduleKey(schedule.id) },
        'schedule updated',
      );
      return { status: 200, body: scheduleView(schedule) };
    },
  });
}

/** Schedules: create, list, read, update, delete. */
export function scheduleRoutes(deps: RouteDeps): Route[] {
  return [
    createSchedule(deps),
    listSchedules(deps),
    getSchedule(deps),
    updateSchedule(deps),
    deleteSchedule(deps),
  ];
}
