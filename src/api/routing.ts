import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Action, TenantContext } from '../tenancy/index.js';
import { bodyShapeIssues } from './body-shape.js';
import { ApiError, type FieldMessage, RequestValidationError } from './errors.js';

/**
 * Who may call a route. `token`: a verified bearer token whose context may do `action` (and, with
 * `tenantParam`, whose tenant is the one the path names). `public`: no token (health, metrics,
 * the OpenAPI document, signed callbacks); `rateLimited` keys those by client address.
 */
export type Access =
  | {
      readonly kind: 'token';
      readonly action: Action;
      readonly tenantParam?: string;
      /** True for the routes that create or read the profile itself; every other needs one (404). */
      readonly profileOptional?: boolean;
    }
  | { readonly kind: 'public'; readonly rateLimited?: boolean };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on every scanq route; the auth hook reads it. */
    access?: Access;
    /** Every status the route is documented to answer (see `documentedStatuses`). */
    statuses?: ReadonlySet<number>;
  }
  interface FastifyRequest {
    /** Set by the auth hook once the token is verified and the action authorized. */
    tenantContext?: TenantContext;
  }
}

/** What a handler answers; the server serializes `body` as JSON unless `contentType` says otherwise. */
export interface ApiReply {
  readonly status: number;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Documentation of a route for the OpenAPI document. */
export interface RouteDoc {
  readonly summary: string;
  readonly tags: readonly string[];
  readonly description?: string;
  /** The body's shape when the handler parses it itself (after a check that must come first). */
  readonly requestBody?: z.ZodType;
  /** Responses by status; `schema` is the body's shape. Error responses are added for every route. */
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema?: z.ZodType }>>;
  /**
   * Error statuses the handler itself may answer beyond those every route of its kind can
   * (`documentedErrors` in openapi.ts derives those from the method and access), by what they mean.
   */
  readonly errors?: Readonly<Record<number, string>>;
}

/** A route as the server registers it and the OpenAPI builder reads it. */
export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Fastify syntax: `/v1/jobs/:key`. */
  readonly url: string;
  readonly access: Access;
  readonly doc: RouteDoc;
  readonly schemas: { readonly params?: z.ZodType; readonly query?: z.ZodType; readonly body?: z.ZodType };
  run(request: FastifyRequest): Promise<ApiReply>;
}

/** What a handler receives: inputs parsed by the route's schemas. */
export interface HandlerInput<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly request: FastifyRequest;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

interface Spec<P, Q, B> {
  readonly method: Route['method'];
  readonly url: string;
  readonly doc: RouteDoc;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
}

type PathItem = PropertyKey;

/** Longest unknown field name echoed in an error. */
const MAX_FIELD_NAME = 200;

function fieldName(path: readonly PathItem[], root: string): string {
  if (path.length === 0) return root;
  return path.reduce<string>((name, segment) => {
    if (typeof segment === 'number') return `${name}[${segment}]`;
    return name === '' ? String(segment) : `${name}.${String(segment)}`;
  }, '');
}

/**
 * Zod issues as field messages. A union reports the alternative that came closest (fewest issues),
 * so `{ jobs: 5 }` says `jobs: expected array` rather than every branch's complaints; each unknown
 * field of a strict object is named. Messages are zod's rules, which never quote the input.
 */
export function fieldIssues(
  issues: readonly z.core.$ZodIssue[],
  root: string,
  base: readonly PathItem[] = [],
): FieldMessage[] {
  const out: FieldMessage[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const closest = issue.errors.reduce((best, branch) => (branch.length < best.length ? branch : best));
      out.push(...fieldIssues(closest, root, path));
    } else if (issue.code === 'unrecognized_keys') {
      // A key is caller-chosen text: bounded before it is echoed back.
      for (const key of issue.keys) {
        out.push({
          field: fieldName([...path, key.slice(0, MAX_FIELD_NAME)], root),
          message: 'unknown field',
        });
      }
    } else {
      out.push({ field: fieldName(path, root), message: issue.message });
    }
  }
  return out;
}

/**
 * Parses one part of a request; each is first checked for nesting depth, well-formed Unicode and
 * control characters (`bodyShapeIssues`), which no schema sees and which would break
 * code further in.
 * @throws RequestValidationError (400) naming every bad field.
 */
export function parsePart<S extends z.ZodType>(schema: S, value: unknown, part: 'body' | 'query' | 'params') {
  const shape = bodyShapeIssues(value);
  if (shape.length > 0) throw new RequestValidationError(shape);
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new RequestValidationError(fieldIssues(parsed.error.issues, `(${part})`));
}

function parseAll<P, Q, B>(
  spec: Spec<P, Q, B>,
  request: FastifyRequest,
): HandlerInput<Out<P>, Out<Q>, Out<B>> {
  // A part without a schema is not read at all: it stays undefined, as its type says.
  const part = (schema: unknown, value: unknown, name: 'body' | 'query' | 'params'): unknown =>
    schema === undefined ? undefined : parsePart(schema as z.ZodType, value, name);
  return {
    params: part(spec.params, request.params, 'params') as Out<P>,
    query: part(spec.query, request.query, 'query') as Out<Q>,
    body: part(spec.body, request.body, 'body') as Out<B>,
    request,
  };
}

function schemasOf<P, Q, B>(spec: Spec<P, Q, B>): Route['schemas'] {
  const pick = (schema: unknown) => schema as z.ZodType | undefined;
  return {
    ...(spec.params ? { params: pick(spec.params) } : {}),
    ...(spec.query ? { query: pick(spec.query) } : {}),
    ...(spec.body ? { body: pick(spec.body) } : {}),
  };
}

/** A route that needs a verified token allowed to do `action`; the handler gets the tenant context. */
export function securedRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(
  spec: Spec<P, Q, B> & {
    readonly action: Action;
    readonly tenantParam?: string;
    /** Default false: the tenant must have a profile, else 404 `tenant.notFound`. */
    readonly profileOptional?: boolean;
    handle(input: HandlerInput<Out<P>, Out<Q>, Out<B>> & { readonly ctx: TenantContext }): Promise<ApiReply>;
  },
): Route {
  return {
    method: spec.method,
    url: spec.url,
    access: {
      kind: 'token',
      action: spec.action,
      ...(spec.tenantParam ? { tenantParam: spec.tenantParam } : {}),
      ...(spec.profileOptional ? { profileOptional: true } : {}),
    },
    doc: spec.doc,
    schemas: schemasOf(spec),
    async run(request) {
      const ctx = request.tenantContext;
      // The auth hook runs before every token route; reaching here without a context is a bug.
      if (!ctx) throw new ApiError(500, 'internal', 'no tenant context on an authenticated route');
      return spec.handle({ ...parseAll(spec, request), ctx });
    },
  };
}

/** A route without a token (health, metrics, documents, signed callbacks). */
export function publicRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(
  spec: Spec<P, Q, B> & {
    readonly rateLimited?: boolean;
    handle(input: HandlerInput<Out<P>, Out<Q>, Out<B>>): Promise<ApiReply>;
  },
): Route {
  return {
    method: spec.method,
    url: spec.url,
    access: { kind: 'public', ...(spec.rateLimited ? { rateLimited: true } : {}) },
    doc: spec.doc,
    schemas: schemasOf(spec),
    run: (request) => spec.handle(parseAll(spec, request)),
  };
}
