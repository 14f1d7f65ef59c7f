/** The printed report of a fuzz run: one table, the accounting, the failures, the headline. Pure. */
import type { FuzzReport, TargetReport } from './types.js';

const COLUMNS = [
  'target',
  'cases',
  'ran',
  'crashes',
  '5xx',
  'partial writes',
  'unaccounted',
  'error logs',
  's',
];

function row(r: TargetReport): string[] {
  return [
    r.target,
    String(r.cases),
    String(r.ran),
    String(r.crashes),
    r.target === 'api' ? String(r.serverErrors) : '-',
    String(r.partialWrites),
    String(r.unaccounted),
    String(r.errorLogs),
    r.seconds.toFixed(0),
  ];
}

function table(rows: readonly string[][]): string[] {
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((cells) => (cells[i] ?? '').length)));
  return rows.map((cells) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  '),
  );
}

/** `a ×3, b ×1`, largest first. */
function counts(record: Readonly<Record<string, number>>): string {
  return Object.entries(record)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ×${n}`)
    .join(', ');
}

/** Control characters and odd Unicode of generated text, escaped for a terminal. */
const printable = (text: string) => JSON.stringify(text).slice(1, -1);

/** The lines `scanq fuzz` prints. */
export function formatReport(report: FuzzReport, replay: string): string[] {
  const lines = [
    `fuzz run — seed ${report.seed}, ${report.cases} cases, endpoint ${report.profile}, ${report.seconds.toFixed(0)} s`,
    '',
    ...table([COLUMNS, ...report.targets.map(row)]),
    '',
  ];
  for (const r of report.targets) {
    lines.push(`${r.target}: ${r.accounting}`);
    lines.push(`  kinds: ${counts(r.kinds)}`);
    lines.push(`  outcomes: ${counts(r.outcomes)}`);
    lines.push(`  case list sha256 ${r.digest.slice(0, 16)}…`);
    for (const e of r.errorExamples) lines.push(`  error log: ${printable(e)}`);
  }
  const failures = report.targets.flatMap((r) => r.failures.map((f) => ({ target: r.target, ...f })));
  if (failures.length > 0) {
    lines.push('', `failures (replay: ${replay}):`);
    for (const f of failures) {
      lines.push(`  ${f.target} #${f.index} ${f.problem}: ${printable(f.label)}`);
      lines.push(`    got: ${printable(f.detail.slice(0, 300))}`);
      if (f.body) lines.push(`    body: ${printable(f.body)}`);
    }
  }
  lines.push('', report.headline);
  return lines;
}
