/**
 * The result documents written to S3, one per finished attempt (docs/RESULTS.md): the v1
 * envelope built by the worker and the `result` of each built-in capability. Readers check `v`
 * first; within one `v`, fields are only ever added, so these schemas accept (and drop) fields
 * they do not know.
 */
import { z } from 'zod';
import { POSTURE_ASSETS } from './capabilities/aws-posture/rules.js';
import { POSTURE_RESULT_VERSION } from './capabilities/aws-posture.js';
import type { IssueCode } from './capabilities/import/typed.js';
import { IMPORT_RESULT_VERSION } from './capabilities/import.js';
import { SEVERITIES } from './capability.js';
import type { FieldIssue } from './errors.js';
import { JOB_KEY_PREFIX } from './keys.js';

/** Version of the envelope (`v`). A breaking change to it or to any `result` bumps it. */
export const RESULT_VERSION = 1;

const count = z.number().int().min(0);
const record = z.record(z.string(), z.unknown());
const severity = z.enum(SEVERITIES);

/** An emitted asset, as the capability emitted it (`attributes` are the capability's own). */
export const assetRecordSchema = z.object({
  type: z.string().min(1),
  value: z.string().min(1),
  attributes: record.optional(),
});

/** An emitted risk: the asset it is on (`type`, `value`), its name, severity and evidence. */
export const riskRecordSchema = z.object({
  asset: assetRecordSchema.pick({ type: true, value: true }),
  name: z.string().min(1),
  severity,
  evidence: record.optional(),
});

const envelopeFields = {
  v: z.literal(RESULT_VERSION),
  tenant: z.string().min(1),
  /** The job's key, `#job#{capability}#{target}`. */
  key: z.string().startsWith(JOB_KEY_PREFIX),
  capability: z.string().min(1),
  target: z.string().min(1),
  attempt: z.number().int().min(1),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  /** Everything emitted during the attempt (also on a failed one, where it is not stored as items). */
  assets: z.array(assetRecordSchema),
  risks: z.array(riskRecordSchema),
};

/**
 * The v1 envelope: `JP` carries the capability's `result`, `JF` the `error` (present whenever
 * the failure had a message). `result` is checked per capability with `resultSchemaFor`.
 */
export const resultEnvelopeSchema = z.discriminatedUnion('status', [
  z.object({ ...envelopeFields, status: z.literal('JP'), result: record }),
  z.object({ ...envelopeFields, status: z.literal('JF'), error: z.string().optional() }),
]);
/** A v1 document as `resultEnvelopeSchema` parses it. */
export type ResultEnvelope = z.infer<typeof resultEnvelopeSchema>;

/** `noop`: the target and how long it slept (ms). */
export const noopResultSchema = z.object({ target: z.string(), slept: count });

/** `sleep`: the target, the sleep asked for and the time measured (ms). */
export const sleepResultSchema = z.object({ target: z.string(), slept_ms: count, elapsed_ms: count });

/** One open port (naabu's `port`/`protocol`, plus what the service said). */
const openPort = z.object({
  port: z.number().int().min(1).max(65_535),
  protocol: z.literal('tcp'),
  /** First bytes the service sent (or its answer to `HEAD /`), control characters but tab, CR and LF dropped, trimmed, ≤ 256 characters. */
  banner: z.string().optional(),
  /** Guessed from the banner: `http`, `ssh`, `smtp`, `ftp`, `pop3`, `imap`, `redis`. */
  service: z.string().optional(),
  /** Present (true) when the banner answered scanq's `HEAD /` rather than arriving unprompted. */
  probed: z.literal(true).optional(),
});

/** `portscan`: naabu's per-port lines grouped under the host, with the scan's counts and settings. */
export const portscanResultSchema = z.object({
  host: z.string(),
  ip: z.string(),
  ports: z.array(openPort),
  scanned: count,
  closed: count,
  filtered: count,
  timeout_ms: count,
  concurrency: count,
});

