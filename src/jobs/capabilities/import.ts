import pLimit from 'p-limit';
import { z } from 'zod';
import { InvalidKeyError } from '../../tenancy/errors.js';
import { parseFileKey } from '../../tenancy/file-keys.js';
import type { CapabilityDefinition, Emit, RunContext, RunOutcome } from '../capability.js';
import { PermanentError } from '../errors.js';
import {
  emptyMessage,
  IMPORT_LIMITS,
  type ImportItem,
  oversizedMessage,
  parseImportFile,
} from './import/format.js';
import type { Issue } from './import/typed.js';

export {
  IMPORT_ASSET_TYPES,
  IMPORT_ATTRIBUTES,
  IMPORT_LIMITS,
  type ImportItem,
  parseImportFile,
} from './import/format.js';
export { findJsonSyntaxError } from './import/json-syntax.js';
export type { Issue as ImportIssue, IssueCode as ImportIssueCode } from './import/typed.js';

/** Version of the `import` result document (`result` in the job's result object). */
export const IMPORT_RESULT_VERSION = 1;

/** Events published on the topic (message attribute `status` is `imported` or `quarantined`). */
export const IMPORT_EVENTS = { succeeded: 'import.succeeded', quarantined: 'import.quarantined' } as const;

/** Existing assets looked up at once during the duplicate check. */
const LOOKUP_CONCURRENCY = 16;

/** Input of an `import` job: the uploaded file's key, `{tenant}/uploads/{yyyy-mm-dd}/{name}`. */
export const importInput = z.strictObject({ key: z.string().min(1).max(1024) });
export type ImportInput = z.infer<typeof importInput>;

/** The upload's key checked for this tenant and kind; a bad key fails the job (retrying cannot help). */
function uploadKey(ctx: RunContext, key: string): string {
  if (ctx.target !== key) {
    throw new PermanentError('target must be the upload key given as input.key', {
      code: 'import.targetMismatch',
    });
  }
  try {
    if (parseFileKey(key, ctx.tenant).kind !== 'uploads')
      throw new PermanentError('input.key: must be a file under uploads/', { code: 'import.notAnUpload' });
  } catch (error) {
    if (error instanceof InvalidKeyError)
      throw new PermanentError(`input.key: ${error.message}`, { cause: error, code: error.code });
    throw error;
  }
  return key;
}

/**
 * Items that already exist as assets of this tenant. An asset this very job wrote (an earlier
 * attempt, or an earlier run of the same file) is not a duplicate: retrying an import converges.
 */
async function existing(ctx: RunContext, items: readonly ImportItem[]): Promise<Issue[]> {
  const limit = pLimit(LOOKUP_CONCURRENCY);
  const found = await Promise.all(
    items.map((item) =>
      limit(async () => {
        ctx.signal.throwIfAborted();
        const stored = await ctx.table.get(`#asset#${item.type}#${item.value}`);
        if (!stored || stored.source === ctx.key) return undefined;
        return {
          code: 'duplicate' as const,
          path: `$[${item.index}]`,
          message: `${item.type} ${item.value} already exists in this tenant`,
        };
      }),
    ),
  );
  return found.filter((issue): issue is NonNullable<typeof issue> => issue !== undefined);
}

async function quarantine(
  ctx: RunContext,
  key: string,
  issues: readonly Issue[],
  total: number,
): Promise<RunOutcome> {
  const moved = await ctx.files.quarantine(key, issues, { total });
  const codes = [...new Set(issues.map((i) => i.code))];
  await ctx.publish(IMPORT_EVENTS.quarantined, {
    status: 'quarantined',
    file: key,
    quarantineKey: moved.key,
    reasons: codes.join(','),
    reasonCount: String(total),
  });
  ctx.log.info({ file: key, reasons: codes, reasonCount: total }, 'import quarantined');
  return {
    kind: 'done',
    result: {
      kind: 'import',
      v: IMPORT_RESULT_VERSION,
      file: key,
      outcome: 'quarantined',
      quarantineKey: moved.key,
      reportKey: moved.reportKey,
      reasonCount: total,
      reasons: issues.slice(0, 20),
    },
  };
}

async function accept(
  ctx: RunContext,
  key: string,
  items: readonly ImportItem[],
  emit: Emit,
): Promise<RunOutcome> {
  for (const item of items) emit.asset({ type: item.type, value: item.value, attributes: item.attributes });
  await ctx.publish(IMPORT_EVENTS.succeeded, { status: 'imported', file: key, items: String(items.length) });
  ctx.log.info({ file: key, items: items.length }, 'import accepted');
  return {
    kind: 'done',
    result: { kind: 'import', v: IMPORT_RESULT_VERSION, file: key, outcome: 'imported', items: items.length },
  };
}

/**
 * Imports a tenant's uploaded asset file (DynamoDB-typed JSON, see `import/format.ts`): a valid
 * file's items become the tenant's assets (emitted, so the worker writes them with the job's
 * terminal write, and cascades see them); a file that is too large, not UTF-8, not JSON, breaks
 * the typed schema, or repeats an item or an existing asset goes to quarantine with every reason
 * (up to 100, all counted) as metadata and a report next to it. The job passes either way:
 * `result.outcome` says which, and `import.succeeded` / `import.quarantined` is published.
 */
export const importCapability: CapabilityDefinition<ImportInput> = {
  name: 'import',
  description: 'validate an uploaded asset file and import its items, or quarantine it with the reasons',
  targetKind: 'file',
  input: importInput,
  timeoutMs: 5 * 60_000,
  maxAttempts: 3,
  async run(ctx, input, emit) {
    const key = uploadKey(ctx, input.key);
    const info = await ctx.files.head(key);
    if (!info) throw new PermanentError(`no upload at ${key}`, { code: 'import.notFound' });
    // Too big is decided before reading: a 5 GB upload must not be pulled into memory.
    if (info.size !== undefined && info.size > IMPORT_LIMITS.maxBytes) {
      const issue: Issue = {
        code: 'oversized',
        message: oversizedMessage(info.size, IMPORT_LIMITS.maxBytes),
      };
      return quarantine(ctx, key, [issue], 1);
    }
    if (info.size === 0)
      return quarantine(ctx, key, [{ code: 'empty', message: emptyMessage(info.contentType) }], 1);
    const file = await ctx.files.get(key);
    if (!file) throw new PermanentError(`no upload at ${key}`, { code: 'import.notFound' });
    const parsed = parseImportFile(file.body);
    if (!parsed.ok) return quarantine(ctx, key, parsed.issues, parsed.total);
    const duplicates = await existing(ctx, parsed.items);
    if (duplicates.length > 0) {
      return quarantine(ctx, key, duplicates.slice(0, IMPORT_LIMITS.maxIssues), duplicates.length);
    }
    return accept(ctx, key, parsed.items, emit);
  },
};
