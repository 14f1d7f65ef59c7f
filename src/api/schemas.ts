import { z } from 'zod';
import { EXPORT_FORMATS, RISK_CHANGES, RISK_STATUSES } from '../findings/index.js';
import { INSERT_RULES, SEVERITIES, STATUS_CODES } from '../jobs/index.js';
import { scheduleInputSchema } from '../scheduler/schedule.js';
import { accountCredentialsSchema, MAX_FILE_NAME_LENGTH, PRESIGN_EXPIRY } from '../tenancy/index.js';
import { profileInputSchema } from '../tenancy/profile.js';

/**
 * Every request and response shape of the API. Requests are parsed with these schemas and the
 * OpenAPI document is generated from the same objects, so the two cannot drift apart.
 */

/** Most jobs one `POST /v1/jobs` may carry. */
export const MAX_BATCH = 100;
/** Page sizes of list endpoints. */
export const PAGE = { default: 25, max: 100 } as const;

const text = (max: number) => z.string().min(1).max(max);
const iso = z.string().describe('RFC 3339 timestamp');

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().describe('stable machine-readable code, e.g. job.invalid, tenant.forbidden'),
    message: z.string(),
    fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
  requestId: z.string(),
});

// ---- jobs -------------------------------------------------------------------------------------

export const jobRequestSchema = z.strictObject({
  capability: text(64).describe('a registered capability, e.g. noop, portscan'),
  target: text(2048).describe("what to scan; normalized per the capability's target kind"),
  input: z.record(z.string(), z.unknown()).optional().describe("the capability's options"),
  allowRepeat: z.boolean().optional().describe('a later enqueue may replace this job whatever its status'),
  delaySeconds: z.number().int().min(0).max(900).optional().describe('start delay (SQS DelaySeconds, 0-900)'),
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("attempt timeout, within the capability's bounds"),
  maxAttempts: z.number().int().min(1).optional().describe("attempt budget, within the capability's bounds"),
});
export const enqueueBatchSchema = z.strictObject({ jobs: z.array(jobRequestSchema).min(1).max(MAX_BATCH) });
/** One job, or `{ jobs: [...] }`. */
export const enqueueBodySchema = z.union([enqueueBatchSchema, jobRequestSchema]);

const statusCodeSchema = z.enum(STATUS_CODES);

export const enqueueResultSchema = z.object({
  key: z.string(),
  capability: z.string(),
  target: z.string(),
  accepted: z.boolean(),
  status: statusCodeSchema.optional().describe('accepted: the status it was inserted with'),
  rule: z.enum(INSERT_RULES).optional().describe('accepted: the insert rule that let it in'),
  enqueued: z.boolean().optional().describe('accepted: false when the sweeper will send its message later'),
  reason: z.string().optional().describe('rejected: alreadyQueued, alreadyRunning, fresh, …'),
  storedStatus: statusCodeSchema.optional().describe('rejected: the status of the stored job'),
});
export const enqueueResponseSchema = z.object({
  accepted: z.number().int(),
  rejected: z.number().int(),
  results: z.array(enqueueResultSchema),
});

