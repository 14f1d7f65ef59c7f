// The dead-letter queue (operators): inspect a message and why it is there; redrive one or all.
import { api } from '../api.js';
import { confirmDialog, empty, failure, h, replace, time } from '../dom.js';

/** @param {import('../app.js').PageContext} ctx */
export async function renderDlq(ctx) {
  const status = h('div', { role: 'status', 'aria-live': 'polite', class: 'notice' });
  const draw = async () => {
    const view = await api('/v1/dlq');
    if (!ctx.current()) return;
    const redriveAll = async () => {
      if (
        !(await confirmDialog(
          'Redrive every message?',
          `Send all ${view.depth} messages of the DLQ back to the jobs queue?`,
          'Redrive all',
        ))
      )
        return;
      await act({ confirm: true });
    };
    /** @param {Record<string, unknown>} body */
    const act = async (body) => {
      try {
        const report = await api('/v1/dlq/redrive', { method: 'POST', body });
        replace(
          status,
          `Moved ${report.moved} message${report.moved === 1 ? '' : 's'} back to the jobs queue${report.failed ? `; ${report.failed} failed and stay in the DLQ` : ''}${report.duplicated ? `; ${report.duplicated} are now in both queues` : ''}.`,
        );
      } catch (error) {
        replace(status, failure(error));
      }
      await draw().catch((error) => replace(list, failure(error)));
    };
    const list = h('div', {});
    replace(
      list,
      view.items.length === 0
        ? empty('The DLQ is empty.')
        : view.items.map((/** @type {any} */ m) =>
            h(
              'article',
              { class: 'card message', 'aria-labelledby': `m-${m.messageId}` },
              h(
                'h2',
                { id: `m-${m.messageId}` },
                m.key ?? '(no job key)',
                ' ',
                h('span', { class: 'muted' }, m.tenant ? `· ${m.tenant}` : '· tenant unknown'),
              ),
              h(
                'dl',
                { class: 'facts' },
                h('dt', {}, 'Reason'),
                h(
                  'dd',
                  {},
                  m.rejectedReason ??
                    'moved by the redrive policy (received too many times without finishing)',
                ),
                h('dt', {}, 'Capability'),
                h('dd', {}, m.capability ?? '-'),
                h('dt', {}, 'Parked'),
                h('dd', {}, time(m.sentAt)),
                h('dt', {}, 'Receives'),
                h('dd', {}, String(m.receiveCount)),
                h('dt', {}, 'Message id'),
                h('dd', {}, h('code', {}, m.messageId)),
              ),
              h('details', {}, h('summary', {}, 'Body (first 200 characters)'), h('pre', {}, m.bodyPreview)),
              h(
                'button',
                {
                  type: 'button',
                  'data-redrive': m.messageId,
                  onclick: async () => {
                    if (
                      await confirmDialog(
                        'Redrive this message?',
                        `Send message ${m.messageId} (${m.key ?? 'no key'}) back to the jobs queue?`,
                        'Redrive',
                      )
                    ) {
                      await act({ messageId: m.messageId, confirm: true });
                    }
                  },
                },
                'Redrive this message',
              ),
            ),
          ),
    );
    replace(
      ctx.main,
      h('h1', {}, 'Dead-letter queue'),
      h(
        'p',
        {},
        `${view.depth} message${view.depth === 1 ? '' : 's'} in the DLQ. Listing holds each message for a moment and adds one to its receive count.`,
      ),
      status,
      view.items.length > 0
        ? h('p', {}, h('button', { type: 'button', class: 'danger', onclick: redriveAll }, 'Redrive all'))
        : null,
      list,
    );
  };
  await draw();
}
