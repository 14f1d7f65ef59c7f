/**
 * Exports of a tenant's risks, streamed: each is an async generator of text chunks that reads the
 * risks a page at a time, so memory stays flat whatever the number of risks (docs/FINDINGS.md).
 *
 * - SARIF 2.1.0: one run per capability, rules with help text, results located at the asset.
 * - OCSF 1.5.0 Vulnerability Finding (class 2002): one JSON object a line.
 * - DefectDojo Generic Findings Import (JSON): `{ name, findings: [...] }`.
 */
import { createHash } from 'node:crypto';
import type { Severity } from '../jobs/capability.js';
import type { TenantTable } from '../tenancy/index.js';
import { lastChange, type StoredRisk } from './model.js';
import { ruleOf } from './rules.js';
import { eachRisk, type RiskFilter } from './views.js';

export const EXPORT_FORMATS = ['sarif', 'ocsf', 'defectdojo'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Content types of the formats. */
export const EXPORT_CONTENT_TYPES: Readonly<Record<ExportFormat, string>> = {
  sarif: 'application/sarif+json',
  ocsf: 'application/x-ndjson',
  defectdojo: 'application/json',
};

/** The product named in every export. */
export const PRODUCT = { name: 'scanq', version: '0.1.0' } as const;
/** The OCSF version the events follow (the schema the tests validate against). */
export const OCSF_VERSION = '1.5.0';
const SARIF_SCHEMA =
  'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/** A stable id of a risk for outside tools: the same risk key gives the same id in every export. */
export const exportId = (risk: Pick<StoredRisk, 'key'>) =>
  createHash('sha256').update(risk.key).digest('hex');

/** `#asset#{type}#{value}` → type and value. Pure. */
export function assetParts(assetKey: string): { type: string; value: string } {
  const rest = assetKey.startsWith('#asset#') ? assetKey.slice('#asset#'.length) : assetKey;
  const at = rest.indexOf('#');
  return at < 0 ? { type: '', value: rest } : { type: rest.slice(0, at), value: rest.slice(at + 1) };
}

/** A host and port of a network asset (`host`, `port` = `host:port`, `url`), else undefined. Pure. */
export function networkOf(assetKey: string): { host: string; port?: number; url?: string } | undefined {
  const { type, value } = assetParts(assetKey);
  if (type === 'url') {
    try {
      const url = new URL(value);
      return { host: url.hostname.replace(/^\[|\]$/g, ''), url: url.toString(), ...portOf(url) };
    } catch {
      return undefined;
    }
  }
  if (type === 'host') return { host: value };
  if (type === 'port') {
    const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(value);
    return m?.[1] && m[2] ? { host: m[1], port: Number(m[2]) } : undefined;
  }
  return undefined;
}

function portOf(url: URL): { port?: number } {
  if (url.port) return { port: Number(url.port) };
  return url.protocol === 'https:' ? { port: 443 } : url.protocol === 'http:' ? { port: 80 } : {};
}

const ms = (iso: string | undefined) => (iso ? Date.parse(iso) : Number.NaN);

// ---- SARIF 2.1.0 -------------------------------------------------------------------------------

const SARIF_LEVEL: Readonly<Record<Severity, 'error' | 'warning' | 'note'>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};
/** GitHub code scanning reads `security-severity` (CVSS-like 0.0–10.0) from rule properties. */
const SECURITY_SEVERITY: Readonly<Record<Severity, string>> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '0.0',
};

function sarifRule(name: string, severity: Severity) {
  const rule = ruleOf(name);
  return {
    id: name,
    shortDescription: { text: rule.title },
    fullDescription: { text: rule.help },
    help: { text: rule.help },
    defaultConfiguration: { level: SARIF_LEVEL[severity] },
    properties: {
      tags: ['security', ...(rule.cwe === undefined ? [] : [`external/cwe/cwe-${rule.cwe}`])],
      'security-severity': SECURITY_SEVERITY[severity],
    },
  };
}

function sarifLocation(risk: StoredRisk) {
  const network = networkOf(risk.asset);
  const { type, value } = assetParts(risk.asset);
  if (network?.url) return { physicalLocation: { artifactLocation: { uri: network.url } } };
  return { logicalLocations: [{ name: value, fullyQualifiedName: risk.asset, kind: type || 'asset' }] };
}

function baselineState(risk: StoredRisk): 'new' | 'unchanged' | 'updated' | 'absent' {
  if (risk.status === 'closed') return 'absent';
  const change = lastChange(risk);
  if (change === 'severity') return 'updated';
  return risk.seenCount <= 1 || change === 'reopened' ? 'new' : 'unchanged';
}