/** httpx's `tls` object, as far as scanq fills it. */
const tlsFacts = z.object({
  tls_version: z.string().nullable(),
  cipher: z.string().nullable(),
  subject_cn: z.string().nullable(),
  subject_an: z.array(z.string()),
  issuer_cn: z.string().nullable(),
  issuer_org: z.string().nullable(),
  not_before: z.iso.datetime().nullable(),
  not_after: z.iso.datetime().nullable(),
  expires_in_days: z.number().int().nullable(),
  self_signed: z.boolean(),
  expired: z.boolean(),
  mismatched: z.boolean(),
  fingerprint_sha256: z.string().nullable(),
  valid: z.boolean(),
  reason: z.string().optional(),
});

/** One step of the redirect chain; `refused`/`error` end it (the policy's or the network's code). */
const hop = z.object({
  url: z.string(),
  status_code: z.number().int().optional(),
  location: z.string().optional(),
  refused: z.string().optional(),
  error: z.string().optional(),
});

/** `http-probe`: httpx's field names for the final response, the redirect chain and the headers checked. */
export const httpProbeResultSchema = z.object({
  input: z.string(),
  url: z.string(),
  final_url: z.string(),
  scheme: z.enum(['http', 'https']),
  host: z.string(),
  ip: z.string(),
  port: z.number().int().min(1).max(65_535),
  status_code: z.number().int(),
  title: z.string().nullable(),
  webserver: z.string().nullable(),
  content_type: z.string().nullable(),
  content_length: count,
  tls: tlsFacts.optional(),
  chain: z.array(hop).min(1),
  chain_status_codes: z.array(z.number().int()),
  security_headers: z.object({ checked: z.array(z.string()), missing: z.array(z.string()) }),
});

/** `aws-posture`: the account scanned, each check's counts, totals, and the reads that were denied. */
export const awsPostureResultSchema = z.object({
  kind: z.literal('aws-posture'),
  v: z.literal(POSTURE_RESULT_VERSION),
  accountId: z.string(),
  /** From STS GetCallerIdentity; absent only if STS left it out. */
  awsAccount: z.string().optional(),
  principal: z.string().optional(),
  regions: z.array(z.string()).min(1),
  accessKeyMaxAgeDays: count,
  checks: z.array(z.object({ check: z.string(), checked: count, findings: count })),
  counts: z.object({
    buckets: count,
    users: count,
    securityGroups: count,
    assets: z.partialRecord(z.enum(Object.values(POSTURE_ASSETS)), count),
    risks: count,
    bySeverity: z.partialRecord(severity, count),
  }),
  skipped: z.array(z.object({ check: z.string(), resource: z.string(), error: z.string() })),
});

/** Compiles only when `list` names every `IssueCode` (so the enum below cannot fall behind). */
const everyIssueCode = <const L extends readonly IssueCode[]>(
  list: L & ([Exclude<IssueCode, L[number]>] extends [never] ? unknown : never),
): L => list;

/** Every reason code of an import. */
export const IMPORT_ISSUE_CODES = everyIssueCode([
  'invalidEncoding',
  'invalidJson',
  'oversized',
  'notAList',
  'noItems',
  'tooManyItems',
  'missingKey',
  'extraAttribute',
  'wrongType',
  'invalidValue',
  'duplicate',
  'empty',
]);

const importBase = { kind: z.literal('import'), v: z.literal(IMPORT_RESULT_VERSION), file: z.string() };
/** `import`: how many items were imported, or where the file was quarantined and why. */
export const importResultSchema = z.discriminatedUnion('outcome', [
  z.object({ ...importBase, outcome: z.literal('imported'), items: count }),
  z.object({
    ...importBase,
    outcome: z.literal('quarantined'),
    quarantineKey: z.string(),
    reportKey: z.string(),
    /** Every reason found; `reasons` lists the first 20. */
    reasonCount: z.number().int().min(1),
    reasons: z
      .array(z.object({ code: z.enum(IMPORT_ISSUE_CODES), message: z.string(), path: z.string().optional() }))
      .max(20),
  }),
]);

