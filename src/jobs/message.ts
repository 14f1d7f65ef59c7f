import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { coerceError } from '../lib/errors.js';
import { assertTenantId } from '../tenancy/context.js';
import { InvalidKeyError } from '../tenancy/errors.js';
import { assertItemKey } from '../tenancy/table.js';
import { isCapabilityName } from './keys.js';

/** Current version of the message body. A worker rejects versions it does not know. */
export const MESSAGE_VERSION = 1;

const isoTime = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)) && s.endsWith('Z'), 'must be an RFC 3339 UTC time');

/**
 * A check made of a tenancy assertion, so a message the tenancy layer would refuse later (and
 * make the worker fail on, over and over) is refused here, with a reason, once.
 */
const passes = (assert: (value: unknown) => unknown) => (value: unknown) => {
  try {
    assert(value);
    return true;
  } catch (error) {
    if (error instanceof InvalidKeyError) return false;
    throw error;
  }
};

// In `u` mode a range of surrogates matches only unpaired ones: text no store can encode as UTF-8.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const wellFormed = (s: string) => !LONE_SURROGATE.test(s);

/** The versioned SQS body. No secret ever travels in it. */
export const jobMessageSchema = z.strictObject({
  v: z.literal(MESSAGE_VERSION),
  tenant: z.string().refine(passes(assertTenantId), 'must be a tenant id'),
  key: z
    .string()
    .startsWith('#job#')
    .refine(passes(assertItemKey), 'must be a job key of at most 1024 characters, no control characters')
    .refine(wellFormed, 'must be well-formed Unicode'),
  capability: z.string().refine(isCapabilityName, 'must be a capability name'),
  target: z.string().min(1).max(900).refine(wellFormed, 'must be well-formed Unicode'),
  /** The attempt count at enqueue; the claim is authoritative. */
  attempt: z.number().int().min(0),
  enqueuedAt: isoTime,
  /** `JQ` for a new run, `JQA` for the completion of an async job. */
  phase: z.enum(['JQ', 'JQA']),
});

export type JobMessage = z.infer<typeof jobMessageSchema>;

/** Result of decoding a received body: the message, or why it is refused. */
export type Decoded =
  | { readonly ok: true; readonly message: JobMessage }
  | { readonly ok: false; readonly reason: string };

/** A short description of a value from a message (it may be huge, or nested past any stack). */
function describe(value: unknown): string {
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'a list' : 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function validate(json: unknown): Decoded {
  if (typeof json === 'object' && json !== null && 'v' in json && json.v !== MESSAGE_VERSION) {
    return { ok: false, reason: `unsupported message version ${describe(json.v)}` };
  }
  const parsed = jobMessageSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { ok: false, reason: `${first?.path.join('.') || 'body'}: ${first?.message ?? 'invalid'}` };
  }
  return { ok: true, message: parsed.data };
}

/** Parses and validates a body; never throws (a body that breaks the checker is refused too). */
export function decodeJobMessage(body: string | undefined): Decoded {
  if (body === undefined || body.length === 0) return { ok: false, reason: 'empty body' };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  try {
    return validate(json);
  } catch (error) {
    return { ok: false, reason: `body could not be checked: ${coerceError(error).name}` };
  }
}

export function encodeJobMessage(message: JobMessage): string {
  return JSON.stringify(message);
}

/** Message attributes: tenant and capability for routing and filters, and the W3C trace context. */
export function jobMessageAttributes(
  message: Pick<JobMessage, 'tenant' | 'capability'>,
  traceparent: string | undefined,
): Record<string, MessageAttributeValue> {
  return {
    tenant: { DataType: 'String', StringValue: message.tenant },
    capability: { DataType: 'String', StringValue: message.capability },
    ...(traceparent ? { traceparent: { DataType: 'String', StringValue: traceparent } } : {}),
  };
}