/** One SARIF result. `ruleIndex` is the rule's place in its run's `rules`. Pure. */
export function sarifResult(risk: StoredRisk, ruleIndex: number) {
  const closed = risk.status === 'closed';
  const { value } = assetParts(risk.asset);
  return {
    ruleId: risk.name,
    ruleIndex,
    kind: closed ? 'pass' : 'fail',
    level: closed ? 'none' : SARIF_LEVEL[risk.severity],
    message: { text: `${ruleOf(risk.name).title}: ${value}${closed ? ' (closed)' : ''}` },
    locations: [sarifLocation(risk)],
    partialFingerprints: { 'scanqRiskKey/v1': exportId(risk) },
    baselineState: baselineState(risk),
    properties: {
      riskKey: risk.key,
      severity: risk.severity,
      status: risk.status,
      firstSeen: risk.firstSeen,
      lastSeen: risk.lastSeen,
      seenCount: risk.seenCount,
      lastJob: risk.lastJob,
      ...(risk.closedAt === undefined ? {} : { closedAt: risk.closedAt }),
    },
  };
}

/**
 * SARIF 2.1.0 log: one run per capability, each read in its own pass (a capability filter) so
 * results stream; a run's rules are collected as its results pass and written after them (JSON
 * members have no order). Memory: the capability names and each run's rule names.
 */
export async function* sarifExport(table: TenantTable, filter: RiskFilter = {}): AsyncGenerator<string> {
  const capabilities = new Set<string>();
  if (filter.capability) capabilities.add(filter.capability);
  else for await (const risk of eachRisk(table, filter)) capabilities.add(risk.capability);
  yield `{"$schema":${JSON.stringify(SARIF_SCHEMA)},"version":"2.1.0","runs":[`;
  let firstRun = true;
  for (const capability of [...capabilities].sort()) {
    yield `${firstRun ? '' : ','}{"results":[`;
    firstRun = false;
    const rules = new Map<string, { index: number; severity: Severity }>();
    let first = true;
    for await (const risk of eachRisk(table, { ...filter, capability })) {
      let rule = rules.get(risk.name);
      if (!rule) {
        rule = { index: rules.size, severity: risk.severity };
        rules.set(risk.name, rule);
      }
      yield `${first ? '' : ','}${JSON.stringify(sarifResult(risk, rule.index))}`;
      first = false;
    }
    const driver = {
      name: PRODUCT.name,
      fullName: `${PRODUCT.name} ${capability}`,
      version: PRODUCT.version,
      semanticVersion: PRODUCT.version,
      rules: [...rules].map(([name, { severity }]) => sarifRule(name, severity)),
    };
    yield `],"tool":${JSON.stringify({ driver })},"automationDetails":${JSON.stringify({ id: `${PRODUCT.name}/${capability}/` })},"columnKind":"utf16CodeUnits"}`;
  }
  yield ']}\n';
}

// ---- OCSF 1.5.0 Vulnerability Finding (2002) ---------------------------------------------------

const OCSF_SEVERITY: Readonly<Record<Severity, { id: number; name: string }>> = {
  info: { id: 1, name: 'Informational' },
  low: { id: 2, name: 'Low' },
  medium: { id: 3, name: 'Medium' },
  high: { id: 4, name: 'High' },
  critical: { id: 5, name: 'Critical' },
};
const OCSF_ACTIVITY = {
  create: { id: 1, name: 'Create' },
  update: { id: 2, name: 'Update' },
  close: { id: 3, name: 'Close' },
} as const;

/** Create when the last change opened it, Close when it closed it, Update otherwise. Pure. */
export function ocsfActivity(risk: StoredRisk): (typeof OCSF_ACTIVITY)[keyof typeof OCSF_ACTIVITY] {
  const change = lastChange(risk);
  return change === 'opened'
    ? OCSF_ACTIVITY.create
    : change === 'closed'
      ? OCSF_ACTIVITY.close
      : OCSF_ACTIVITY.update;
}

