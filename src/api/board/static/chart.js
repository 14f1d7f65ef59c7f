// Plain SVG line charts: no library, no canvas. Each chart has a text summary for screen readers.
import { clock, h } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';
const W = 640;
const H = 200;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };

/** @param {string} tag @param {Record<string, string | number>} attributes @param {...(Node | string)} children */
function s(tag, attributes, ...children) {
  const element = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

/** @param {number} value */
function nice(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

/** @param {number} value */
function short(value) {
  if (value === 0) return '0';
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toPrecision(2);
}

/**
 * A line chart of one or more series over time.
 * @param {{ title: string, unit: string, series: { name: string, cls: string, points: { at: Date, value: number }[] }[] }} spec
 * @returns {HTMLElement}
 */
export function lineChart(spec) {
  const all = spec.series.flatMap((line) => line.points);
  const figure = h('figure', { class: 'chart' }, h('figcaption', {}, `${spec.title} (${spec.unit})`));
  if (all.length < 2) {
    figure.append(
      h('p', { class: 'state empty' }, 'Not enough points yet: the chart fills while the board is open.'),
    );
    return figure;
  }
  const t0 = Math.min(...all.map((p) => p.at.getTime()));
  const t1 = Math.max(...all.map((p) => p.at.getTime()));
  const top = nice(Math.max(...all.map((p) => p.value)));
  const x = (/** @type {Date} */ at) =>
    PAD.left + ((at.getTime() - t0) / Math.max(1, t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (/** @type {number} */ v) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const latest = spec.series
    .map((line) => `${line.name} ${short(line.points.at(-1)?.value ?? 0)} ${spec.unit}`)
    .join(', ');
  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': `${spec.title} from ${clock(new Date(t0))} to ${clock(new Date(t1))}; latest: ${latest}; peak ${short(top)} ${spec.unit} scale`,
    preserveAspectRatio: 'none',
  });
  for (const fraction of [0, 0.5, 1]) {
    const value = top * fraction;
    svg.append(
      s('line', { x1: PAD.left, x2: W - PAD.right, y1: y(value), y2: y(value), class: 'grid' }),
      s('text', { x: PAD.left - 6, y: y(value) + 4, 'text-anchor': 'end', class: 'tick' }, short(value)),
    );
  }
  svg.append(
    s('text', { x: PAD.left, y: H - 8, class: 'tick' }, clock(new Date(t0))),
    s('text', { x: W - PAD.right, y: H - 8, 'text-anchor': 'end', class: 'tick' }, clock(new Date(t1))),
  );
  for (const line of spec.series) {
    if (line.points.length === 0) continue;
    const d = line.points.map(
      (p, i) => `${i === 0 ? 'M' : 'L'}${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`,
    );
    svg.append(s('path', { d: d.join(' '), class: `line ${line.cls}` }));
    // A dot per point: a series with one point (or points on the axis) still shows.
    for (const p of line.points) {
      svg.append(
        s('circle', { cx: x(p.at).toFixed(1), cy: y(p.value).toFixed(1), r: 3.5, class: `dot ${line.cls}` }),
      );
    }
  }
  figure.append(svg);
  figure.append(
    h(
      'ul',
      { class: 'legend' },
      spec.series.map((line) =>
        h('li', {}, h('span', { class: `swatch ${line.cls}`, 'aria-hidden': 'true' }), line.name),
      ),
    ),
  );
  return figure;
}
