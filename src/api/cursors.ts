import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Config } from '../config/index.js';
import { openPayload, signPayload } from '../lib/signed-token.js';
import { auditDenial } from './auth.js';
import type { RouteDeps } from './deps.js';
import { RequestValidationError } from './errors.js';
import type { ApiReply, Route } from './routing.js';

/**
 * List cursors as the API hands them out: the table's own cursor wrapped with what it may be used
 * for — the operation (method and path template, which fixes the index read), the listing's
 * selection (its filter parameters) and the tenant — and signed with the one token signer
 * (`lib/signed-token.ts`). Anything else is a 400; another tenant's cursor is also audited.
 */

/** Cursor format version. */
const CURSOR_VERSION = 1;
/** Longest cursor opened (a table cursor is bounded by the page query's own rule). */
const MAX_CURSOR_LENGTH = 8192;

/** What a cursor is bound to. */
export interface CursorBinding {
  /** `GET /v1/jobs`. */
  readonly operation: string;
  readonly tenant: string;
  /** The query parameters that choose what is listed (all but `cursor` and `limit`). */
  readonly selection: Readonly<Record<string, unknown>>;
}

const payloadSchema = z.strictObject({
  v: z.literal(CURSOR_VERSION),
  op: z.string(),
  t: z.string(),
  sel: z.string(),
  c: z.string(),
});

/** Parameters that page rather than select. */
const PAGING = new Set(['cursor', 'limit']);

/** The selection of a raw query: every parameter but the paging ones, in a stable order. */
export function selectionOf(query: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof query !== 'object' || query === null) return out;
  for (const name of Object.keys(query).sort()) {
    if (!PAGING.has(name)) out[name] = (query as Record<string, unknown>)[name];
  }
  return out;
}

const digest = (selection: Readonly<Record<string, unknown>>) =>
  createHash('sha256').update(JSON.stringify(selection)).digest('base64url').slice(0, 22);

/**
 * The key cursors are signed with, derived from the API's own secret (the HS256 token secret, else
 * the callback secret) so every replica accepts every other's cursors. With neither (JWKS and no
 * callbacks), a random key per process: a cursor then outlives neither a restart nor a change of
 * replica, and the client starts the listing again (400).
 */
export function cursorKey(config: Pick<Config, 'auth' | 'external'>): Buffer {
  const secret = config.auth.jwtSecret ?? config.external.callbackSecret;
  const base = secret === undefined ? randomBytes(32) : Buffer.from(secret, 'utf8');
  return createHmac('sha256', base).update('scanq list cursor v1').digest();
}

/** Wraps and signs the table's cursor for `binding`. Pure. */
export function sealCursor(key: Buffer, binding: CursorBinding, inner: string): string {
  return signPayload(key, {
    v: CURSOR_VERSION,
    op: binding.operation,
    t: binding.tenant,
    sel: digest(binding.selection),
    c: inner,
  });
}

/** A cursor this API issued to another tenant: refused like any bad cursor, and audited. */
export class ForeignCursorError extends RequestValidationError {
  /** The tenant the cursor was issued to (authentic: the signature vouched for it). */
  readonly owner: string;

  constructor(owner: string) {
    super([{ field: 'cursor', message: 'not a cursor of this tenant' }], 'request.invalidCursor');
    this.owner = owner;
  }
}

const invalid = (message: string) =>
  new RequestValidationError([{ field: 'cursor', message }], 'request.invalidCursor');

/**
 * The table cursor inside `cursor`, when it was issued for `binding`. Pure.
 * @throws RequestValidationError `request.invalidCursor` (400) for anything else;
 *   ForeignCursorError (400, to be audited) for another tenant's.
 */
export function openCursor(key: Buffer, binding: CursorBinding, cursor: string): string {
  if (cursor.length > MAX_CURSOR_LENGTH) throw invalid('not a cursor this API issued');
  const opened = openPayload(key, cursor);
  const parsed = opened.ok ? payloadSchema.safeParse(opened.value) : undefined;
  if (!parsed?.success) throw invalid('not a cursor this API issued');
  const { op, t, sel, c } = parsed.data;
  if (t !== binding.tenant) throw new ForeignCursorError(t);
  if (op !== binding.operation) throw invalid(`issued by another operation; use it only with ${op}`);
  if (sel !== digest(binding.selection)) {
    throw invalid('issued for other filters; repeat the filters of the first page, or start again');
  }
  return c;
}

// ---- wiring into the server: every token route's `cursor` query and answer ------------------

/** What a token route's list cursors are sealed with, and what a refused one is audited through. */
export interface Paging {
  readonly key: Buffer;
  readonly deps: RouteDeps;
}

function bindingOf(route: Route, tenant: string, query: unknown): CursorBinding {
  return { operation: `${route.method} ${route.url}`, tenant, selection: selectionOf(query) };
}

/**
 * Swaps the sealed `cursor` of a token route's query for the table cursor inside it, before the
 * route parses its query; another tenant's cursor is audited, then refused (400).
 */
export async function openQueryCursor(paging: Paging, route: Route, request: FastifyRequest): Promise<void> {
  const query = request.query as Record<string, unknown> | undefined;
  const ctx = request.tenantContext;
  if (!query || !ctx || route.access.kind !== 'token' || typeof query.cursor !== 'string') return;
  try {
    query.cursor = openCursor(paging.key, bindingOf(route, ctx.tenant, query), query.cursor);
  } catch (error) {
    if (error instanceof ForeignCursorError) {
      const denial = {
        action: route.access.action,
        user: ctx.user,
        homeTenant: ctx.homeTenant,
        tenant: ctx.tenant,
        asked: error.owner,
        resource: `${route.method} ${route.url}`,
        kind: 'crossTenantCursor',
      };
      await auditDenial(paging.deps, denial, paging.deps.log);
      request.log.warn({ tenant: ctx.tenant, user: ctx.user }, 'cursor of another tenant refused');
    }
    throw error;
  }
}

/** The answer with its `cursor` (a table cursor) sealed for this operation, selection and tenant. */
export function sealAnswerCursor(
  paging: Paging,
  route: Route,
  request: FastifyRequest,
  answer: ApiReply,
): ApiReply {
  const body = answer.body as Record<string, unknown> | undefined;
  const ctx = request.tenantContext;
  if (!ctx || typeof body !== 'object' || body === null || typeof body.cursor !== 'string') return answer;
  const cursor = sealCursor(paging.key, bindingOf(route, ctx.tenant, request.query), body.cursor);
  return { ...answer, body: { ...body, cursor } };
}
