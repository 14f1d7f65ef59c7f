import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, createApiServer, mintToken } from '../../src/api/index.js';
import type { Config } from '../../src/config/index.js';
import { createProducer, type Producer } from '../../src/producer/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { captureLog } from '../helpers/log-capture.js';

const SECRET = 'board-oidc-jwt-secret-at-least-32-bytes!!';
const CLIENT_ID = 'scanq-board-test';
const CHROMIUM = process.env.SCANQ_CHROMIUM ?? '/usr/bin/chromium';

/** What the fake identity provider saw of one sign-in. */
interface Grant {
  readonly challenge: string;
  readonly method: string;
  readonly redirectUri: string;
  readonly scope: string;
  exchanged?: boolean;
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += String(chunk);
  return text;
}

/**
 * A tiny OIDC provider: `/authorize` answers at once with a code (the user is "signed in"),
 * `/token` checks the PKCE verifier against the challenge (S256), the client and the redirect URI,
 * and returns an access token the API accepts.
 */
function fakeIdp(issue: () => Promise<string>) {
  const grants = new Map<string, Grant>();
  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://idp');
    const cors = {
      'access-control-allow-origin': '*',
      'access-control-allow-headers': 'content-type, accept',
    };
    if (url.pathname === '/authorize' && url.searchParams.get('client_id') === CLIENT_ID) {
      const code = randomBytes(12).toString('hex');
      grants.set(code, {
        challenge: url.searchParams.get('code_challenge') ?? '',
        method: url.searchParams.get('code_challenge_method') ?? '',
        redirectUri: url.searchParams.get('redirect_uri') ?? '',
        scope: url.searchParams.get('scope') ?? '',
      });
      const back = new URL(url.searchParams.get('redirect_uri') ?? '');
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      response.writeHead(302, { location: back.toString() }).end();
    } else if (url.pathname === '/token' && request.method === 'OPTIONS') {
      response.writeHead(204, cors).end();
    } else if (url.pathname === '/token' && request.method === 'POST') {
      const form = new URLSearchParams(await bodyOf(request));
      const grant = grants.get(form.get('code') ?? '');
      const challenge = createHash('sha256')
        .update(form.get('code_verifier') ?? '')
        .digest('base64url');
      const ok =
        grant !== undefined &&
        !grant.exchanged &&
        grant.method === 'S256' &&
        grant.challenge === challenge &&
        grant.redirectUri === form.get('redirect_uri') &&
        form.get('client_id') === CLIENT_ID &&
        form.get('grant_type') === 'authorization_code';
      if (!ok) {
        response.writeHead(400, { ...cors, 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: 'invalid_grant' }));
        return;
      }
      grant.exchanged = true;
      response.writeHead(200, { ...cors, 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(JSON.stringify({ access_token: await issue(), token_type: 'Bearer', expires_in: 600 }));
    } else {
      response.writeHead(404).end();
    }
  });
  return { server, grants };
}

describe('Ops board: OIDC sign-in (authorization code + PKCE) against a local fake identity provider', () => {
  let stack: TestStack;
  let producer: Producer;
  let api: ApiServer;
  let browser: Browser;
  let base: string;
  const idp = fakeIdp(() =>
    mintToken({ secret: SECRET, tenant: 'acme', sub: 'oidc-alice', roles: ['readonly'], ttlMs: 600_000 }),
  );
  const { log } = captureLog('info');

  beforeAll(async () => {
    stack = await createTestStack('boardoidc', { env: { SCANQ_JWT_SECRET: SECRET } });
    await new Promise<void>((resolve) => idp.server.listen(0, '127.0.0.1', resolve));
    const address = idp.server.address();
    const idpBase = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const config: Config = {
      ...stack.config,
      board: {
        ...stack.config.board,
        oidc: {
          authorizationUrl: `${idpBase}/authorize`,
          tokenUrl: `${idpBase}/token`,
          clientId: CLIENT_ID,
          scopes: 'openid profile',
          token: 'access_token',
        },
      },
    };
    producer = await createProducer(config, { clients: stack.clients, log });
    api = await createApiServer(config, {
      clients: stack.clients,
      producer,
      log,
      queueUrl: stack.report.queueUrl,
    });
    base = await api.listen({ port: 0, host: '127.0.0.1' });
    // The API serves tenants that have a profile: create acme's, as its admin.
    const admin = await mintToken({
      secret: SECRET,
      tenant: 'acme',
      sub: 'root',
      roles: ['admin'],
      ttlMs: 60_000,
    });
    const put = await fetch(`${base}/v1/tenants/acme`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Acme' }),
    });
    expect(put.status).toBe(200);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    producer?.close();
    await new Promise((resolve) => idp.server.close(resolve));
    await destroyTestStack(stack);
  });

  it('signs in through the provider: S256 challenge, code exchanged once with the verifier, token used', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/board/`);
    await page.getByRole('button', { name: 'Sign in with your identity provider' }).click();
    await page.locator('#who .user').filter({ hasText: 'oidc-alice' }).waitFor();
    // The code left the address bar; the provider saw one grant, exchanged once, for the board's URL.
    expect(new URL(page.url()).search).toBe('');
    const grants = [...idp.grants.values()];
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({
      method: 'S256',
      redirectUri: `${base}/board/`,
      scope: 'openid profile',
      exchanged: true,
    });
    expect(grants[0]?.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await context.close();
  });

  it('refuses an answer whose state it did not send, and says so', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/board/?code=forged&state=forged`);
    await page.getByRole('alert').filter({ hasText: 'does not match the request' }).waitFor();
    expect(await page.locator('#who .user').count()).toBe(0);
    await context.close();
  });
});