/** A job key as `jobKey` builds it: `#job#{target}#{capability}`, no control characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what the key may not hold
const JOB_KEY = /^#job#[^\u0000-\u001f\u007f-\u009f]+#[a-z][a-z0-9-]{0,47}$/;
export const jobKeyParamsSchema = z.object({
  key: text(1024)
    .regex(JOB_KEY, 'must be a job key #job#{target}#{capability}')
    .describe('the job key #job#{target}#{capability}, URL-encoded'),
});

export const jobViewSchema = z.object({
  key: z.string(),
  capability: z.string(),
  target: z.string(),
  status: statusCodeSchema,
  statusAt: iso,
  created: iso,
  updated: iso,
  attempt: z.number().int(),
  allowRepeat: z.boolean(),
  input: z.record(z.string(), z.unknown()),
  depth: z.number().int(),
  parent: z.string().optional(),
  root: z.string().optional(),
  error: z.string().optional(),
  errorCode: z
    .string()
    .optional()
    .describe('a stable code of the error: `cancelled` when job control ended it'),
  cancelRequested: iso
    .optional()
    .describe('job control asked the running job to stop (it ends JF cancelled)'),
  timeoutSeconds: z.number().int().optional().describe("the job's own attempt timeout"),
  maxAttempts: z.number().int().optional().describe("the job's own attempt budget"),
  asyncRef: z.string().optional(),
  history: z.array(z.object({ status: z.string(), at: iso })),
  links: z.object({ self: z.string(), result: z.string().optional() }),
});

export const jobListQuerySchema = z.strictObject({
  status: statusCodeSchema.optional(),
  capability: text(64).optional(),
  limit: z.coerce.number().int().min(1).max(PAGE.max).default(PAGE.default),
  cursor: text(4096).optional().describe('the cursor of the previous page'),
});
export const jobListSchema = z.object({ items: z.array(jobViewSchema), cursor: z.string().optional() });

export const presignedSchema = z.object({
  url: z.string(),
  method: z.enum(['GET', 'PUT']),
  key: z.string(),
  headers: z.record(z.string(), z.string()).describe('headers the client must send with the request'),
  expiresAt: iso,
});

// ---- uploads ----------------------------------------------------------------------------------

const fileName = text(MAX_FILE_NAME_LENGTH).describe('file name, sub-paths allowed (a/b.json)');
const contentType = text(255).optional();
const expiresInSeconds = z.number().int().min(PRESIGN_EXPIRY.min).max(PRESIGN_EXPIRY.max).optional();

export const uploadBodySchema = z.strictObject({ name: fileName, contentType, expiresInSeconds });
export const multipartCreateBodySchema = z.strictObject({ name: fileName, contentType });
export const multipartCreatedSchema = z.object({ key: z.string(), uploadId: z.string() });
const uploadRef = { key: text(1024), uploadId: text(1024) };
export const multipartPartsBodySchema = z.strictObject({
  ...uploadRef,
  partNumbers: z.array(z.number().int().min(1).max(10_000)).min(1).max(1000),
  expiresInSeconds,
});
export const multipartPartsSchema = z.object({
  key: z.string(),
  uploadId: z.string(),
  parts: z.array(z.object({ partNumber: z.number().int(), url: z.string(), expiresAt: iso })),
});
export const multipartCompleteBodySchema = z.strictObject({
  ...uploadRef,
  parts: z
    .array(z.strictObject({ partNumber: z.number().int().min(1).max(10_000), etag: text(256) }))
    .min(1)
    .max(10_000),
});
export const multipartAbortBodySchema = z.strictObject(uploadRef);
export const uploadedSchema = z.object({ key: z.string() });

// ---- providers and accounts -------------------------------------------------------------------

/** Cloud providers scanq can validate credentials for. */
export const PROVIDERS = ['aws'] as const;
const providerName = z.enum(PROVIDERS);

export const providerBodySchema = z.strictObject({ name: providerName, description: text(500).optional() });
export const providerViewSchema = z.object({
  name: z.string(),
  description: z.string().optional(),
  created: iso,
});

export const accountBodySchema = z.strictObject({
  provider: providerName,
  accountId: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
  name: text(200).optional(),
  credentials: accountCredentialsSchema,
});
export const credentialsBodySchema = z.strictObject({ credentials: accountCredentialsSchema });
export const accountParamsSchema = z.object({
  id: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
});
export const accountQuerySchema = z.strictObject({ provider: providerName.default('aws') });
export const accountViewSchema = z.object({
  provider: z.string(),
  accountId: z.string(),
  name: z.string().optional(),
  state: z.enum(['active', 'invalid']),
  reason: z.string().optional().describe('why the credentials were refused'),
  credentialKind: z.string(),
  validatedAt: iso,
  rotatedAt: iso.optional(),
  created: iso,
  updated: iso,
});
export const pageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(PAGE.max).default(PAGE.default),
  cursor: text(4096).optional(),
});
export const accountListSchema = z.object({
  items: z.array(accountViewSchema),
  cursor: z.string().optional(),
});

// ---- schedules and tenants --------------------------------------------------------------------

/**
 * The schedule body as the scheduler parses it, with the rules its refinement checks written into
 * the document too: exactly one of interval and cron; timezone only with cron, startAt only with
 * interval.
 */
const scheduleInputDocumented = scheduleInputSchema.meta({
  oneOf: [{ required: ['interval'] }, { required: ['cron'] }],
  dependentRequired: { timezone: ['cron'], startAt: ['interval'] },
});

export { scheduleInputDocumented as scheduleInputSchema };
export const scheduleParamsSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ -'),
});
export const scheduleViewSchema = z.object({
  id: z.string(),
  capability: z.string(),
  targets: z.array(z.string()),
  input: z.record(z.string(), z.unknown()),
  intervalMs: z.number().int().optional().describe('interval schedules: milliseconds between runs'),
  cron: z.string().optional(),
  timezone: z.string().optional(),
  enabled: z.boolean(),
  nextRun: iso,
  lastRun: iso.optional(),
  created: iso,
  updated: iso,
});
export const scheduleListSchema = z.object({
  items: z.array(scheduleViewSchema),
  cursor: z.string().optional(),
});