/** One OCSF Vulnerability Finding event of a risk. Pure. */
export function ocsfFinding(risk: StoredRisk) {
  const activity = ocsfActivity(risk);
  const severity = OCSF_SEVERITY[risk.severity];
  const rule = ruleOf(risk.name);
  const { type, value } = assetParts(risk.asset);
  const closed = risk.status === 'closed';
  const network = networkOf(risk.asset);
  return {
    activity_id: activity.id,
    activity_name: activity.name,
    category_uid: 2,
    category_name: 'Findings',
    class_uid: 2002,
    class_name: 'Vulnerability Finding',
    type_uid: 2002 * 100 + activity.id,
    type_name: `Vulnerability Finding: ${activity.name}`,
    severity_id: severity.id,
    severity: severity.name,
    status_id: closed ? 4 : 1,
    status: closed ? 'Resolved' : 'New',
    time: ms(closed ? risk.closedAt : risk.lastSeen),
    count: risk.seenCount,
    message: `${rule.title}: ${value}`,
    metadata: {
      version: OCSF_VERSION,
      uid: exportId(risk),
      product: { name: PRODUCT.name, vendor_name: PRODUCT.name, version: PRODUCT.version },
    },
    finding_info: {
      uid: exportId(risk),
      title: rule.title,
      desc: rule.help,
      types: [risk.name],
      first_seen_time: ms(risk.firstSeen),
      last_seen_time: ms(risk.lastSeen),
      product: { name: PRODUCT.name, vendor_name: PRODUCT.name, version: PRODUCT.version },
      analytic: { name: risk.capability, type_id: 1, type: 'Rule', uid: risk.name },
    },
    vulnerabilities: [
      {
        title: rule.title,
        desc: rule.help,
        severity: severity.name,
        first_seen_time: ms(risk.firstSeen),
        last_seen_time: ms(risk.lastSeen),
        ...(rule.cwe === undefined ? {} : { cwe: { uid: String(rule.cwe) } }),
        remediation: { desc: rule.help },
      },
    ],
    resources: [
      {
        uid: risk.asset,
        name: value,
        type: type || 'asset',
        ...(network ? { hostname: network.host } : {}),
      },
    ],
  };
}

/** OCSF events, one JSON object a line. */
export async function* ocsfExport(table: TenantTable, filter: RiskFilter = {}): AsyncGenerator<string> {
  for await (const risk of eachRisk(table, filter)) yield `${JSON.stringify(ocsfFinding(risk))}\n`;
}

// ---- DefectDojo Generic Findings Import --------------------------------------------------------

const DOJO_SEVERITY: Readonly<Record<Severity, string>> = {
  info: 'Info',
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  critical: 'Critical',
};

const day = (iso: string) => iso.slice(0, 10);

/** One finding of DefectDojo's Generic Findings Import (JSON). Pure. */
export function defectDojoFinding(risk: StoredRisk) {
  const rule = ruleOf(risk.name);
  const { type, value } = assetParts(risk.asset);
  const network = networkOf(risk.asset);
  const closed = risk.status === 'closed';
  const endpoint =
    network?.url ??
    (network ? { host: network.host, ...(network.port ? { port: network.port } : {}) } : undefined);
  return {
    title: `${rule.title}: ${value}`,
    severity: DOJO_SEVERITY[risk.severity],
    description: `${rule.help}\n\nAsset: ${value} (${type || 'asset'}). Risk: ${risk.name}, reported by ${risk.capability}; first seen ${risk.firstSeen}, last seen ${risk.lastSeen}, ${risk.seenCount} time(s).`,
    date: day(risk.firstSeen),
    ...(rule.cwe === undefined ? {} : { cwe: rule.cwe }),
    mitigation: rule.help,
    active: !closed,
    verified: false,
    is_mitigated: closed,
    ...(closed && risk.closedAt ? { mitigated: risk.closedAt } : {}),
    dynamic_finding: true,
    static_finding: false,
    unique_id_from_tool: exportId(risk),
    vuln_id_from_tool: risk.name,
    nb_occurences: risk.seenCount,
    service: risk.capability,
    ...(endpoint ? { endpoints: [endpoint] } : {}),
    tags: ['scanq', risk.capability],
  };
}

/** DefectDojo Generic Findings Import JSON, streamed. */
export async function* defectDojoExport(table: TenantTable, filter: RiskFilter = {}): AsyncGenerator<string> {
  yield `{"name":"${PRODUCT.name}","findings":[`;
  let first = true;
  for await (const risk of eachRisk(table, filter)) {
    yield `${first ? '' : ','}${JSON.stringify(defectDojoFinding(risk))}`;
    first = false;
  }
  yield ']}\n';
}

/** The export of `format`, as text chunks. */
export function exportRisks(
  table: TenantTable,
  format: ExportFormat,
  filter: RiskFilter = {},
): AsyncGenerator<string> {
  switch (format) {
    case 'sarif':
      return sarifExport(table, filter);
    case 'ocsf':
      return ocsfExport(table, filter);
    case 'defectdojo':
      return defectDojoExport(table, filter);
  }
}
