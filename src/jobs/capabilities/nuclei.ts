import { isIP } from 'node:net';
import type { AssetRecord, RiskRecord, Severity } from '../capability.js';
import { SEVERITIES } from '../capability.js';
import { normalizeTarget } from '../keys.js';

/** One finding line of nuclei-style JSONL, as scanq keeps it. */
export interface NucleiFinding {
  readonly templateId: string;
  readonly name: string;
  readonly severity: Severity;
  /** Host name or IP, lowercased, without port. */
  readonly host: string;
  readonly matchedAt?: string;
}

/** A line that could not be used, and why (1-based line number). */
export interface BadLine {
  readonly line: number;
  readonly reason: string;
}

export interface ParsedOutput {
  readonly findings: NucleiFinding[];
  /** Non-empty lines read. */
  readonly lines: number;
  /** Lines skipped; only the first `MAX_BAD_SAMPLES` are kept with their reason. */
  readonly badLines: number;
  readonly badSamples: BadLine[];
}

/** Reasons kept for the first bad lines; the rest are only counted. */
export const MAX_BAD_SAMPLES = 20;
/** Longest line read; longer is a bad line (nuclei lines with a full response can be large). */
export const MAX_LINE_BYTES = 256 * 1024;
/** `matched-at` values kept per risk. */
export const MAX_MATCHES_PER_RISK = 20;

// Template ids become part of a risk's sort key: no `#`, bounded.
const TEMPLATE_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/;

function text(value: unknown, max: number): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;
}

/** The host of a `host` or `matched-at` value: a bare host[:port] or a URL. */
function hostOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  let host = value;
  if (value.includes('://')) {
    try {
      host = new URL(value).hostname;
    } catch {
      return undefined;
    }
  }
  const checked = normalizeTarget('host', host);
  if (!checked.ok || checked.value.includes('/')) return undefined;
  // Ports belong to the evidence; the asset is the host.
  const normalized = checked.value;
  if (isIP(normalized) !== 0) return normalized;
  const bracketed = /^\[(.+)\](?::\d+)?$/.exec(normalized);
  if (bracketed?.[1]) return bracketed[1];
  const at = normalized.lastIndexOf(':');
  return at > 0 ? normalized.slice(0, at) : normalized;
}

function severityOf(value: unknown): Severity | undefined {
  if (typeof value !== 'string') return undefined;
  const lower = value.toLowerCase();
  // nuclei's own `unknown` carries no judgement: it is information.
  if (lower === 'unknown') return 'info';
  return SEVERITIES.find((s) => s === lower);
}

/** One line → a finding, or the reason it is refused. Pure. */
export function parseNucleiLine(line: string): NucleiFinding | { reason: string } {
  if (Buffer.byteLength(line, 'utf8') > MAX_LINE_BYTES)
    return { reason: `longer than ${MAX_LINE_BYTES} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { reason: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { reason: 'not a JSON object' };
  const record = value as Record<string, unknown>;
  const info = (typeof record.info === 'object' && record.info !== null ? record.info : {}) as Record<
    string,
    unknown
  >;
  const templateId = text(record['template-id'], 200);
  if (!templateId || !TEMPLATE_ID.test(templateId)) return { reason: 'template-id missing or invalid' };
  const severity = severityOf(info.severity);
  if (!severity) return { reason: 'info.severity missing or not info|low|medium|high|critical|unknown' };
  const matchedAt = text(record['matched-at'], 2048);
  const host = hostOf(text(record.host, 2048)) ?? hostOf(matchedAt);
  if (!host) return { reason: 'host (or matched-at) missing or not a host' };
  return {
    templateId,
    name: text(info.name, 500) ?? templateId,
    severity,
    host,
    ...(matchedAt ? { matchedAt } : {}),
  };
}

/** Reads nuclei-style JSONL: blank lines ignored, bad lines counted with a reason, never fatal. Pure. */
export function parseNucleiJsonl(body: string): ParsedOutput {
  const findings: NucleiFinding[] = [];
  const badSamples: BadLine[] = [];
  let lines = 0;
  let badLines = 0;
  body.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim().length === 0) return;
    lines++;
    const parsed = parseNucleiLine(raw);
    if ('reason' in parsed) {
      badLines++;
      if (badSamples.length < MAX_BAD_SAMPLES) badSamples.push({ line: i + 1, reason: parsed.reason });
      return;
    }
    findings.push(parsed);
  });
  return { findings, lines, badLines, badSamples };
}

/**
 * Findings → one `host` asset per host and one risk per (host, template), the matches of a template
 * on a host gathered into its evidence (bounded). `evidenceKey` points at the raw output. Pure.
 */
export function findingRecords(
  findings: readonly NucleiFinding[],
  evidenceKey: string,
): { assets: AssetRecord[]; risks: RiskRecord[] } {
  const assets = new Map<string, AssetRecord>();
  const risks = new Map<string, { finding: NucleiFinding; matches: string[]; count: number }>();
  for (const finding of findings) {
    if (!assets.has(finding.host)) {
      assets.set(finding.host, { type: 'host', value: finding.host, attributes: { source: 'external' } });
    }
    const id = `${finding.host}\u0000${finding.templateId}`;
    const risk = risks.get(id) ?? { finding, matches: [], count: 0 };
    risk.count++;
    if (
      finding.matchedAt &&
      risk.matches.length < MAX_MATCHES_PER_RISK &&
      !risk.matches.includes(finding.matchedAt)
    ) {
      risk.matches.push(finding.matchedAt);
    }
    // The highest severity reported for the pair wins.
    if (SEVERITIES.indexOf(finding.severity) > SEVERITIES.indexOf(risk.finding.severity))
      risk.finding = finding;
    risks.set(id, risk);
  }
  return {
    assets: [...assets.values()],
    risks: [...risks.values()].map(({ finding, matches, count }) => ({
      asset: { type: 'host', value: finding.host },
      name: finding.templateId,
      severity: finding.severity,
      evidence: { template: finding.name, matchedAt: matches, matches: count, output: evidenceKey },
    })),
  };
}
