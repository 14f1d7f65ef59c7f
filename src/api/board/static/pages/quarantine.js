// Quarantined import files: list with reasons; delete one after a confirmation.
import { api } from '../api.js';
import { confirmDialog, empty, failure, h, replace, time } from '../dom.js';

/** @param {import('../app.js').PageContext} ctx */
export async function renderQuarantine(ctx) {
  const status = h('div', { role: 'status', 'aria-live': 'polite', class: 'notice' });
  const tenantParam = ctx.me.operator && ctx.params.get('tenant') ? ctx.params.get('tenant') : null;
  const draw = async () => {
    const view = await api(
      `/v1/quarantine${tenantParam ? `?tenant=${encodeURIComponent(tenantParam)}` : ''}`,
    );
    if (!ctx.current()) return;
    const lookup = ctx.me.operator
      ? h(
          'form',
          {
            class: 'filters',
            onsubmit: (/** @type {SubmitEvent} */ event) => {
              event.preventDefault();
              const tenant = String(
                new FormData(/** @type {HTMLFormElement} */ (event.target)).get('tenant') ?? '',
              ).trim();
              location.hash = tenant ? `#/quarantine?tenant=${encodeURIComponent(tenant)}` : '#/quarantine';
            },
          },
          h(
            'div',
            {},
            h('label', { for: 'q-tenant' }, 'Tenant (operators)'),
            h('input', {
              id: 'q-tenant',
              name: 'tenant',
              value: tenantParam ?? ctx.me.tenant,
              autocomplete: 'off',
            }),
          ),
          h('button', { type: 'submit' }, 'Show'),
        )
      : null;
    replace(
      ctx.main,
      h('h1', {}, 'Quarantine'),
      h(
        'p',
        {},
        `Import files of ${tenantParam ?? ctx.me.tenant} refused by validation, with their reasons.`,
      ),
      lookup,
      status,
      view.items.length === 0
        ? empty('Nothing in quarantine.')
        : view.items.map((/** @type {any} */ f, /** @type {number} */ i) =>
            h(
              'article',
              { class: 'card', 'aria-labelledby': `q-${i}` },
              h('h2', { id: `q-${i}` }, f.key.split('/').slice(3).join('/')),
              h(
                'dl',
                { class: 'facts' },
                h('dt', {}, 'Key'),
                h('dd', {}, h('code', {}, f.key)),
                h('dt', {}, 'Quarantined'),
                h('dd', {}, time(f.quarantinedAt)),
                h('dt', {}, 'Size'),
                h('dd', {}, f.size === undefined ? '-' : `${f.size} bytes`),
                f.source ? [h('dt', {}, 'Uploaded as'), h('dd', {}, f.source)] : null,
                h('dt', {}, 'Reasons'),
                h('dd', {}, `${f.reasonCount ?? f.reasons.length} (${f.reasonCodes.join(', ') || '-'})`),
              ),
              f.reasons.length > 0
                ? h(
                    'ul',
                    { class: 'reasons' },
                    f.reasons.map((/** @type {any} */ r) =>
                      h('li', {}, h('code', {}, r.code), ' ', r.path ? `${r.path}: ` : '', r.message),
                    ),
                  )
                : null,
              h(
                'button',
                {
                  type: 'button',
                  class: 'danger',
                  onclick: async () => {
                    if (
                      !(await confirmDialog(
                        'Delete this file?',
                        `Delete ${f.key} and its report? Earlier versions stay in the versioned bucket.`,
                        'Delete',
                      ))
                    )
                      return;
                    try {
                      await api(`/v1/quarantine/${encodeURIComponent(f.key)}?confirm=true`, {
                        method: 'DELETE',
                      });
                      replace(status, `Deleted ${f.key}.`);
                    } catch (error) {
                      replace(status, failure(error));
                    }
                    await draw();
                  },
                },
                'Delete',
              ),
            ),
          ),
    );
  };
  await draw();
}
