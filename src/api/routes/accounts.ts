import {
  type AccountCredentials,
  ConditionFailedError,
  putAccountSecret,
  type SecretsDeps,
  type TenantContext,
  type TenantTable,
} from '../../tenancy/index.js';
import { type RouteDeps, tableFor } from '../deps.js';
import { ApiError, RequestValidationError } from '../errors.js';
import { accountKey, providerKey, type Validation, validateCredentials } from '../onboarding.js';
import { type Route, securedRoute } from '../routing.js';
import {
  accountBodySchema,
  accountListSchema,
  accountParamsSchema,
  accountQuerySchema,
  accountViewSchema,
  credentialsBodySchema,
  pageQuerySchema,
  providerBodySchema,
  providerViewSchema,
} from '../schemas.js';
import { accountView } from '../views.js';

const TAGS = ['onboarding'];
const NEW = { expression: 'attribute_not_exists(#nk)', names: { '#nk': 'key' } };

function secretsDeps(deps: RouteDeps): SecretsDeps {
  const r = deps.config.resources;
  return { secrets: deps.clients.secrets, prefix: r.secretsPrefix, kmsKeyId: r.kmsKey };
}

/** Valid credentials come back with the secret they were stored in; invalid ones with the reason. */
type Stored =
  | {
      readonly validation: Extract<Validation, { state: 'active' }>;
      readonly secret: { arn: string; versionId: string };
    }
  | { readonly validation: Extract<Validation, { state: 'invalid' }>; readonly secret?: undefined };

/**
 * Validates credentials and, only when they work, stores them (a new secret, or a new version of
 * the existing one). Invalid credentials are never stored: the account records why instead.
 */
async function validateAndStore(
  deps: RouteDeps,
  ctx: TenantContext,
  accountId: string,
  credentials: AccountCredentials,
): Promise<Stored> {
  const sts = { config: deps.config, sts: deps.clients.sts };
  const validation = await validateCredentials(sts, ctx, accountId, credentials);
  if (validation.state !== 'active') return { validation };
  const stored = await putAccountSecret(secretsDeps(deps), ctx, accountId, credentials);
  return { validation, secret: { arn: stored.arn, versionId: stored.versionId } };
}

function validationFields(validation: Validation, at: string) {
  return validation.state === 'active'
    ? { state: 'active', identityArn: validation.identityArn, validatedAt: at }
    : { state: 'invalid', reason: validation.reason, validatedAt: at };
}

async function requireProvider(table: TenantTable, provider: string): Promise<void> {
  if (!(await table.get(providerKey(provider), { consistent: true }))) {
    throw new RequestValidationError(
      [{ field: 'provider', message: 'not registered in this tenant: POST /v1/providers first' }],
      'account.unknownProvider',
    );
  }
}

function createProvider(deps: RouteDeps): Route {
  return securedRoute({
    method: 'POST',
    url: '/v1/providers',
    action: 'account:write',
    body: providerBodySchema,
    doc: {
      summary: 'Register a cloud provider for the tenant (onboarding step 1)',
      tags: TAGS,
      responses: {
        201: { description: 'registered', schema: providerViewSchema },
        200: { description: 'already registered', schema: providerViewSchema },
      },
    },
    async handle({ body, ctx }) {
      const table = tableFor(deps, ctx);
      const at = deps.now().toISOString();
      const item = {
        key: providerKey(body.name),
        kind: 'provider',
        name: body.name,
        created: at,
        updated: at,
      };
      const view = (stored: Record<string, unknown>) => ({
        name: body.name,
        ...(typeof stored.description === 'string' ? { description: stored.description } : {}),
        created: String(stored.created),
      });
      try {
        await table.put(
          { ...item, ...(body.description ? { description: body.description } : {}) },
          { condition: NEW },
        );
        return { status: 201, body: view({ ...item, description: body.description }) };
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
        return { status: 200, body: view(error.stored ?? item) };
      }
    },
  });
}

