// Tenants (admins): profile, limits, allowed scopes, authorized users. Operators may look up any.
import { api } from '../api.js';
import { empty, h, replace, time } from '../dom.js';

/** @param {string[]} items */
function list(items) {
  return items.length === 0
    ? h('span', { class: 'muted' }, 'none')
    : h(
        'ul',
        { class: 'inline' },
        items.map((i) => h('li', {}, h('code', {}, i))),
      );
}

/** @param {any} p */
function profile(p) {
  const limits = Object.entries(p.limits ?? {});
  const cascade = p.cascade ? Object.entries(p.cascade) : [];
  return h(
    'article',
    { class: 'card', 'aria-labelledby': 't-name' },
    h('h2', { id: 't-name' }, p.name ?? p.id, ' ', h('span', { class: 'muted' }, `(${p.id})`)),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Limits'),
      h(
        'dd',
        {},
        limits.length === 0
          ? h('span', { class: 'muted' }, 'defaults')
          : h(
              'ul',
              { class: 'inline' },
              limits.map(([k, v]) => h('li', {}, `${k}: ${v}`)),
            ),
      ),
      h('dt', {}, 'Allowed scopes'),
      h('dd', {}, list(p.allowedScopes ?? [])),
      h('dt', {}, 'Authorized MSP users'),
      h('dd', {}, list(p.authorizedUsers ?? [])),
      h('dt', {}, 'Cascade'),
      h(
        'dd',
        {},
        cascade.length === 0
          ? h('span', { class: 'muted' }, 'defaults')
          : h(
              'ul',
              { class: 'inline' },
              cascade.map(([k, v]) =>
                h('li', {}, `${k}: ${Array.isArray(v) ? v.join(', ') || 'none' : String(v)}`),
              ),
            ),
      ),
      h('dt', {}, 'Job shards'),
      h('dd', {}, String(p.shards)),
      h('dt', {}, 'Created'),
      h('dd', {}, time(p.created)),
      h('dt', {}, 'Updated'),
      h('dd', {}, time(p.updated)),
    ),
  );
}

/** @param {import('../app.js').PageContext} ctx */
export async function renderTenants(ctx) {
  const id = ctx.params.get('id') ?? ctx.me.tenant;
  let body;
  try {
    body = profile(
      await api(`/v1/board/tenants/${encodeURIComponent(id)}`, { assume: id === ctx.me.tenant }),
    );
  } catch (error) {
    if (/** @type {any} */ (error).status === 404) body = empty(`Tenant ${id} has no profile yet.`);
    else throw error;
  }
  if (!ctx.current()) return;
  replace(
    ctx.main,
    h('h1', {}, 'Tenants'),
    ctx.me.operator
      ? h(
          'form',
          {
            class: 'filters',
            onsubmit: (/** @type {SubmitEvent} */ event) => {
              event.preventDefault();
              const next = String(
                new FormData(/** @type {HTMLFormElement} */ (event.target)).get('id') ?? '',
              ).trim();
              location.hash = next ? `#/tenants?id=${encodeURIComponent(next)}` : '#/tenants';
            },
          },
          h(
            'div',
            {},
            h('label', { for: 't-id' }, 'Tenant id'),
            h('input', { id: 't-id', name: 'id', value: id, autocomplete: 'off' }),
          ),
          h('button', { type: 'submit' }, 'Look up'),
        )
      : null,
    body,
  );
}