export const tenantParamsSchema = z.object({
  id: z
    .string()
    .regex(
      /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/,
      'must be a tenant id (1-128 of A-Z a-z 0-9 . _ @ + -)',
    ),
});
export { profileInputSchema };
export const tenantViewSchema = profileInputSchema.extend({
  id: z.string(),
  shards: z.number().int().describe("write shards of the tenant's jobs (fixed once set)"),
  created: iso,
  updated: iso,
});

// ---- operations -------------------------------------------------------------------------------

export const healthSchema = z.object({ status: z.string() });
export const readySchema = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.record(z.string(), z.string()),
});

// ---- job control --------------------------------------------------------------------------------

export const cancelResultSchema = z.object({
  key: z.string(),
  outcome: z
    .enum(['cancelled', 'stopping'])
    .describe(
      'cancelled: it never runs (JF, code cancelled); stopping: its worker ends it at its next heartbeat',
    ),
  status: statusCodeSchema,
});
export const deleteResultSchema = z.object({
  key: z.string(),
  deletedObjects: z.number().int().describe('result objects deleted with the job'),
});
export const pauseBodySchema = z
  .strictObject({
    capability: text(64).optional().describe('pause only this capability; absent: the whole tenant'),
  })
  .default({});
export const pauseStateSchema = z.object({
  all: z.boolean().describe('every capability of the tenant is paused'),
  capabilities: z.array(z.string()).describe('capabilities paused one by one'),
});
/** A POST whose path says everything (cancel, retry): no body, or `{}`. */
export const emptyBodySchema = z.strictObject({}).default({});

// ---- findings (risks and assets) --------------------------------------------------------------

const riskStatusSchema = z.enum(RISK_STATUSES);
const severitySchema = z.enum(SEVERITIES);

