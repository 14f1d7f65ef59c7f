import type { FieldMessage } from './errors.js';

/**
 * Deepest nesting a request body may have. No scanq body needs more than a few levels; DynamoDB
 * stores at most 32, and code that walks a value recursively (JSON.stringify, size checks) must
 * not meet one deeper than its stack.
 */
export const MAX_BODY_DEPTH = 32;

// In `u` mode a range of surrogates matches only unpaired ones: text no store can encode as UTF-8.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
/** Longest key echoed in a field name (keys are caller-chosen text). */
const MAX_SEGMENT = 200;
/** Issues reported at most: one is enough to refuse, a few help the caller. */
const MAX_ISSUES = 10;

function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const segment = key.slice(0, MAX_SEGMENT);
  return path === '' ? segment : `${path}.${segment}`;
}

/**
 * What is wrong with a parsed JSON body before any schema looks at it: nesting deeper than
 * {@link MAX_BODY_DEPTH}, or a string or key that is not well-formed Unicode (an unpaired
 * surrogate, legal as a JSON escape). Walks the body without recursion. Pure.
 */
export function bodyShapeIssues(body: unknown): FieldMessage[] {
  const issues: FieldMessage[] = [];
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: body, path: '', depth: 0 }];
  for (let next = stack.pop(); next && issues.length < MAX_ISSUES; next = stack.pop()) {
    const { value, path, depth } = next;
    const field = path || '(body)';
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) issues.push({ field, message: 'must be well-formed Unicode' });
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_BODY_DEPTH) {
      issues.push({ field, message: `nested deeper than ${MAX_BODY_DEPTH} levels` });
      continue;
    }
    const entries: [string | number, unknown][] = Array.isArray(value)
      ? value.map((v, i): [number, unknown] => [i, v])
      : Object.entries(value);
    for (const [key, v] of entries) {
      if (typeof key === 'string' && LONE_SURROGATE.test(key)) {
        issues.push({ field: child(path, key), message: 'keys must be well-formed Unicode' });
      }
      stack.push({ value: v, path: child(path, key), depth: depth + 1 });
    }
  }
  return issues;
}
