// Overview: queue depth, in-flight, DLQ, workers, throughput and dwell, noisy tenants.
import { api } from '../api.js';
import { lineChart } from '../chart.js';
import { empty, failure, h, replace, statusBadge, table, time } from '../dom.js';

const POLL_MS = 10_000;

/** @param {string} label @param {number | string} value @param {string} [note] */
function stat(label, value, note) {
  return h(
    'div',
    { class: 'stat' },
    h('dt', {}, label),
    h('dd', { 'data-stat': label }, String(value)),
    note ? h('dd', { class: 'note' }, note) : null,
  );
}

/** @param {any} view */
function charts(view) {
  const points = view.charts.map((/** @type {any} */ p) => ({ ...p, at: new Date(p.at) }));
  return h(
    'section',
    { class: 'charts', 'aria-labelledby': 'charts-title' },
    h('h2', { id: 'charts-title' }, 'Last hour'),
    h(
      'div',
      { class: 'grid2' },
      lineChart({
        title: 'Throughput',
        unit: 'jobs/s',
        series: [
          {
            name: 'finished',
            cls: 's1',
            points: points.map((/** @type {any} */ p) => ({ at: p.at, value: p.jobsPerSecond })),
          },
        ],
      }),
      lineChart({
        title: 'Dwell, enqueue to start',
        unit: 's',
        series: [
          {
            name: 'p50',
            cls: 's1',
            points: points
              .filter((/** @type {any} */ p) => p.dwellP50 !== undefined)
              .map((/** @type {any} */ p) => ({ at: p.at, value: p.dwellP50 })),
          },
          {
            name: 'p95',
            cls: 's2',
            points: points
              .filter((/** @type {any} */ p) => p.dwellP95 !== undefined)
              .map((/** @type {any} */ p) => ({ at: p.at, value: p.dwellP95 })),
          },
        ],
      }),
    ),
  );
}

/** @param {any} view */
function operatorPart(view) {
  const q = view.queues;
  return [
    h(
      'section',
      { 'aria-labelledby': 'system-title' },
      h('h2', { id: 'system-title' }, 'Queues and workers'),
      h(
        'dl',
        { class: 'stats' },
        stat(
          'Queue depth',
          q.jobs.visible + q.jobs.delayed + q.bulk.visible + q.bulk.delayed,
          `jobs lane ${q.jobs.visible + q.jobs.delayed}, bulk lane ${q.bulk.visible + q.bulk.delayed}`,
        ),
        stat(
          'In flight',
          q.jobs.inFlight + q.bulk.inFlight,
          `${view.inFlight} attempts running on the workers that answered`,
        ),
        stat('DLQ depth', q.dlq.visible + q.dlq.inFlight + q.dlq.delayed),
        stat(
          'Workers alive',
          `${view.workers.alive} of ${view.workers.targets}`,
          'metrics URLs that answered',
        ),
      ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'tenants-title' },
      h('h2', { id: 'tenants-title' }, 'Tenants'),
      view.noisy.length > 0
        ? h(
            'p',
            {},
            'Noisiest in the last hour: ',
            view.noisy.map((/** @type {string} */ t, /** @type {number} */ i) => [
              i > 0 ? ', ' : '',
              h('strong', {}, t),
            ]),
          )
        : h('p', { class: 'muted' }, 'No tenant enqueued or was deferred in the last hour.'),
      view.tenants.length === 0
        ? empty('No tenant in the metrics yet.')
        : table(
            'Jobs per tenant: since start (last hour)',
            ['Tenant', 'Enqueued', 'Started', 'Passed', 'Failed', 'Deferred', 'Dead letters'],
            view.tenants.map((/** @type {any} */ row) => [
              row.tenant,
              ...['enqueued', 'started', 'passed', 'failed', 'deferrals', 'deadLetters'].map(
                (k) => `${row.total[k]} (${row.lastHour[k]})`,
              ),
            ]),
          ),
    ),
  ];
}

/** @param {import('../app.js').PageContext} ctx */
export async function renderOverview(ctx) {
  const draw = async () => {
    const view = await api('/v1/overview');
    if (!ctx.current()) return;
    const codes = Object.entries(view.jobs.byStatus);
    replace(
      ctx.main,
      h('h1', {}, 'Overview'),
      h(
        'p',
        { class: 'muted' },
        `Tenant ${view.tenant}${view.scope === 'operator' ? ' · operator view of every tenant' : ''} · updated `,
        time(view.generatedAt),
      ),
      view.scope === 'operator' ? operatorPart(view) : null,
      h(
        'section',
        { 'aria-labelledby': 'jobs-title' },
        h('h2', { id: 'jobs-title' }, `Jobs of ${view.tenant}`),
        codes.length === 0
          ? empty('This tenant has no jobs yet.')
          : h(
              'dl',
              { class: 'stats' },
              codes.map(([code, n]) =>
                h(
                  'div',
                  { class: 'stat' },
                  h('dt', {}, statusBadge(code)),
                  h('dd', { 'data-status': code }, String(n)),
                ),
              ),
            ),
        h(
          'p',
          { class: 'muted' },
          `${view.jobs.total}${view.jobs.truncated ? '+' : ''} jobs in all.`,
          ' ',
          h('a', { href: '#/jobs' }, 'See the jobs'),
        ),
      ),
      charts(view),
    );
  };
  await draw();
  ctx.every(POLL_MS, async () => {
    try {
      await draw();
    } catch (error) {
      if (ctx.current()) ctx.main.prepend(failure(error));
    }
  });
}