export const riskListQuerySchema = z.strictObject({
  status: riskStatusSchema.optional(),
  severity: severitySchema.optional(),
  asset: text(1024).startsWith('#asset#', 'must be an asset key #asset#{type}#{value}').optional(),
  capability: text(64).optional(),
  limit: z.coerce.number().int().min(1).max(PAGE.max).default(PAGE.default),
  cursor: text(4096).optional().describe('the cursor of the previous page'),
});
export const riskKeyParamsSchema = z.object({
  key: text(1024)
    .startsWith('#risk#', 'must be a risk key #risk#{assetKey}#{name}')
    .describe('the risk key, URL-encoded'),
});
export const riskViewSchema = z.object({
  key: z.string(),
  name: z.string(),
  assetKey: z.string(),
  capability: z.string(),
  severity: severitySchema,
  status: riskStatusSchema,
  firstSeen: iso,
  lastSeen: iso,
  seenCount: z.number().int(),
  lastJob: z.string().describe('key of the job that last reported it'),
  closedBy: z.string().optional().describe('key of the job whose completed run closed it'),
  closedAt: iso.optional(),
});
export const riskListSchema = z.object({ items: z.array(riskViewSchema), cursor: z.string().optional() });
export const riskDetailSchema = riskViewSchema.extend({
  history: z.array(
    z.object({
      at: iso,
      change: z.enum(RISK_CHANGES),
      job: z.string(),
      severity: severitySchema.optional(),
      result: z.string().optional().describe("the run's result document (S3 key in the tenant's results)"),
    }),
  ),
  evidenceKey: z.string().optional().describe('result document of the run that last reported it'),
  evidence: z.record(z.string(), z.unknown()),
});
export const riskExportQuerySchema = z.strictObject({
  format: z.enum(EXPORT_FORMATS),
  status: riskStatusSchema.optional(),
  severity: severitySchema.optional(),
  asset: text(1024).startsWith('#asset#', 'must be an asset key #asset#{type}#{value}').optional(),
  capability: text(64).optional(),
});
export const assetListQuerySchema = z.strictObject({
  type: z
    .string()
    .regex(/^[^#\s]{1,64}$/, 'must be an asset type (no # or spaces)')
    .optional(),
  limit: z.coerce.number().int().min(1).max(PAGE.max).default(PAGE.default),
  cursor: text(4096).optional().describe('the cursor of the previous page'),
});
export const assetViewSchema = z.object({
  key: z.string(),
  type: z.string(),
  name: z.string(),
  firstSeen: iso,
  lastSeen: iso,
});
export const assetListSchema = z.object({ items: z.array(assetViewSchema), cursor: z.string().optional() });
// ---- ops board --------------------------------------------------------------------------------

const countersSchema = z.object({
  enqueued: z.number(),
  started: z.number(),
  passed: z.number(),
  failed: z.number(),
  deferrals: z.number(),
  deadLetters: z.number(),
});
const queueStatesSchema = z.object({
  visible: z.number().int(),
  inFlight: z.number().int(),
  delayed: z.number().int(),
});

export const overviewSchema = z.object({
  generatedAt: iso,
  scope: z
    .enum(['operator', 'tenant'])
    .describe('operator: every tenant and the queues; tenant: the caller only'),
  tenant: z.string().describe('the acting tenant'),
  jobs: z.object({
    byStatus: z.record(z.string(), z.number().int()).describe('jobs of the acting tenant by status code'),
    total: z.number().int(),
    truncated: z.boolean().describe('true when the tenant has more jobs than one overview counts'),
  }),
  charts: z.array(
    z.object({
      at: iso,
      jobsPerSecond: z.number(),
      dwellP50: z.number().optional().describe('seconds, enqueue → start'),
      dwellP95: z.number().optional(),
    }),
  ),
  chartSince: iso.optional().describe('the oldest point (the API keeps one hour while the board is watched)'),
  queues: z
    .object({
      jobs: queueStatesSchema,
      bulk: queueStatesSchema.describe("the bulk lane: tenants' jobs beyond their burst"),
      dlq: queueStatesSchema,
    })
    .optional(),
  inFlight: z.number().optional().describe('attempts running now on the workers that answered (operator)'),
  workers: z
    .object({ alive: z.number().int(), targets: z.number().int() })
    .optional()
    .describe('metrics URLs (SCANQ_BOARD_METRICS_URLS) that answered'),
  tenants: z
    .array(z.object({ tenant: z.string(), lastHour: countersSchema, total: countersSchema }))
    .optional()
    .describe('every tenant the metrics name (bounded label: others are `other`), noisiest first'),
  noisy: z
    .array(z.string())
    .optional()
    .describe('tenants with the most enqueues and deferrals in the last hour'),
});

export const dlqEntrySchema = z.object({
  messageId: z.string(),
  sentAt: z.string(),
  receiveCount: z.number().int(),
  tenant: z.string().optional(),
  capability: z.string().optional(),
  key: z.string().optional(),
  rejectedReason: z
    .string()
    .optional()
    .describe('why a worker parked it; absent: moved by the redrive policy'),
  bodyPreview: z.string(),
});
export const dlqListQuerySchema = z.strictObject({
  max: z.coerce.number().int().min(1).max(PAGE.max).default(PAGE.max),
});
export const dlqListSchema = z.object({
  items: z.array(dlqEntrySchema),
  depth: z.number().int().describe('messages in the DLQ (approximate)'),
});
export const redriveBodySchema = z.strictObject({
  messageId: text(128).optional().describe('one message; absent: every message (or those of `tenant`)'),
  tenant: text(128).optional(),
  confirm: z.literal(true).describe('must be true: the board asks before it sends'),
});
export const redriveReportSchema = z.object({
  moved: z.number().int(),
  failed: z.number().int(),
  duplicated: z.number().int(),
});

export const quarantineQuerySchema = z.strictObject({
  tenant: text(128).optional().describe("operators: another tenant's files"),
  max: z.coerce.number().int().min(1).max(PAGE.max).default(PAGE.max),
});
export const quarantineEntrySchema = z.object({
  key: z.string(),
  tenant: z.string(),
  size: z.number().int().optional(),
  quarantinedAt: z.string().optional(),
  reasonCodes: z.array(z.string()),
  reasonCount: z.number().int().optional(),
  reasons: z
    .array(z.object({ code: z.string(), message: z.string(), path: z.string().optional() }))
    .describe('from the report next to the file (the first ones)'),
  source: z.string().optional().describe('the upload it came from'),
});
export const quarantineListSchema = z.object({ items: z.array(quarantineEntrySchema) });
export const quarantineKeyParamsSchema = z.object({ key: text(2048) });
export const quarantineDeleteQuerySchema = z.strictObject({ confirm: z.literal('true') });

export const boardConfigSchema = z.object({
  oidc: z
    .object({
      authorizationUrl: z.string(),
      tokenUrl: z.string(),
      clientId: z.string(),
      scopes: z.string(),
      token: z.enum(['access_token', 'id_token']),
    })
    .optional(),
});
export const whoAmISchema = z.object({
  tenant: z.string(),
  homeTenant: z.string(),
  user: z.string(),
  roles: z.array(z.string()),
  operator: z.boolean().describe('an admin of SCANQ_OPERATOR_TENANT'),
});
export const jobChildrenSchema = z.object({
  items: z.array(
    z.object({ key: z.string(), capability: z.string(), target: z.string(), status: z.string() }),
  ),
  truncated: z.boolean().describe('true when the tenant has more jobs than one look reads'),
});
