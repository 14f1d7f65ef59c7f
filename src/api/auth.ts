import {
  createRemoteJWKSet,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify,
  SignJWT,
} from 'jose';
import { type Config, ConfigError } from '../config/index.js';
import { coerceError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import {
  type Action,
  assertTenantId,
  assertUserId,
  assumeTenant,
  can,
  ForbiddenError,
  InvalidKeyError,
  isRole,
  isUserId,
  ownContext,
  systemContext,
  type TableDeps,
  type TenantContext,
  TenantTable,
  writeAudit,
} from '../tenancy/index.js';
import { ApiError, AuthError } from './errors.js';

/** The claims scanq reads from a verified token. */
export interface TokenClaims {
  readonly sub: string;
  readonly tenant: string;
  readonly roles: readonly string[];
}

/** An expired token. When its signature was valid, `claims` are authentic (used for the audit). */
export class ExpiredTokenError extends AuthError {
  readonly claims: TokenClaims | undefined;

  constructor(claims: TokenClaims | undefined) {
    super('auth.expiredToken', 'the token has expired');
    this.claims = claims;
  }
}

/** Verifies a bearer token and returns its claims. */
export interface TokenVerifier {
  /** @throws AuthError (401) for a bad, expired or incomplete token; ApiError 503 when keys cannot be fetched. */
  verify(token: string): Promise<TokenClaims>;
}

const JWKS_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];
/** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`. */
export const CLOCK_TOLERANCE_SECONDS = 5;

/** Claims as scanq needs them, or undefined. */
function claimsOf(payload: JWTPayload): TokenClaims | undefined {
  const { sub, tenant, roles } = payload;
  if (!isUserId(sub) || typeof tenant !== 'string' || !Array.isArray(roles)) return undefined;
  if (!roles.every((role): role is string => typeof role === 'string')) return undefined;
  return { sub, tenant, roles };
}

/**
 * The verifier the config asks for: HS256 with `SCANQ_JWT_SECRET`, or the keys at
 * `SCANQ_JWT_JWKS_URL`; issuer and audience are checked when configured; `exp` and `sub` are
 * required; 5 s of clock skew are tolerated.
 * @throws ConfigError when neither or both of secret and JWKS URL are set.
 */
export function createVerifier(auth: Config['auth']): TokenVerifier {
  if ((auth.jwtSecret === undefined) === (auth.jwksUrl === undefined)) {
    throw new ConfigError([
      'SCANQ_JWT_SECRET, SCANQ_JWT_JWKS_URL: set exactly one to verify API tokens (a secret of at least 32 bytes, or a JWKS URL)',
    ]);
  }
  const options: JWTVerifyOptions = {
    requiredClaims: ['exp', 'sub'],
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    ...(auth.issuer ? { issuer: auth.issuer } : {}),
    ...(auth.audience ? { audience: auth.audience } : {}),
  };
  const secret = auth.jwtSecret === undefined ? undefined : new TextEncoder().encode(auth.jwtSecret);
  const jwks: JWTVerifyGetKey | undefined = auth.jwksUrl
    ? createRemoteJWKSet(new URL(auth.jwksUrl))
    : undefined;
  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        payload = secret
          ? (await jwtVerify(token, secret, { ...options, algorithms: ['HS256'] })).payload
          : (await jwtVerify(token, jwks as JWTVerifyGetKey, { ...options, algorithms: JWKS_ALGORITHMS }))
              .payload;
      } catch (error) {
        // jose checks the signature before the claims: an expired token's payload is authentic.
        if (error instanceof errors.JWTExpired) throw new ExpiredTokenError(claimsOf(error.payload));
        if (error instanceof errors.JWKSTimeout || (jwks && !(error instanceof errors.JOSEError))) {
          throw new ApiError(503, 'auth.unavailable', 'the token signing keys cannot be fetched', {
            cause: error,
          });
        }
        if (error instanceof errors.JOSEError) {
          throw new AuthError('auth.invalidToken', 'the token is not valid', { cause: error });
        }
        throw error;
      }
      const claims = claimsOf(payload);
      if (!claims) throw new AuthError('auth.invalidClaims', 'the token must carry sub, tenant and roles');
      return claims;
    },
  };
}

/** What `mintToken` signs. */
export interface MintOptions {
  readonly secret: string;
  readonly tenant: string;
  readonly sub: string;
  readonly roles: readonly string[];
  /** Lifetime in milliseconds. */
  readonly ttlMs: number;
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
  /** Clock. Default `new Date()`. */
  readonly now?: Date;
}

/**
 * Signs an HS256 token with the claims the API reads (`scanq token`, tests). The claims are
 * validated so a token that the API would refuse is never minted.
 * @throws InvalidKeyError for a bad tenant, user or role.
 */