function createAccount(deps: RouteDeps): Route {
  return securedRoute({
    method: 'POST',
    url: '/v1/accounts',
    action: 'account:write',
    body: accountBodySchema,
    doc: {
      summary: 'Onboard a cloud account: validate its credentials (STS), store them (Secrets Manager, KMS)',
      description:
        'The account is created active, or invalid with the reason; invalid credentials are not stored. ' +
        'Credentials are never returned by any endpoint.',
      tags: TAGS,
      responses: { 201: { description: 'the account, active or invalid', schema: accountViewSchema } },
      errors: {
        409: 'account.exists: the account is onboarded already; PUT its credentials to rotate them',
        503: 'account.validationUnavailable: STS did not answer (throttling, 5xx, network); retry after Retry-After',
      },
    },
    async handle({ body, ctx }) {
      const table = tableFor(deps, ctx);
      await requireProvider(table, body.provider);
      const key = accountKey(body.provider, body.accountId);
      if (await table.get(key, { consistent: true })) {
        throw new ApiError(
          409,
          'account.exists',
          'the account is onboarded; PUT its credentials to rotate them',
        );
      }
      const { validation, secret } = await validateAndStore(deps, ctx, body.accountId, body.credentials);
      const at = deps.now().toISOString();
      const item = {
        key,
        kind: 'account',
        provider: body.provider,
        accountId: body.accountId,
        ...(body.name ? { name: body.name } : {}),
        ...validationFields(validation, at),
        credentialKind: body.credentials.kind,
        ...(secret ? { secretArn: secret.arn, secretVersion: secret.versionId } : {}),
        createdBy: ctx.user,
        created: at,
        updated: at,
      };
      try {
        await table.put(item, { condition: NEW });
      } catch (error) {
        if (error instanceof ConditionFailedError) {
          throw new ApiError(409, 'account.exists', 'the account was onboarded meanwhile');
        }
        throw error;
      }
      deps.log.info({ tenant: ctx.tenant, user: ctx.user, key, state: item.state }, 'account onboarded');
      return { status: 201, body: accountView(item) };
    },
  });
}

function rotateCredentials(deps: RouteDeps): Route {
  return securedRoute({
    method: 'PUT',
    url: '/v1/accounts/:id/credentials',
    action: 'account:write',
    params: accountParamsSchema,
    query: accountQuerySchema,
    body: credentialsBodySchema,
    doc: {
      summary: "Rotate an account's credentials: validated first, then stored as a new secret version",
      description: 'Credentials that fail validation are refused (422) and the stored ones are kept.',
      tags: TAGS,
      responses: { 200: { description: 'the account, active', schema: accountViewSchema } },
      errors: {
        404: 'account.notFound: no such account in this tenant',
        422: 'account.invalidCredentials: STS refused the new credentials; the stored ones are kept',
        503: 'account.validationUnavailable: STS did not answer (throttling, 5xx, network); retry after Retry-After',
      },
    },
    async handle({ params, query, body, ctx }) {
      const table = tableFor(deps, ctx);
      const key = accountKey(query.provider, params.id);
      if (!(await table.get(key, { consistent: true }))) {
        throw new ApiError(404, 'account.notFound', 'no such account in this tenant');
      }
      const { validation, secret } = await validateAndStore(deps, ctx, params.id, body.credentials);
      if (!secret) {
        throw new ApiError(422, 'account.invalidCredentials', validation.reason, {
          fields: [{ field: 'credentials', message: validation.reason }],
        });
      }
      const at = deps.now().toISOString();
      const written = await table.update(key, {
        set: {
          ...validationFields(validation, at),
          credentialKind: body.credentials.kind,
          secretArn: secret.arn,
          secretVersion: secret.versionId,
          rotatedAt: at,
          updated: at,
        },
        remove: ['reason'],
      });
      deps.log.info({ tenant: ctx.tenant, user: ctx.user, key }, 'account credentials rotated');
      return { status: 200, body: accountView(written) };
    },
  });
}

function listAccounts(deps: RouteDeps): Route {
  return securedRoute({
    method: 'GET',
    url: '/v1/accounts',
    action: 'account:read',
    query: pageQuerySchema,
    doc: {
      summary: "The tenant's onboarded accounts (metadata only)",
      tags: TAGS,
      responses: { 200: { description: 'one page', schema: accountListSchema } },
    },
    async handle({ query, ctx }) {
      const page = await tableFor(deps, ctx).query({
        prefix: '#account#',
        limit: query.limit,
        ...(query.cursor ? { cursor: query.cursor } : {}),
      });
      return {
        status: 200,
        body: { items: page.items.map(accountView), ...(page.cursor ? { cursor: page.cursor } : {}) },
      };
    },
  });
}

/** Onboarding: providers, accounts with validated credentials, rotation. */
export function accountRoutes(deps: RouteDeps): Route[] {
  return [createProvider(deps), createAccount(deps), rotateCredentials(deps), listAccounts(deps)];
}
