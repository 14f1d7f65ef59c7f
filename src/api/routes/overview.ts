import { queueStates } from '../../aws/index.js';
import { listJobs } from '../../jobs/index.js';
import { chartPoints, type TenantCounters, windowCounters } from '../board/figures.js';
import { isOperator } from '../board/operator.js';
import { lazyResources } from '../board/resources.js';
import { MetricsSampler } from '../board/sampler.js';
import { type RouteDeps, tableFor } from '../deps.js';
import { type Route, securedRoute } from '../routing.js';
import { overviewSchema } from '../schemas.js';

/** Most jobs one overview counts in the acting tenant (pages of 100); beyond, `truncated`. */
const MAX_COUNTED = 2_000;
/** How many tenants the overview names as noisy. */
const NOISY = 5;

/** Counts the acting tenant's jobs by status, reading at most {@link MAX_COUNTED}. */
async function countJobs(deps: RouteDeps, ctx: Parameters<typeof tableFor>[1]) {
  const table = tableFor(deps, ctx);
  const byStatus: Record<string, number> = {};
  let total = 0;
  let cursor: string | undefined;
  do {
    const page = await listJobs(table, { limit: 100, ...(cursor ? { cursor } : {}) });
    for (const job of page.jobs) byStatus[job.code] = (byStatus[job.code] ?? 0) + 1;
    total += page.jobs.length;
    cursor = page.cursor;
  } while (cursor && total < MAX_COUNTED);
  return { byStatus, total, truncated: cursor !== undefined };
}

const noise = (c: TenantCounters) => c.enqueued + c.deferrals;

/**
 * `GET /v1/overview`: the ops board's first page. Every caller gets their tenant's jobs by status
 * and their throughput and dwell; an operator also gets the queues, workers, every tenant's counts
 * and the noisiest tenants (counts from the metrics, whose tenant label is bounded).
 */
export function overviewRoutes(deps: RouteDeps): Route[] {
  // Built on the first request: route definitions read their dependencies only when handling one.
  let sampler: MetricsSampler | undefined;
  const samplerOf = () => {
    sampler ??= new MetricsSampler({
      ownText: deps.telemetry.prometheus,
      urls: deps.config.board.metricsUrls,
      log: deps.log,
    });
    return sampler;
  };
  const queues = lazyResources(deps);
  return [
    securedRoute({
      method: 'GET',
      url: '/v1/overview',
      action: 'job:read',
      doc: {
        summary: 'Queue depth, in-flight, DLQ, workers, throughput and dwell, noisy tenants (ops board)',
        description:
          'A tenant user sees their own jobs by status and their throughput and dwell; an admin of the ' +
          'operator tenant (SCANQ_OPERATOR_TENANT) also sees the queues, the workers, every tenant and the ' +
          'noisiest. Charts cover the last hour the board was watched (one point per read, at most every 5 s).',
        tags: ['board'],
        responses: { 200: { description: 'the overview', schema: overviewSchema } },
      },
      async handle({ ctx }) {
        const now = deps.now();
        const operator = isOperator(deps.config, ctx);
        const [jobs, view] = await Promise.all([countJobs(deps, ctx), samplerOf().view(now.getTime())]);
        const charts = chartPoints(view.snapshots, operator ? undefined : ctx.tenant);
        const body = {
          generatedAt: now.toISOString(),
          scope: operator ? ('operator' as const) : ('tenant' as const),
          tenant: ctx.tenant,
          jobs,
          charts,
          ...(charts[0] ? { chartSince: charts[0].at } : {}),
        };
        if (!operator) return { status: 200, body };
        const { queueUrl, bulkQueueUrl, dlqUrl } = await queues();
        const [jobsQueue, bulk, dlq] = await Promise.all([
          queueStates(deps.clients.sqs, queueUrl),
          queueStates(deps.clients.sqs, bulkQueueUrl),
          queueStates(deps.clients.sqs, dlqUrl),
        ]);
        const last = view.snapshots.at(-1);
        const hour = windowCounters(view.snapshots);
        const tenants = Object.entries(last?.tenants ?? {})
          .map(([tenant, total]) => ({
            tenant,
            total,
            lastHour: hour[tenant] ?? {
              enqueued: 0,
              started: 0,
              passed: 0,
              failed: 0,
              deferrals: 0,
              deadLetters: 0,
            },
          }))
          .sort((a, b) => noise(b.lastHour) - noise(a.lastHour) || noise(b.total) - noise(a.total));
        return {
          status: 200,
          body: {
            ...body,
            queues: { jobs: jobsQueue, bulk, dlq },
            inFlight: last?.inFlight ?? 0,
            workers: { alive: view.targets.filter((t) => t.up).length, targets: view.targets.length },
            tenants,
            noisy: tenants
              .filter((t) => noise(t.lastHour) > 0)
              .slice(0, NOISY)
              .map((t) => t.tenant),
          },
        };
      },
    }),
  ];
}
