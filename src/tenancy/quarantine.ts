import { createHash } from 'node:crypto';
import { MAX_FILE_NAME_LENGTH } from './file-keys.js';

/** One reason a file was quarantined; `path` points into the file when it can. */
export interface QuarantineReason {
  readonly code: string;
  readonly message: string;
  readonly path?: string;
}

/** Metadata names on a quarantined file (S3 user metadata: lowercase, ASCII values, 2 KB in all). */
export const QUARANTINE_METADATA = {
  at: 'scanq-quarantined-at',
  uploadDay: 'scanq-upload-day',
  codes: 'scanq-reasons',
  total: 'scanq-reason-count',
  first: 'scanq-first-reason',
  reportOf: 'scanq-report',
} as const;

const REPORT_SUFFIX = '.report.json';

/**
 * Where the report of a quarantined file lives: `{key}.report.json`, or, when that name would be
 * too long, the name cut with a hash of the whole key so two long names never share a report. Pure.
 */
export function quarantineReportKey(key: string): string {
  const at = key.indexOf('/', key.indexOf('/', key.indexOf('/') + 1) + 1);
  const name = key.slice(at + 1);
  if (name.length + REPORT_SUFFIX.length <= MAX_FILE_NAME_LENGTH) return `${key}${REPORT_SUFFIX}`;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 12);
  const keep = MAX_FILE_NAME_LENGTH - REPORT_SUFFIX.length - hash.length - 1;
  return `${key.slice(0, at + 1)}${name.slice(0, keep)}-${hash}${REPORT_SUFFIX}`;
}

/** Percent-encoded and cut without splitting an escape: metadata values travel as ASCII headers. */
function asciiValue(text: string, max: number): string {
  let encoded = encodeURIComponent(text);
  if (encoded.length <= max) return encoded;
  encoded = encoded.slice(0, max);
  const lastEscape = encoded.lastIndexOf('%');
  return lastEscape > max - 3 ? encoded.slice(0, lastEscape) : encoded;
}

/** The metadata a quarantined copy carries: reason codes, count, the first reason, when. Pure. */
export function quarantineMetadata(
  tenant: string,
  uploadDay: string,
  reasons: readonly QuarantineReason[],
  total: number,
  at: string,
): Record<string, string> {
  const codes = [...new Set(reasons.map((r) => r.code))].join(',');
  const first = reasons[0];
  return {
    tenant,
    [QUARANTINE_METADATA.at]: at,
    [QUARANTINE_METADATA.uploadDay]: uploadDay,
    [QUARANTINE_METADATA.codes]: asciiValue(codes, 256),
    [QUARANTINE_METADATA.total]: String(total),
    ...(first
      ? {
          [QUARANTINE_METADATA.first]: asciiValue(
            `${first.path ? `${first.path}: ` : ''}${first.message}`,
            1024,
          ),
        }
      : {}),
  };
}
