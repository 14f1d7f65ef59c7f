import type { FieldMessage } from './errors.js';

/**
 * Deepest nesting a request body may have. No scanq body needs more than a few levels; DynamoDB
 * stores at most 32, and code that walks a value recursively (JSON.stringify, size checks) must
 * not meet one deeper than its stack.
 */
export const MAX_BODY_DEPTH = 32;

// In `u` mode a range of surrogates matches only unpaired ones: text no store can encode as UTF-8.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
/**
 * C0 controls, DEL and C1 controls: refused in every string of a body and of a query (NUL and
 * friends stored in a name would break whatever later prints, logs or exports it). JSON text has
 * no other way to carry them than an escape, so nothing legitimate is lost.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
/** The same rule as a JSON Schema `pattern` (the OpenAPI document puts it on request strings). */
export const NO_CONTROL_PATTERN = '^[^\\u0000-\\u001f\\u007f-\\u009f]*$';
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
 * What is wrong with a parsed JSON body (or query) before any schema looks at it: nesting deeper
 * than {@link MAX_BODY_DEPTH}, a string or key that is not well-formed Unicode (an unpaired
 * surrogate, legal as a JSON escape), or one holding a control character. Walks the body without
 * recursion. Pure.
 */
export function bodyShapeIssues(body: unknown): FieldMessage[] {
  const issues: FieldMessage[] = [];
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: body, path: '', depth: 0 }];
  for (let next = stack.pop(); next && issues.length < MAX_ISSUES; next = stack.pop()) {
    const { value, path, depth } = next;
    const field = path || '(body)';
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) issues.push({ field, message: 'must be well-formed Unicode' });
      else if (CONTROL_CHARACTERS.test(value))
        issues.push({ field, message: 'must not contain control characters' });
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
      } else if (typeof key === 'string' && CONTROL_CHARACTERS.test(key)) {
        issues.push({ field: child(path, key), message: 'keys must not contain control characters' });
      }
      stack.push({ value: v, path: child(path, key), depth: depth + 1 });
    }
  }
  return issues;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

interface Frame {
  readonly path: string;
  /** Keys seen so far (objects only). */
  readonly keys?: Set<string>;
  /** The key being read (objects) or the index (arrays). */
  at: string | number;
}

function pathOf(frames: readonly Frame[]): string {
  const top = frames.at(-1);
  return top ? child(top.path, top.at) : '';
}

/**
 * The first object key that appears twice in the same object of a JSON text (`{"a":1,"a":2}`;
 * escapes count: `"a"` and `"\u0061"` are one key), as a field name; undefined when there is none.
 * `JSON.parse` keeps the last one silently, so a client and scanq could read different values.
 * Expects text `JSON.parse` accepts. Pure, one pass, no recursion.
 */
export function duplicateKey(text: string): string | undefined {
  const frames: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const raw = text.slice(i, j + 1);
      i = j;
      let k = j + 1;
      while (k < text.length && WHITESPACE.has(text[k] as string)) k++;
      const top = frames.at(-1);
      if (text[k] !== ':' || !top?.keys) continue;
      const key = JSON.parse(raw) as string;
      if (top.keys.has(key)) return child(top.path, key);
      top.keys.add(key);
      top.at = key;
    } else if (c === '{') {
      frames.push({ path: pathOf(frames), keys: new Set(), at: '' });
    } else if (c === '[') {
      frames.push({ path: pathOf(frames), at: 0 });
    } else if (c === '}' || c === ']') {
      frames.pop();
    } else if (c === ',') {
      const top = frames.at(-1);
      if (top && typeof top.at === 'number') top.at++;
    }
  }
  return undefined;
}
