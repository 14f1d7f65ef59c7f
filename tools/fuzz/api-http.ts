/** Sends one API case over HTTP and reads what the answer tells about writes. */
import { accountKey } from '../../src/api/index.js';
import { LANE_BUCKET_KEY } from '../../src/producer/index.js';
import { scheduleKey } from '../../src/scheduler/index.js';
import type { ApiCase } from './api-cases.js';
import { ENDPOINTS } from './api-endpoints.js';
import { render } from './fragment.js';

/** An answer, or the connection failing (what a crashed server looks like to a client). */
export type Answer =
  | { readonly ok: true; readonly status: number; readonly text: string }
  | { readonly ok: false; readonly error: string };

/** Where the API listens and who the fuzzer is. */
export interface ApiClient {
  readonly base: string;
  readonly token: string;
  readonly tenant: string;
}

/** The per-case identifier that replaces `§ID§` (unique job targets inside bodies). */
export const caseId = (index: number): string => `c${index}`;

/** Sends `c` as its endpoint's request: the rendered body with its content type (or none). */
export async function send(client: ApiClient, c: ApiCase, index: number): Promise<Answer> {
  const spec = ENDPOINTS[c.endpoint];
  const text = render(c.body, caseId(index));
  const headers: Record<string, string> = { authorization: `Bearer ${client.token}` };
  const contentType = c.contentType ?? 'application/json';
  if (contentType) headers['content-type'] = contentType;
  try {
    const response = await fetch(`${client.base}${spec.path.replace('{tenant}', client.tenant)}`, {
      method: spec.method,
      headers,
      // Bytes carry no default content type; a string would be sent as text/plain.
      body: contentType ? text : Buffer.from(text),
    });
    return { ok: true, status: response.status, text: await response.text() };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    const cause = e.cause instanceof Error ? ` (${e.cause.message})` : '';
    return { ok: false, error: `${e.message}${cause}` };
  }
}

function parsed(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Keys an accepted request may have written, from its answer: the jobs it accepted, the account
 * or schedule it created, the profile it replaced. Anything else that changed is a partial write.
 */
export function writtenKeys(c: ApiCase, status: number, text: string): string[] {
  if (status < 200 || status >= 300) return [];
  const body = parsed(text);
  switch (c.endpoint) {
    case 'job':
    case 'jobBatch': {
      const results = Array.isArray(body.results) ? (body.results as Record<string, unknown>[]) : [];
      const keys = results
        .filter((r) => r.accepted === true && typeof r.key === 'string')
        .map((r) => String(r.key));
      // Accepted jobs take tokens from the tenant's lane bucket (an item beside its profile).
      return keys.length > 0 ? [...keys, LANE_BUCKET_KEY] : keys;
    }
    case 'account':
      return typeof body.provider === 'string' && typeof body.accountId === 'string'
        ? [accountKey(body.provider, body.accountId)]
        : [];
    case 'schedule':
      return typeof body.id === 'string' ? [scheduleKey(body.id)] : [];
    case 'tenant':
      return ['#tenant'];
    case 'upload':
      return [];
  }
}

/** Status and the start of the body, for a failure report. */
export function describeAnswer(answer: Answer): string {
  return answer.ok ? `${answer.status} ${answer.text.slice(0, 300)}` : `no answer: ${answer.error}`;
}
