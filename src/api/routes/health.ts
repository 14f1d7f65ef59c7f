import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { coerceError, errorName } from '../../lib/errors.js';
import { PROMETHEUS_TEXT } from '../../lib/status-server.js';
import type { RouteDeps } from '../deps.js';
import { publicRoute, type Route } from '../routing.js';
import { healthSchema, readySchema } from '../schemas.js';

const TAGS = ['operations'];
/** A readiness probe must answer before the orchestrator's own timeout. */
const CHECK_TIMEOUT_MS = 2_000;

async function check(name: string, deps: RouteDeps, call: (signal: AbortSignal) => Promise<unknown>) {
  try {
    await call(AbortSignal.timeout(CHECK_TIMEOUT_MS));
    return [name, 'ok'] as const;
  } catch (error) {
    deps.log.warn({ check: name, error: coerceError(error) }, 'readiness check failed');
    return [name, `unavailable (${errorName(error) ?? 'error'})`] as const;
  }
}

/** `/healthz` (the process answers), `/readyz` (DynamoDB and SQS answer), `/metrics` (Prometheus). */
export function healthRoutes(deps: RouteDeps): Route[] {
  return [
    publicRoute({
      method: 'GET',
      url: '/healthz',
      doc: {
        summary: 'Liveness',
        tags: TAGS,
        responses: { 200: { description: 'alive', schema: healthSchema } },
      },
      async handle() {
        return { status: 200, body: { status: 'ok' } };
      },
    }),
    publicRoute({
      method: 'GET',
      url: '/readyz',
      doc: {
        summary: 'Readiness: the table and the jobs queue answer',
        tags: TAGS,
        responses: {
          200: { description: 'ready', schema: readySchema },
          503: { description: 'a dependency does not answer', schema: readySchema },
        },
      },
      async handle() {
        const checks = await Promise.all([
          check('dynamodb', deps, (abortSignal) =>
            deps.clients.dynamodb.send(new DescribeTableCommand({ TableName: deps.config.resources.table }), {
              abortSignal,
            }),
          ),
          check('sqs', deps, (abortSignal) =>
            deps.clients.sqs.send(
              new GetQueueAttributesCommand({ QueueUrl: deps.queueUrl, AttributeNames: ['QueueArn'] }),
              { abortSignal },
            ),
          ),
        ]);
        const ready = checks.every(([, state]) => state === 'ok');
        return {
          status: ready ? 200 : 503,
          body: { status: ready ? 'ready' : 'unavailable', checks: Object.fromEntries(checks) },
        };
      },
    }),
    publicRoute({
      method: 'GET',
      url: '/metrics',
      doc: {
        summary:
          'Prometheus metrics: HTTP requests by route and status, jobs enqueued by tenant, capability and result',
        tags: TAGS,
        responses: { 200: { description: 'text exposition format' } },
      },
      async handle() {
        const text = deps.telemetry.prometheus;
        if (!text) return { status: 404, body: { error: { code: 'route.notFound', message: 'no metrics' } } };
        return { status: 200, body: await text(), contentType: PROMETHEUS_TEXT };
      },
    }),
  ];
}
