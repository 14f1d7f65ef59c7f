// Jobs (filter, pages, live updates) and one job (history, attempts, result, risks, cascade).
import { ApiFailure, api, jobPath, session } from '../api.js';
import { empty, failure, h, replace, statusBadge, table, time } from '../dom.js';

const POLL_MS = 5_000;
const STATUSES = ['JQ', 'JR', 'JRA', 'JQA', 'JP', 'JF'];

/** @param {string} key */
export function jobHref(key) {
  return `#/job/${encodeURIComponent(key)}`;
}

/** @param {URLSearchParams} params */
function listPath(params) {
  const query = new URLSearchParams();
  for (const name of ['status', 'capability', 'cursor']) {
    const value = params.get(name);
    if (value) query.set(name, value);
  }
  query.set('limit', '25');
  return `/v1/jobs?${query}`;
}

/** @param {import('../app.js').PageContext} ctx */
export async function renderJobs(ctx) {
  const params = ctx.params;
  const status = h(
    'select',
    { id: 'f-status', name: 'status' },
    h('option', { value: '' }, 'any'),
    STATUSES.map((code) => h('option', { value: code, selected: params.get('status') === code }, code)),
  );
  const form = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      onsubmit: (/** @type {SubmitEvent} */ event) => {
        event.preventDefault();
        const data = new FormData(/** @type {HTMLFormElement} */ (event.target));
        const tenant = String(data.get('tenant') ?? '').trim();
        const next = new URLSearchParams();
        for (const name of ['status', 'capability']) {
          const value = String(data.get(name) ?? '').trim();
          if (value) next.set(name, value);
        }
        const before = session.acting();
        session.act(tenant && tenant !== ctx.me.homeTenant ? tenant : null);
        const hash = `#/jobs${next.size > 0 ? `?${next}` : ''}`;
        if (before !== session.acting()) {
          location.hash = hash;
          location.reload();
        } else location.hash = hash;
      },
    },
    h(
      'div',
      {},
      h('label', { for: 'f-tenant' }, 'Tenant'),
      h('input', { id: 'f-tenant', name: 'tenant', value: ctx.me.tenant, autocomplete: 'off' }),
    ),
    h('div', {}, h('label', { for: 'f-status' }, 'Status'), status),
    h(
      'div',
      {},
      h('label', { for: 'f-capability' }, 'Capability'),
      h('input', {
        id: 'f-capability',
        name: 'capability',
        value: params.get('capability') ?? '',
        autocomplete: 'off',
      }),
    ),
    h('button', { type: 'submit' }, 'Apply'),
  );
  const live = h('input', { type: 'checkbox', id: 'live', checked: true });
  const updated = h('span', { 'aria-live': 'polite', class: 'muted' });
  const results = h('div', { id: 'job-results' });
  replace(
    ctx.main,
    h('h1', {}, 'Jobs'),
    form,
    h('p', { class: 'live' }, live, h('label', { for: 'live' }, ' Live updates (every 5 s)'), ' ', updated),
    results,
  );
  const draw = async () => {
    const page = await api(listPath(params));
    if (!ctx.current()) return;
    replace(updated, 'updated ', time(new Date().toISOString()));
    const pager = h(
      'nav',
      { class: 'pager', 'aria-label': 'Pages of jobs' },
      params.get('cursor') ? h('a', { href: pageHash(params, null) }, 'First page') : null,
      page.cursor ? h('a', { href: pageHash(params, page.cursor), rel: 'next' }, 'Next page') : null,
    );
    replace(
      results,
      page.items.length === 0
        ? empty(
            page.cursor ? 'No job on this page matches the filter; there are more pages.' : 'No jobs match.',
          )
        : table(
            `Jobs of ${ctx.me.tenant}`,
            ['Job', 'Status', 'Capability', 'Attempt', 'Updated'],
            page.items.map((/** @type {any} */ job) => [
              h('a', { href: jobHref(job.key) }, job.target),
              statusBadge(job.status),
              job.capability,
              String(job.attempt),
              time(job.updated),
            ]),
          ),
      pager,
    );
  };
  await draw();
  ctx.every(POLL_MS, async () => {
    if (!(/** @type {HTMLInputElement} */ (live).checked)) return;
    await draw().catch((error) => ctx.current() && replace(results, failure(error)));
  });
}

/** @param {URLSearchParams} params @param {string | null} cursor */
function pageHash(params, cursor) {
  const next = new URLSearchParams(params);
  if (cursor) next.set('cursor', cursor);
  else next.delete('cursor');
  return `#/jobs?${next}`;
}