/** `external`: what the completion step read from the outside scanner's nuclei-style JSONL. */
export const externalResultSchema = z.object({
  format: z.literal('nuclei-jsonl'),
  asyncRef: z.string(),
  /** The scanner's raw output, `{tenant}/evidence/…`. */
  output: z.string(),
  lines: count,
  findings: count,
  assets: count,
  risks: count,
  badLines: count,
  badLineSamples: z.array(z.object({ line: z.number().int().min(1), reason: z.string() })).max(20),
});

/** The `result` schema of each built-in capability, by name. */
export const RESULT_SCHEMAS = {
  noop: noopResultSchema,
  sleep: sleepResultSchema,
  portscan: portscanResultSchema,
  'http-probe': httpProbeResultSchema,
  'aws-posture': awsPostureResultSchema,
  import: importResultSchema,
  external: externalResultSchema,
} as const;
/** Names of the capabilities whose `result` has a schema here. */
export type BuiltinCapability = keyof typeof RESULT_SCHEMAS;

/** The `result` schema of `capability`, or undefined for one that is not built in (a plugin's). */
export function resultSchemaFor(capability: string): z.ZodType<Record<string, unknown>> | undefined {
  return Object.hasOwn(RESULT_SCHEMAS, capability)
    ? RESULT_SCHEMAS[capability as BuiltinCapability]
    : undefined;
}

/**
 * JSON Schemas (draft 2020-12) of the envelope and of each built-in `result`, for readers outside
 * TypeScript. Objects stay open to unknown properties: a v1 reader must accept fields added later.
 */
export function resultJsonSchemas(): Readonly<Record<string, Record<string, unknown>>> {
  const open = (schema: z.ZodType): Record<string, unknown> => z.toJSONSchema(schema, { io: 'input' });
  const schemas: Record<string, Record<string, unknown>> = { envelope: open(resultEnvelopeSchema) };
  for (const [name, schema] of Object.entries(RESULT_SCHEMAS)) schemas[name] = open(schema);
  return schemas;
}

/** A checked result document, or what is wrong with it, by field (`result.ports.0.port`). */
export type CheckedResult =
  | { readonly ok: true; readonly document: ResultEnvelope }
  | { readonly ok: false; readonly issues: readonly FieldIssue[] };

const issuesOf = (error: z.ZodError, base: readonly string[] = []): FieldIssue[] =>
  error.issues.map((issue) => ({
    field: [...base, ...issue.path.map(String)].join('.') || '(document)',
    message: issue.message,
  }));

/**
 * Checks a parsed result document: `v` first (a reader must not guess at a version it does not
 * know), then the envelope, then the `result` of a built-in capability. Unknown fields are
 * dropped, never refused (additive changes keep `v`). Pure.
 */
export function checkResultDocument(value: unknown): CheckedResult {
  const version = z.object({ v: z.unknown() }).safeParse(value);
  if (!version.success) return { ok: false, issues: issuesOf(version.error) };
  if (version.data.v !== RESULT_VERSION) {
    const message = `unsupported result version ${JSON.stringify(version.data.v) ?? 'undefined'}; this reader knows ${RESULT_VERSION}`;
    return { ok: false, issues: [{ field: 'v', message }] };
  }
  const envelope = resultEnvelopeSchema.safeParse(value);
  if (!envelope.success) return { ok: false, issues: issuesOf(envelope.error) };
  const document = envelope.data;
  const schema = document.status === 'JP' ? resultSchemaFor(document.capability) : undefined;
  if (schema && document.status === 'JP') {
    const result = schema.safeParse(document.result);
    if (!result.success) return { ok: false, issues: issuesOf(result.error, ['result']) };
    return { ok: true, document: { ...document, result: result.data } };
  }
  return { ok: true, document };
}
