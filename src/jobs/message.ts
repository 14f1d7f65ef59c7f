import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { isCapabilityName } from './keys.js';

/** Current version of the message body. A worker rejects versions it does not know. */
export const MESSAGE_VERSION = 1;

const isoTime = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)) && s.endsWith('Z'), 'must be an RFC 3339 UTC time');

/** The versioned SQS body. No secret ever travels in it. */
export const jobMessageSchema = z.strictObject({
  v: z.literal(MESSAGE_VERSION),
  tenant: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/, 'must be a tenant id'),
  key: z.string().startsWith('#job#').max(1024),
  capability: z.string().refine(isCapabilityName, 'must be a capability name'),
  target: z.string().min(1).max(900),
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

/** Parses and validates a body; never throws. */
export function decodeJobMessage(body: string | undefined): Decoded {
  if (body === undefined || body.length === 0) return { ok: false, reason: 'empty body' };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  if (typeof json === 'object' && json !== null && 'v' in json && json.v !== MESSAGE_VERSION) {
    return { ok: false, reason: `unsupported message version ${JSON.stringify(json.v)}` };
  }
  const parsed = jobMessageSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { ok: false, reason: `${first?.path.join('.') || 'body'}: ${first?.message ?? 'invalid'}` };
  }
  return { ok: true, message: parsed.data };
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