export async function mintToken(options: MintOptions): Promise<string> {
  const unknown = options.roles.filter((role) => !isRole(role));
  if (unknown.length > 0)
    throw new InvalidKeyError('tenant.unknownRole', `roles: unknown role ${unknown.join(', ')}`);
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  let jwt = new SignJWT({ tenant: assertTenantId(options.tenant), roles: [...options.roles] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(assertUserId(options.sub))
    .setIssuedAt(iat)
    .setExpirationTime(iat + Math.max(1, Math.round(options.ttlMs / 1000)));
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}

const BEARER = /^Bearer ([A-Za-z0-9_.~+/=-]{1,8192})$/i;

/** The token of an `Authorization: Bearer …` header. @throws AuthError `auth.missingToken`. */
export function bearerToken(header: unknown): string {
  const match = typeof header === 'string' ? BEARER.exec(header.trim()) : null;
  if (!match?.[1]) throw new AuthError('auth.missingToken', 'send Authorization: Bearer <token>');
  return match[1];
}

/** A denied request, as audited. */
export interface Denial {
  readonly action: Action;
  readonly user: string;
  readonly homeTenant: string;
  /** The tenant partition acted in: it and the home tenant get the event. */
  readonly tenant: string;
  /** The tenant asked for, when it differs from `tenant` (a path naming another tenant). */
  readonly asked?: string;
  readonly resource: string;
  /** The kind of refusal (`AuditEvent.kind`): tenantParam, role, expiredToken, crossTenantKey, … */
  readonly kind: string;
}

export interface AuthDeps {
  readonly verifier: TokenVerifier;
  /** Whether the tenant has a profile (cached by the caller for existing tenants only). */
  readonly tenantExists: (tenant: string) => Promise<boolean>;
  readonly tableDeps: TableDeps;
  readonly log: Logger;
  readonly now: () => Date;
}

/**
 * Writes a denial into the acting tenant's and the caller's home partitions (never into a tenant
 * the caller merely named). A failed audit write is logged; the request is denied regardless.
 */
export async function auditDenial(
  deps: Pick<AuthDeps, 'tableDeps' | 'now'>,
  denial: Denial,
  log: Logger,
): Promise<void> {
  const event = {
    action: denial.action,
    callingUser: denial.user,
    callingTenant: denial.homeTenant,
    // A tenant named in a path is caller-chosen text: bound it before it is stored.
    assumedTenant: denial.asked === undefined ? denial.tenant : JSON.stringify(denial.asked).slice(0, 130),
    key: denial.resource,
    authorized: false,
    kind: denial.kind,
  };
  const at = deps.now();
  const tenants = [...new Set([denial.tenant, denial.homeTenant])];
  await Promise.all(
    tenants.map((tenant) =>
      writeAudit(new TenantTable(deps.tableDeps, systemContext(tenant, 'api')), event, { now: at }),
    ),
  ).catch((error: unknown) => log.error({ error: coerceError(error), ...event }, 'could not audit a denial'));
}

function isTenantId(tenant: string): boolean {
  try {
    assertTenantId(tenant);
    return true;
  } catch {
    return false;
  }
}

/** Verifies the token; an expired but authentic one is audited in its tenant before the 401. */
async function verified(deps: AuthDeps, header: unknown, action: Action, resource: string, log: Logger) {
  try {
    const claims = await deps.verifier.verify(bearerToken(header));
    return ownContext({ tenant: claims.tenant, user: claims.sub, roles: claims.roles });
  } catch (error) {
    if (error instanceof ExpiredTokenError && error.claims) {
      const { tenant, sub } = error.claims;
      if (isTenantId(tenant))
        await auditDenial(
          deps,
          { action, user: sub, homeTenant: tenant, tenant, resource, kind: 'expiredToken' },
          log,
        );
    }
    const reason = error instanceof ApiError || error instanceof InvalidKeyError ? error.code : 'unknown';
    log.warn({ reason, route: resource }, 'authentication failed');
    if (error instanceof InvalidKeyError) throw new AuthError('auth.invalidClaims', error.message);
    throw error;
  }
}

/**
 * The one place requests are authenticated and authorized: verifies the bearer token, applies
 * `X-Assume-Tenant` through `assumeTenant` (which decides and audits), checks that a tenant named
 * in the path is the acting one, that the context may do the route's action, and that the tenant
 * has a profile (unless the route manages the profile itself). Denials are audited and answered
 * 403; token problems 401; a tenant without a profile 404 `tenant.notFound`.
 */
export async function authenticate(
  deps: AuthDeps,
  request: {
    readonly id: string;
    readonly method: string;
    readonly url: string;
    readonly headers: Readonly<Record<string, unknown>>;
    readonly params: unknown;
  },
  access: { readonly action: Action; readonly tenantParam?: string; readonly profileOptional?: boolean },
  routeUrl: string,
): Promise<TenantContext> {
  const log = deps.log.child({ requestId: request.id });
  const resource = `${request.method} ${routeUrl}`;
  let ctx = await verified(deps, request.headers.authorization, access.action, resource, log);
  const assume = request.headers['x-assume-tenant'];
  if (typeof assume === 'string' && assume !== '') {
    ctx = await assumeTenant({ ...deps.tableDeps, log, now: deps.now }, ctx, assume);
  }
  const base = {
    action: access.action,
    user: ctx.user,
    homeTenant: ctx.homeTenant,
    tenant: ctx.tenant,
    resource,
  };
  if (access.tenantParam) {
    const named = (request.params as Record<string, unknown> | undefined)?.[access.tenantParam];
    if (named !== ctx.tenant) {
      await auditDenial(deps, { ...base, asked: String(named), kind: 'tenantParam' }, log);
      log.warn(
        { tenant: ctx.tenant, user: ctx.user, action: access.action },
        'request for another tenant denied',
      );
      throw new ForbiddenError('tenant.forbidden', `user ${ctx.user} may not act on another tenant`);
    }
  }
  if (!can(ctx, access.action)) {
    await auditDenial(deps, { ...base, kind: 'role' }, log);
    log.warn({ tenant: ctx.tenant, user: ctx.user, action: access.action }, 'request denied by role');
    throw new ForbiddenError(
      'tenant.forbidden',
      `user ${ctx.user} may not ${access.action} in tenant ${ctx.tenant}`,
    );
  }
  // Nothing is stored for a tenant before its profile (limits, scopes) exists.
  if (!access.profileOptional && !(await deps.tenantExists(ctx.tenant))) {
    throw new ApiError(404, 'tenant.notFound', 'the tenant has no profile yet: PUT /v1/tenants/{id} first');
  }
  return ctx;
}
