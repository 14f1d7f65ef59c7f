import { type DlqEntry, dlqDepth, listDlq, redriveDlq } from '../../workers/dlq.js';
import { auditOperator, requireOperator } from '../board/operator.js';
import { lazyResources } from '../board/resources.js';
import type { RouteDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { type Route, securedRoute } from '../routing.js';
import { dlqListQuerySchema, dlqListSchema, redriveBodySchema, redriveReportSchema } from '../schemas.js';

const TAGS = ['board'];

/**
 * `GET /v1/dlq` and `POST /v1/dlq/redrive`: the dead-letter queue for operators (admins of
 * SCANQ_OPERATOR_TENANT) only, since it holds every tenant's messages. The same tools as `scanq dlq`;
 * every redrive, and every refused attempt, is audited.
 */
export function dlqRoutes(deps: RouteDeps): Route[] {
  const queues = lazyResources(deps);
  return [
    securedRoute({
      method: 'GET',
      url: '/v1/dlq',
      action: 'dlq:manage',
      query: dlqListQuerySchema,
      doc: {
        summary: 'Messages in the dead-letter queue with why they are there (operators)',
        description:
          'Lists without consuming: each listed message is held hidden for a moment and released, and its ' +
          'receive count goes up by one. Operators only (admins of SCANQ_OPERATOR_TENANT).',
        tags: TAGS,
        responses: { 200: { description: 'the messages', schema: dlqListSchema } },
      },
      async handle({ ctx, query }) {
        await requireOperator(deps, ctx, 'dlq:list', 'dlq');
        const { dlqUrl } = await queues();
        const depth = await dlqDepth(deps.clients.sqs, dlqUrl);
        const items = await listDlq(deps.clients.sqs, dlqUrl, { max: query.max, log: deps.log });
        return { status: 200, body: { items, depth } };
      },
    }),
    securedRoute({
      method: 'POST',
      url: '/v1/dlq/redrive',
      action: 'dlq:manage',
      body: redriveBodySchema,
      doc: {
        summary: 'Send one DLQ message, a tenant’s, or all back to the jobs queue (operators, audited)',
        description:
          'The body must say `confirm: true`. With `messageId` only that message moves; with `tenant` only ' +
          'that tenant’s. 200 with what moved; a message that could not be sent stays in the DLQ (`failed`).',
        tags: TAGS,
        responses: { 200: { description: 'what moved', schema: redriveReportSchema } },
      },
      async handle({ ctx, body }) {
        const target = body.messageId ?? (body.tenant ? `tenant:${body.tenant}` : 'all');
        await requireOperator(deps, ctx, 'dlq:redrive', target);
        const queuesNow = await queues();
        const { messageId, tenant } = body;
        const filter =
          messageId !== undefined
            ? (entry: DlqEntry) =>
                entry.messageId === messageId && (tenant === undefined || entry.tenant === tenant)
            : tenant !== undefined
              ? (entry: DlqEntry) => entry.tenant === tenant
              : undefined;
        const report = await redriveDlq(deps.clients.sqs, queuesNow, {
          ...(messageId !== undefined ? { max: 1 } : {}),
          ...(filter ? { filter } : {}),
          messageGroupId: deps.config.producer.messageGroupId,
          log: deps.log,
        });
        await auditOperator(deps, ctx, { action: 'dlq:redrive', key: target, authorized: true });
        deps.log.info({ tenant: ctx.tenant, user: ctx.user, key: target, ...report }, 'dlq redrive');
        if (messageId !== undefined && report.moved + report.failed + report.duplicated === 0) {
          throw new ApiError(404, 'dlq.notFound', 'no such message in the DLQ (or another reader holds it)');
        }
        return { status: 200, body: report };
      },
    }),
  ];
}
