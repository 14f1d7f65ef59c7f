// The board's one way to call the API: the bearer token (kept in this tab's sessionStorage, never
// shown) and, when the viewer picked another tenant, X-Assume-Tenant.

const TOKEN = 'scanq.board.token';
const ACTING = 'scanq.board.tenant';

/** An API error answer: the HTTP status and the API's code. */
export class ApiFailure extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const session = {
  /** @returns {string | null} */
  token: () => sessionStorage.getItem(TOKEN),
  /** @param {string} token */
  signIn(token) {
    sessionStorage.setItem(TOKEN, token);
  },
  signOut() {
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(ACTING);
  },
  /** The tenant picked in the header (X-Assume-Tenant), or null for the token's own. */
  acting: () => sessionStorage.getItem(ACTING),
  /** @param {string | null} tenant */
  act(tenant) {
    if (tenant) sessionStorage.setItem(ACTING, tenant);
    else sessionStorage.removeItem(ACTING);
  },
};

/**
 * Calls the API and returns its JSON; a non-2xx answer throws ApiFailure with the API's message.
 * @param {string} path e.g. `/v1/jobs?status=JQ`
 * @param {{ method?: string, body?: unknown, assume?: boolean }} [options] `assume: false` ignores the picked tenant
 * @returns {Promise<any>}
 */
export async function api(path, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  const token = session.token();
  if (token) headers.authorization = `Bearer ${token}`;
  const acting = session.acting();
  if (acting && options.assume !== false) headers['x-assume-tenant'] = acting;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
  } catch {
    throw new ApiFailure(0, 'network', 'the API does not answer (network error)');
  }
  if (response.status === 204) return undefined;
  const text = await response.text();
  /** @type {any} */
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const code = json?.error?.code ?? `http.${response.status}`;
    const message = json?.error?.message ?? `HTTP ${response.status}`;
    throw new ApiFailure(response.status, code, `${message} (${response.status} ${code})`);
  }
  return json;
}

/** `/v1/jobs/{key}` with the key encoded. @param {string} key @param {string} [suffix] */
export function jobPath(key, suffix = '') {
  return `/v1/jobs/${encodeURIComponent(key)}${suffix}`;
}
