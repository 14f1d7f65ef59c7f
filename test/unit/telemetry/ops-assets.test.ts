import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/lib/logger.js';
import { METRIC_NAMES, startTelemetry } from '../../../src/telemetry/index.js';
import { skipWithout, which } from '../../helpers/prometheus.js';

/*
 * The ops assets under deploy/: Prometheus alert rules and scrape config, the Grafana dashboard.
 * Every metric they name must be one scanq exports (METRIC_NAMES, itself checked against a real
 * scrape below), and Prometheus's own promtool must accept the rules, the config and every
 * dashboard query.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RULES = join(ROOT, 'deploy/prometheus/rules.yml');
const SCRAPE = join(ROOT, 'deploy/prometheus/prometheus.yml');
const DASHBOARD = join(ROOT, 'deploy/grafana/scanq.json');

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}
interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
}

const rules = (parse(readFileSync(RULES, 'utf8')) as RuleFile).groups.flatMap((g) => g.rules);
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const dashboardQueries = dashboard.panels.flatMap((p) =>
  p.targets.map((t) => ({ panel: p.title, expr: t.expr })),
);

/** Series names a PromQL expression reads: every `scanq_…` identifier, and `up`. */
function metricsIn(expr: string): string[] {
  const names = [...expr.matchAll(/\b(scanq_[a-z0-9_]+)\b/g)].map((m) => m[1] as string);
  if (/\bup\s*\{/.test(expr)) names.push('up');
  return names;
}

/** What a scrape shows for the exported names: counters as is, histograms with their series suffixes. */
const EXPORTED: ReadonlySet<string> = new Set(
  Object.values(METRIC_NAMES).flatMap((name) =>
    name.endsWith('_seconds') ? [name, `${name}_bucket`, `${name}_sum`, `${name}_count`] : [name],
  ),
);
/** Series Prometheus records itself for each target. */
const SYNTHETIC: ReadonlySet<string> = new Set(['up']);

describe('Ops assets: deploy/prometheus and deploy/grafana', () => {
  it('ships alerts for the DLQ, oldest message age, tenant dwell, fenced writes, failures and a worker not scraped', () => {
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'ScanqDeadLetters',
        'ScanqOldestMessageAge',
        'ScanqTenantDwellHigh',
        'ScanqFencedWrites',
        'ScanqJobFailureRate',
        'ScanqWorkerDown',
      ]),
    );
  });

  it.each([
    ...rules.map((r) => ({ where: `rule ${r.alert ?? r.record}`, expr: r.expr })),
    ...dashboardQueries.map((q) => ({ where: `panel "${q.panel}"`, expr: q.expr })),
  ])('$where names only metrics scanq exports', ({ expr }) => {
    const names = metricsIn(expr);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(EXPORTED.has(name) || SYNTHETIC.has(name), name).toBe(true);
  });

  it('notices a name the code does not export (the check can fail)', () => {
    const names = metricsIn('rate(scanq_jobs_vanished_total[5m])');
    expect(names.every((name) => EXPORTED.has(name))).toBe(false);
  });

  it('METRIC_NAMES is exactly what a real Prometheus scrape of the instruments shows', async () => {
    // Prepare
    const config = loadConfig({});
    const telemetry = await startTelemetry(
      config.telemetry,
      { process: 'worker', prometheus: true },
      createLogger({ level: 'silent' }),
    );
    const m = telemetry.metrics;
    // Act: every method once
    m.jobEnqueued('acme', 'noop', 'accepted');
    m.jobEnqueued('acme', 'noop', 'refused', 'alreadyQueued');
    m.jobStarted('acme', 'noop', 0.5);
    for (const end of ['passed', 'failed', 'retried', 'handedOff', 'released', 'fenced'] as const)
      m.attemptEnded('acme', 'noop', end, 1);
    m.inFlight(1);
    m.deferred('acme');
    m.deadLettered(undefined);
    m.credentials('hit');
    m.queueDepth('jobs', 'visible', 3);
    m.swept('resent', 1);
    m.scheduleFired('acme');
    m.httpRequest('GET', '/healthz', 200, 0.001);
    m.unknownJob('acme');
    const text = (await telemetry.prometheus?.()) ?? '';
    await telemetry.shutdown();
    // Assess
    const families = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]));
    expect([...families].sort()).toEqual(
      Object.values(METRIC_NAMES)
        .map((name) => name)
        .sort(),
    );
  });

  describe.skipIf(skipWithout('promtool'))("Prometheus's promtool", () => {
    const promtool = () => {
      const path = which('promtool');
      if (!path) throw new Error('promtool not on PATH in CI: .ci/run installs Debian prometheus');
      return path;
    };

    it('accepts the alert rules (promtool check rules)', () => {
      const out = execFileSync(promtool(), ['check', 'rules', RULES], { encoding: 'utf8' });
      expect(out).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
    });

    it('accepts the example scrape config and the rule file it loads (promtool check config)', () => {
      const out = execFileSync(promtool(), ['check', 'config', SCRAPE], { encoding: 'utf8' });
      expect(out).toContain('is valid prometheus config file syntax');
      expect(out).toContain('SUCCESS: 1 rule files found');
    });

    it('parses every dashboard query (as recording rules, promtool check rules)', () => {
      const dir = mkdtempSync(join(tmpdir(), 'scanq-dashboard-'));
      try {
        const file = join(dir, 'dashboard-queries.yml');
        const records = dashboardQueries.map((q, i) => ({ record: `scanq:dashboard:${i}`, expr: q.expr }));
        writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules: records }] }));
        const out = execFileSync(promtool(), ['check', 'rules', file], { encoding: 'utf8' });
        expect(out).toContain(`SUCCESS: ${records.length} rules found`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('refuses a broken query (the check can fail)', () => {
      const dir = mkdtempSync(join(tmpdir(), 'scanq-dashboard-'));
      try {
        const file = join(dir, 'broken.yml');
        writeFileSync(
          file,
          JSON.stringify({ groups: [{ name: 'x', rules: [{ record: 'x', expr: 'sum(' }] }] }),
        );
        expect(() => execFileSync(promtool(), ['check', 'rules', file], { stdio: 'pipe' })).toThrow();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
