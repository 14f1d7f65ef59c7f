// Findings of the tenant: counts by severity and status, each risk's lifecycle and history.
import { ApiFailure, api } from '../api.js';
import { empty, failure, h, replace, table, time } from '../dom.js';

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];
const STATUSES = ['open', 'reopened', 'closed'];
/** Pages read for the counts (the API pages by cursor). */
const MAX_PAGES = 5;

/** @param {URLSearchParams} params @param {string} [cursor] */
function risksPath(params, cursor) {
  const query = new URLSearchParams();
  for (const name of ['status', 'severity', 'capability']) {
    const value = params.get(name);
    if (value) query.set(name, value);
  }
  if (cursor) query.set('cursor', cursor);
  return `/v1/risks?${query}`;
}

/** @param {any} risk */
function historyOf(risk) {
  const holder = h('div', {}, h('p', { class: 'muted' }, 'Open to load the history.'));
  let loaded = false;
  return h(
    'details',
    {
      ontoggle: async (/** @type {Event} */ event) => {
        if (loaded || !(/** @type {HTMLDetailsElement} */ (event.target).open)) return;
        loaded = true;
        try {
          const full = await api(`/v1/risks/${encodeURIComponent(risk.key)}`);
          replace(
            holder,
            full.history.length === 0
              ? empty('No history recorded.')
              : table(
                  'Lifecycle',
                  ['At', 'Change', 'Job', 'Severity'],
                  full.history.map((/** @type {any} */ e) => [
                    time(e.at),
                    e.change,
                    e.job ?? '-',
                    e.severity ?? '-',
                  ]),
                ),
          );
        } catch (error) {
          replace(holder, failure(error));
        }
      },
    },
    h('summary', {}, 'History'),
    holder,
  );
}

/** @param {import('../app.js').PageContext} ctx */
export async function renderFindings(ctx) {
  /** @type {any[]} */
  const risks = [];
  let cursor;
  let pages = 0;
  try {
    do {
      const page = await api(risksPath(ctx.params, cursor));
      risks.push(...page.items);
      cursor = page.cursor;
      pages++;
    } while (cursor && pages < MAX_PAGES);
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 404 && error.code === 'route.notFound') {
      replace(
        ctx.main,
        h('h1', {}, 'Findings'),
        h(
          'p',
          { class: 'state empty' },
          'Findings API unavailable: this API server does not serve /v1/risks yet.',
        ),
      );
      return;
    }
    throw error;
  }
  if (!ctx.current()) return;
  const count = (/** @type {string} */ field, /** @type {string} */ value) =>
    risks.filter((r) => r[field] === value).length;
  const filters = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      onsubmit: (/** @type {SubmitEvent} */ event) => {
        event.preventDefault();
        const data = new FormData(/** @type {HTMLFormElement} */ (event.target));
        const next = new URLSearchParams();
        for (const name of ['status', 'severity', 'capability']) {
          const value = String(data.get(name) ?? '').trim();
          if (value) next.set(name, value);
        }
        location.hash = `#/findings${next.size > 0 ? `?${next}` : ''}`;
      },
    },
    h(
      'div',
      {},
      h('label', { for: 'r-status' }, 'Status'),
      h(
        'select',
        { id: 'r-status', name: 'status' },
        h('option', { value: '' }, 'any'),
        STATUSES.map((s) => h('option', { value: s, selected: ctx.params.get('status') === s }, s)),
      ),
    ),
    h(
      'div',
      {},
      h('label', { for: 'r-severity' }, 'Severity'),
      h(
        'select',
        { id: 'r-severity', name: 'severity' },
        h('option', { value: '' }, 'any'),
        SEVERITIES.map((s) => h('option', { value: s, selected: ctx.params.get('severity') === s }, s)),
      ),
    ),
    h(
      'div',
      {},
      h('label', { for: 'r-capability' }, 'Capability'),
      h('input', {
        id: 'r-capability',
        name: 'capability',
        value: ctx.params.get('capability') ?? '',
        autocomplete: 'off',
      }),
    ),
    h('button', { type: 'submit' }, 'Apply'),
  );
  replace(
    ctx.main,
    h('h1', {}, `Findings of ${ctx.me.tenant}`),
    filters,
    h(
      'div',
      { class: 'grid2' },
      table(
        'By severity',
        ['Severity', 'Findings'],
        SEVERITIES.map((s) => [h('span', { class: `badge sev-${s}` }, s), String(count('severity', s))]),
      ),
      table(
        'By status',
        ['Status', 'Findings'],
        STATUSES.map((s) => [s, String(count('status', s))]),
      ),
    ),
    cursor ? h('p', { class: 'muted' }, `Counts cover the first ${risks.length} findings.`) : null,
    risks.length === 0
      ? empty('No findings match.')
      : h(
          'section',
          { 'aria-labelledby': 'r-list' },
          h('h2', { id: 'r-list' }, 'Findings'),
          table(
            'Each finding with its lifecycle',
            ['Finding', 'Asset', 'Severity', 'Status', 'First seen', 'Last seen', 'Seen', 'History'],
            risks.map((r) => [
              r.name,
              h('code', {}, r.assetKey),
              h('span', { class: `badge sev-${r.severity}` }, r.severity),
              r.status === 'closed' && r.closedAt ? h('span', {}, 'closed ', time(r.closedAt)) : r.status,
              time(r.firstSeen),
              time(r.lastSeen),
              String(r.seenCount),
              historyOf(r),
            ]),
          ),
        ),
  );
}
