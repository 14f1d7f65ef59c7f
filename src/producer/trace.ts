import { randomBytes } from 'node:crypto';

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** A W3C `traceparent` for a new trace (used when the caller has none). */
export function newTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

/** The caller's traceparent when well formed, else a new one. */
export function traceparentOr(candidate: string | undefined): string {
  return candidate && TRACEPARENT.test(candidate) ? candidate : newTraceparent();
}
