// The ops board: sign-in, the header, and a hash router over the pages.
import { ApiFailure, api, session } from './api.js';
import { failure, h, loading, replace, viewerZone } from './dom.js';
import { renderDlq } from './pages/dlq.js';
import { renderFindings } from './pages/findings.js';
import { renderJob, renderJobs } from './pages/jobs.js';
import { renderOverview } from './pages/overview.js';
import { renderQuarantine } from './pages/quarantine.js';
import { renderTenants } from './pages/tenants.js';
import {
  authorizationRequestUrl,
  codeChallenge,
  exchangeCode,
  randomToken,
  readAuthorizationResponse,
} from './pkce.js';

const PKCE = 'scanq.board.pkce';

/** @typedef {{ tenant: string, homeTenant: string, user: string, roles: string[], operator: boolean }} Me */
/**
 * What a page gets: where to draw, the query of its hash, who is signed in, and timers that stop
 * when the viewer leaves the page.
 * @typedef {{ main: HTMLElement, params: URLSearchParams, path: string[], me: Me, every: (ms: number, fn: () => Promise<void>) => void, current: () => boolean }} PageContext
 */

/** @type {Record<string, { title: string, render: (ctx: PageContext) => void | Promise<void> }>} */
const PAGES = {
  overview: { title: 'Overview', render: renderOverview },
  jobs: { title: 'Jobs', render: renderJobs },
  job: { title: 'Job', render: renderJob },
  findings: { title: 'Findings', render: renderFindings },
  dlq: { title: 'Dead-letter queue', render: renderDlq },
  quarantine: { title: 'Quarantine', render: renderQuarantine },
  tenants: { title: 'Tenants', render: renderTenants },
};

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
let generation = 0;
/** @type {number[]} */
let timers = [];
/** @type {Me | undefined} */
let me;
/** @type {{ oidc?: { authorizationUrl: string, tokenUrl: string, clientId: string, scopes: string, token: 'access_token' | 'id_token' } }} */
let boardConfig = {};

const redirectUri = () => `${location.origin}/board/`;

function stopTimers() {
  for (const id of timers) clearTimeout(id);
  timers = [];
}

