/** One sample of the Prometheus text exposition format. */
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** Label pairs `a="x",b="y\"z"` starting at `text[0] === '{'`; returns them and the rest after `}`. */
function parseLabels(text: string): { labels: Record<string, string>; rest: string } | undefined {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    while (text[i] === ' ' || text[i] === ',') i++;
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const name = LABEL_NAME.exec(text.slice(i))?.[0];
    if (!name || text[i + name.length] !== '=' || text[i + name.length + 1] !== '"') return undefined;
    i += name.length + 2;
    let value = '';
    for (; i < text.length && text[i] !== '"'; i++) {
      if (text[i] === '\\') {
        i++;
        value += text[i] === 'n' ? '\n' : (text[i] ?? '');
      } else value += text[i];
    }
    if (text[i] !== '"') return undefined;
    labels[name] = value;
    i++;
  }
}

/**
 * Parses the text exposition format (version 0.0.4): comment and malformed lines are skipped, so
 * one bad line never hides the rest. Timestamps are ignored. Pure.
 */
export function parsePrometheusText(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const name = NAME.exec(line)?.[0];
    if (!name) continue;
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      const parsed = parseLabels(rest);
      if (!parsed) continue;
      labels = parsed.labels;
      rest = parsed.rest;
    }
    const valueText = rest.trim().split(/\s+/)[0] ?? '';
    const value = valueText === '+Inf' ? Number.POSITIVE_INFINITY : Number(valueText);
    if (valueText === '' || Number.isNaN(value)) continue;
    samples.push({ name, labels, value });
  }
  return samples;
}