/** @param {any} job */
async function resultPart(job) {
  if (!job.links.result)
    return h('p', { class: 'muted' }, 'No result yet: it is written when the job finishes.');
  try {
    const link = await api(jobPath(job.key, '/result'));
    return h(
      'p',
      {},
      h(
        'a',
        { href: link.url, class: 'button', id: 'result-link', download: 'result.json', rel: 'noreferrer' },
        'Download the result (JSON)',
      ),
      ' ',
      h('span', { class: 'muted' }, 'link valid until ', time(link.expiresAt)),
    );
  } catch (error) {
    return failure(error);
  }
}

/** @param {any} job */
async function risksPart(job) {
  try {
    const page = await api(`/v1/risks?capability=${encodeURIComponent(job.capability)}`);
    const mine = page.items.filter((/** @type {any} */ risk) => risk.lastJob === job.key);
    if (mine.length === 0) return empty('No open or recent finding names this job as its last run.');
    return table(
      'Findings whose last run was this job',
      ['Finding', 'Asset', 'Severity', 'Status', 'Last seen'],
      mine.map((/** @type {any} */ r) => [
        r.name,
        r.assetKey,
        h('span', { class: `badge sev-${r.severity}` }, r.severity),
        r.status,
        time(r.lastSeen),
      ]),
    );
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 404 && error.code === 'route.notFound') {
      return h('p', { class: 'state empty' }, 'Findings API unavailable on this server.');
    }
    return failure(error);
  }
}

/** @param {any} job */
async function cascadePart(job) {
  const links = [];
  if (job.parent) links.push(h('li', {}, 'Parent: ', h('a', { href: jobHref(job.parent) }, job.parent)));
  if (job.root && job.root !== job.parent)
    links.push(h('li', {}, 'Root: ', h('a', { href: jobHref(job.root) }, job.root)));
  let children;
  try {
    const page = await api(jobPath(job.key, '/children'));
    children =
      page.items.length === 0
        ? empty('The cascade spawned no job from this one.')
        : table(
            'Jobs spawned from this one',
            ['Job', 'Capability', 'Status'],
            page.items.map((/** @type {any} */ c) => [
              h('a', { href: jobHref(c.key) }, c.target),
              c.capability,
              statusBadge(c.status),
            ]),
          );
  } catch (error) {
    children = failure(error);
  }
  return [
    links.length > 0
      ? h('ul', {}, links)
      : h('p', { class: 'muted' }, `Started by a user or schedule (depth ${job.depth}).`),
    children,
  ];
}

/** @param {import('../app.js').PageContext} ctx */
export async function renderJob(ctx) {
  const key = ctx.path[0] ?? '';
  const job = await api(jobPath(key));
  if (!ctx.current()) return;
  const attempts = job.history.filter((/** @type {any} */ e) => e.status === 'JR').length;
  const [result, risks, cascade] = await Promise.all([resultPart(job), risksPart(job), cascadePart(job)]);
  if (!ctx.current()) return;
  replace(
    ctx.main,
    h('p', {}, h('a', { href: '#/jobs' }, '← Jobs')),
    h('h1', {}, `${job.capability} · ${job.target}`),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Key'),
      h('dd', {}, h('code', {}, job.key)),
      h('dt', {}, 'Status'),
      h('dd', {}, statusBadge(job.status), ' since ', time(job.statusAt)),
      h('dt', {}, 'Attempts'),
      h(
        'dd',
        {},
        `${job.attempt} (attempt counter), ${attempts} start${attempts === 1 ? '' : 's'} in the history`,
      ),
      h('dt', {}, 'Created'),
      h('dd', {}, time(job.created)),
      h('dt', {}, 'Updated'),
      h('dd', {}, time(job.updated)),
      job.error ? [h('dt', {}, 'Error'), h('dd', { class: 'error-text' }, job.error)] : null,
    ),
    h(
      'section',
      { 'aria-labelledby': 'h-history' },
      h('h2', { id: 'h-history' }, 'Status history'),
      job.history.length === 0
        ? empty('No transitions recorded.')
        : table(
            'Every status the job went through, oldest first',
            ['#', 'Status', 'At'],
            job.history.map((/** @type {any} */ e, /** @type {number} */ i) => [
              String(i + 1),
              statusBadge(e.status),
              time(e.at),
            ]),
          ),
    ),
    h('section', { 'aria-labelledby': 'h-result' }, h('h2', { id: 'h-result' }, 'Result'), result),
    h('section', { 'aria-labelledby': 'h-risks' }, h('h2', { id: 'h-risks' }, 'Findings'), risks),
    h('section', { 'aria-labelledby': 'h-cascade' }, h('h2', { id: 'h-cascade' }, 'Cascade'), cascade),
  );
}