/** @param {string} [message] */
function showSignIn(message) {
  stopTimers();
  me = undefined;
  /** @type {HTMLElement} */ (document.getElementById('nav')).hidden = true;
  replace(/** @type {HTMLElement} */ (document.getElementById('who')));
  document.title = 'Sign in · scanq board';
  const input = h('textarea', {
    id: 'token',
    name: 'token',
    rows: 4,
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const form = h(
    'form',
    { class: 'card signin', onsubmit: onPaste },
    h('label', { for: 'token' }, 'API token (JWT)'),
    h(
      'p',
      { class: 'hint', id: 'token-hint' },
      'Paste a token from `scanq token` or your identity provider. It stays in this tab only.',
    ),
    input,
    h('button', { type: 'submit' }, 'Sign in'),
  );
  input.setAttribute('aria-describedby', 'token-hint');
  replace(
    main,
    h('h1', {}, 'Sign in'),
    message ? h('p', { class: 'state error', role: 'alert' }, message) : null,
    form,
    boardConfig.oidc
      ? h(
          'p',
          {},
          h(
            'button',
            { type: 'button', class: 'secondary', onclick: startOidc },
            'Sign in with your identity provider',
          ),
        )
      : null,
  );
  input.focus();
}

/** @param {SubmitEvent} event */
async function onPaste(event) {
  event.preventDefault();
  const form = /** @type {HTMLFormElement} */ (event.target);
  const token = String(new FormData(form).get('token') ?? '').trim();
  if (!token) return;
  session.signIn(token);
  session.act(null);
  await start();
}

async function startOidc() {
  const oidc = boardConfig.oidc;
  if (!oidc) return;
  const verifier = randomToken(32);
  const state = randomToken(16);
  sessionStorage.setItem(PKCE, JSON.stringify({ verifier, state }));
  location.assign(
    authorizationRequestUrl(oidc, {
      redirectUri: redirectUri(),
      state,
      challenge: await codeChallenge(verifier),
    }),
  );
}

/** Finishes an OIDC sign-in when the page is the redirect; returns an error message if it failed. */
async function finishOidc() {
  const oidc = boardConfig.oidc;
  const saved = sessionStorage.getItem(PKCE);
  const pending = saved ? /** @type {{ verifier: string, state: string }} */ (JSON.parse(saved)) : undefined;
  const answer = readAuthorizationResponse(location.href, pending?.state ?? null);
  if (!answer) return undefined;
  sessionStorage.removeItem(PKCE);
  history.replaceState(null, '', '/board/#/overview');
  if ('error' in answer) return answer.error;
  if (!oidc || !pending) return 'sign-in with an identity provider is not configured';
  try {
    session.signIn(
      await exchangeCode(oidc, { code: answer.code, verifier: pending.verifier, redirectUri: redirectUri() }),
    );
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function renderWho() {
  if (!me) return;
  const who = /** @type {HTMLElement} */ (document.getElementById('who'));
  const picker = h('input', {
    id: 'acting',
    name: 'tenant',
    value: me.tenant,
    size: 14,
    autocomplete: 'off',
    'aria-describedby': 'acting-hint',
  });
  replace(
    who,
    h(
      'span',
      { class: 'user' },
      me.user,
      ' · ',
      me.roles.join(', '),
      me.operator ? h('span', { class: 'badge operator' }, 'operator') : null,
    ),
    h(
      'form',
      {
        class: 'acting',
        onsubmit: async (/** @type {SubmitEvent} */ event) => {
          event.preventDefault();
          const tenant = String(/** @type {HTMLInputElement} */ (picker).value).trim();
          session.act(tenant && tenant !== me?.homeTenant ? tenant : null);
          await start();
        },
      },
      h('label', { for: 'acting' }, 'Tenant'),
      picker,
      h(
        'span',
        { id: 'acting-hint', class: 'sr-only' },
        'Another tenant is reached through X-Assume-Tenant, when it lists you',
      ),
      h('button', { type: 'submit', class: 'secondary' }, 'Switch'),
    ),
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        onclick: () => {
          session.signOut();
          showSignIn();
        },
      },
      'Sign out',
    ),
  );
  const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
  nav.hidden = false;
  const admin = me.roles.includes('admin');
  /** @type {HTMLElement} */ for (const item of nav.querySelectorAll('[data-operator]'))
    item.hidden = !me.operator;
  for (const item of nav.querySelectorAll('[data-admin]')) /** @type {HTMLElement} */ (item).hidden = !admin;
}

async function route() {
  if (!me) return;
  stopTimers();
  const mine = ++generation;
  const [path = '', query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').map((part) => decodeURIComponent(part));
  const name = parts[0] && PAGES[parts[0]] ? parts[0] : 'overview';
  const page = /** @type {(typeof PAGES)[string]} */ (PAGES[name]);
  document.title = `${page.title} · scanq board`;
  for (const link of document.querySelectorAll('nav a')) {
    const here = link.getAttribute('href') === `#/${name === 'job' ? 'jobs' : name}`;
    if (here) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  replace(main, loading(page.title.toLowerCase()));
  main.focus({ preventScroll: true });
  /** @type {PageContext} */
  const ctx = {
    main,
    params: new URLSearchParams(query),
    path: parts.slice(1),
    me,
    current: () => mine === generation,
    every(ms, fn) {
      const tick = () => {
        if (mine !== generation) return;
        timers.push(
          window.setTimeout(async () => {
            if (mine !== generation) return;
            await fn().catch(() => {});
            tick();
          }, ms),
        );
      };
      tick();
    },
  };
  try {
    await page.render(ctx);
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 401)
      return showSignIn('Your token was refused or has expired: sign in again.');
    if (mine === generation)
      replace(
        main,
        h('h1', {}, page.title),
        failure(error, () => void route()),
      );
  }
}

async function start() {
  if (!session.token()) return showSignIn();
  replace(main, loading('your account'));
  try {
    me = await api('/v1/whoami');
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 403 && session.acting()) {
      session.act(null);
      return showSignIn(
        `You may not act in that tenant (${error.message}). Sign in again to continue in your own.`,
      );
    }
    session.signOut();
    return showSignIn(
      error instanceof ApiFailure && error.status === 401
        ? 'The token was refused: check it and try again.'
        : String(error instanceof Error ? error.message : error),
    );
  }
  renderWho();
  await route();
}

async function boot() {
  replace(/** @type {HTMLElement} */ (document.getElementById('zone')), viewerZone());
  try {
    boardConfig = await api('/v1/board/config', { assume: false });
  } catch {
    boardConfig = {};
  }
  const problem = await finishOidc();
  if (problem) return showSignIn(problem);
  window.addEventListener('hashchange', () => void route());
  await start();
}

void boot();
