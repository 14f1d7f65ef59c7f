import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type Config, loadConfig } from '../../config/index.js';
import type { CapabilityDefinition, RunContext } from '../capability.js';
import { PermanentError, TransientError } from '../errors.js';
import { returnedOutputSchema, signCallbackToken } from './callback-token.js';
import { findingRecords, parseNucleiJsonl } from './nuclei.js';
import { hostOfTarget, resolveTarget } from './policy.js';

/** What `external` needs from the configuration (SCANQ_EXTERNAL_*, SCANQ_CALLBACK_*). */
export type ExternalSettings = Config['external'];

/** Largest output ingested; a bigger file fails the job rather than the worker's memory. */
export const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;
/** How long the hand-off POST may take. */
export const HANDOFF_TIMEOUT_MS = 30_000;
/** SigV4 presigned URLs live at most 7 days. */
const MAX_PRESIGN_SECONDS = 7 * 86_400;

const inputSchema = z.strictObject({
  /** Passed to the scanner as it is (e.g. nuclei template ids or tags). */
  templates: z
    .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/))
    .max(50)
    .optional(),
  /** How long the scanner may take (10 s … 7 d). Default SCANQ_EXTERNAL_DEADLINE. */
  deadlineMs: z
    .number()
    .int()
    .min(10_000)
    .max(7 * 86_400_000)
    .optional(),
});
export type ExternalInput = z.output<typeof inputSchema>;

export interface ExternalDeps {
  /** Read when a job runs, so tests and processes can supply their own. */
  readonly settings: () => ExternalSettings;
  /** Default global `fetch`. */
  readonly fetch?: typeof fetch;
  /** Target policy check before the hand-off. Default `resolveTarget` on the target's host. */
  readonly checkTarget?: (host: string, ctx: RunContext) => Promise<unknown>;
  readonly now?: () => Date;
}

/** `external/{hash of the job key}/{asyncRef}.jsonl` in the tenant's evidence files. */
export function outputName(key: string, asyncRef: string): string {
  return `external/${createHash('sha256').update(key).digest('hex').slice(0, 20)}/${asyncRef}.jsonl`;
}

/** `{base}/v1/jobs/{urlencoded key}/return?token=…`. Pure. */
export function callbackUrl(base: string, key: string, token: string): string {
  return `${base.replace(/\/+$/, '')}/v1/jobs/${encodeURIComponent(key)}/return?token=${token}`;
}

function configured(settings: ExternalSettings) {
  const { scannerUrl, callbackBaseUrl, callbackSecret } = settings;
  if (!scannerUrl || !callbackBaseUrl || !callbackSecret) {
    throw new PermanentError(
      'external scanner not configured: set SCANQ_EXTERNAL_SCANNER_URL, SCANQ_CALLBACK_BASE_URL and SCANQ_CALLBACK_SECRET',
      { code: 'external.notConfigured' },
    );
  }
  return { scannerUrl, callbackBaseUrl, callbackSecret, deadlineMs: settings.deadlineMs };
}

function hostOf(target: string): string {
  const host = hostOfTarget(target.includes('://') ? 'url' : 'host', target);
  if (!host) throw new PermanentError(`target ${target} names no host`, { code: 'external.invalidTarget' });
  return host;
}

/** POSTs the hand-off; a refusal (4xx) is permanent, a busy or unreachable scanner transient. */
async function postHandoff(
  doFetch: typeof fetch,
  url: string,
  body: object,
  signal: AbortSignal,
): Promise<void> {
  let response: Response;
  try {
    response = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.any([signal, AbortSignal.timeout(HANDOFF_TIMEOUT_MS)]),
      redirect: 'error',
    });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new TransientError('external scanner unreachable', { code: 'external.unreachable', cause: error });
  }
  await response.body?.cancel().catch(() => {});
  const { status } = response;
  if (status >= 200 && status < 300) return;
  if (status === 408 || status === 429 || status >= 500) {
    throw new TransientError(`external scanner busy (HTTP ${status})`, { code: 'external.busy' });
  }
  throw new PermanentError(`external scanner refused the hand-off (HTTP ${status})`, {
    code: 'external.refused',
  });
}

/**
 * What the scanner left: the return checked (a scanq callback result, not a scanner failure, an
 * evidence file of this tenant) and the output read, bounded.
 * @throws PermanentError `external.badReturn`, `external.scannerFailed`, `external.outputMissing`,
 *   `external.outputTooLarge`.
 */
async function readOutput(
  ctx: RunContext,
  returned: Readonly<Record<string, unknown>>,
): Promise<{ outputKey: string; asyncRef: string; body: string }> {
  const parsed = returnedOutputSchema.safeParse(returned);
  if (!parsed.success) {
    throw new PermanentError('external return is not a scanq callback result', {
      code: 'external.badReturn',
    });
  }
  const { outputKey, asyncRef, scannerStatus, scannerError } = parsed.data;
  if (scannerStatus === 'failed') {
    throw new PermanentError(`external scanner failed: ${scannerError ?? 'no reason given'}`, {
      code: 'external.scannerFailed',
    });
  }
  if (!outputKey.startsWith(`${ctx.tenant}/evidence/`)) {
    throw new PermanentError('external output is not an evidence file of this tenant', {
      code: 'external.badReturn',
    });
  }
  const missing = () =>
    new PermanentError('external scanner returned without output', { code: 'external.outputMissing' });
  const head = await ctx.files.head(outputKey);
  if (!head) throw missing();
  if ((head.size ?? 0) > MAX_OUTPUT_BYTES) {
    throw new PermanentError(`external output larger than ${MAX_OUTPUT_BYTES} bytes`, {
      code: 'external.outputTooLarge',
    });
  }
  const file = await ctx.files.get(outputKey);
  if (!file) throw missing();
  return { outputKey, asyncRef, body: Buffer.from(file.body).toString('utf8') };
}

/**
 * The `external` capability (async): hands the target to an outside scanner with a presigned PUT
 * for its output (`{tenant}/evidence/…`) and a callback URL carrying a signed, expiring token; the
 * job waits as `JRA`. When the callback brings it back (`JQA`), `complete` ingests the output as
 * nuclei-style JSONL → host assets and risks (bad lines counted, not fatal), or fails the job when
 * the scanner failed or left no output.
 */
export function createExternalCapability(deps: ExternalDeps): CapabilityDefinition<ExternalInput> {
  const doFetch = deps.fetch ?? fetch;
  const now = deps.now ?? (() => new Date());
  const checkTarget =
    deps.checkTarget ??
    ((host: string, ctx: RunContext) => resolveTarget(host, ctx.scope, { signal: ctx.signal }));
  return {
    name: 'external',
    description: 'hand the target to an outside scanner; ingest its nuclei-style JSONL when it calls back',
    targetKind: 'any',
    input: inputSchema,
    timeoutMs: 60_000,
    maxAttempts: 3,
    async run(ctx, input) {
      const settings = configured(deps.settings());
      await checkTarget(hostOf(ctx.target), ctx);
      const asyncRef = `ext-${randomUUID()}`;
      const deadlineMs = input.deadlineMs ?? settings.deadlineMs;
      const output = await ctx.files.presignPut('evidence', outputName(ctx.key, asyncRef), {
        expiresInSeconds: Math.min(MAX_PRESIGN_SECONDS, Math.ceil(deadlineMs / 1000)),
      });
      const exp = Math.floor((now().getTime() + deadlineMs) / 1000);
      const token = signCallbackToken(settings.callbackSecret, {
        tenant: ctx.tenant,
        key: ctx.key,
        asyncRef,
        outputKey: output.key,
        exp,
      });
      await postHandoff(
        doFetch,
        settings.scannerUrl,
        {
          target: ctx.target,
          callbackUrl: callbackUrl(settings.callbackBaseUrl, ctx.key, token),
          outputUrl: output.url,
          outputHeaders: output.headers,
          asyncRef,
          deadline: new Date(exp * 1000).toISOString(),
          ...(input.templates ? { templates: input.templates } : {}),
        },
        ctx.signal,
      );
      // Ids only: the callback URL carries the token, the output URL a signature.
      ctx.log.info({ asyncRef, deadlineMs }, 'handed off to the external scanner');
      return { kind: 'handoff', asyncRef, deadlineMs };
    },
    async complete(ctx, _input, returned, emit) {
      const { outputKey, asyncRef, body } = await readOutput(ctx, returned);
      const output = parseNucleiJsonl(body);
      const records = findingRecords(output.findings, outputKey);
      for (const asset of records.assets) emit.asset(asset);
      for (const risk of records.risks) emit.risk(risk);
      if (output.badLines > 0)
        ctx.log.warn({ asyncRef, badLines: output.badLines }, 'external output had bad lines');
      return {
        kind: 'done',
        result: {
          format: 'nuclei-jsonl',
          asyncRef,
          output: outputKey,
          lines: output.lines,
          findings: output.findings.length,
          assets: records.assets.length,
          risks: records.risks.length,
          badLines: output.badLines,
          badLineSamples: output.badSamples,
        },
      };
    },
  };
}

let fromEnvironment: ExternalSettings | undefined;

/**
 * The settings of this process, validated by the same schema as the rest of the configuration
 * on first use (a capability has no configuration object of its own).
 */
function environmentSettings(): ExternalSettings {
  fromEnvironment ??= loadConfig(process.env).external;
  return fromEnvironment;
}

/** The built-in `external` capability, configured from the process environment. */
export const external = createExternalCapability({ settings: environmentSettings });
