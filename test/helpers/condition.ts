/**
 * A fake of DynamoDB's condition and update semantics for pure unit tests of the transitions: it
 * evaluates the subset of the condition language src/jobs builds (`AND`, `OR`, `NOT`, parentheses,
 * `begins_with`, `attribute_exists`, `attribute_not_exists`, `=`, `<>`, `<`, `<=`, `>`, `>=` on
 * `#name` and `:value` placeholders) against an item, and applies an `UpdateSpec`. Anything else
 * throws, so a condition outside the subset cannot pass unnoticed. The integration tests run the
 * same conditions against the real local endpoint.
 */
import type { Condition, UpdateSpec } from '../../src/tenancy/expressions.js';

type Item = Record<string, unknown>;

const TOKEN = /\s*(\(|\)|,|<>|<=|>=|=|<|>|[#:][A-Za-z0-9_]+|[A-Za-z_]+)/y;

function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expression.trimEnd().length) {
    const match = TOKEN.exec(expression);
    if (!match?.[1]) throw new Error(`condition: cannot read "${expression.slice(TOKEN.lastIndex)}"`);
    tokens.push(match[1]);
  }
  return tokens;
}

/** Whether `condition` holds for `item` (undefined: no item stored). */
export function holds(condition: Condition, item: Item | undefined): boolean {
  const tokens = tokenize(condition.expression);
  let at = 0;
  const peek = () => tokens[at];
  const take = (expected?: string) => {
    const token = tokens[at++];
    if (token === undefined || (expected !== undefined && token !== expected))
      throw new Error(`condition: expected ${expected ?? 'more'} in "${condition.expression}"`);
    return token;
  };
  const attribute = (token: string) => {
    const name = condition.names?.[token];
    if (!name) throw new Error(`condition: ${token} has no name`);
    return item?.[name];
  };
  const operand = (token: string): unknown => {
    if (token.startsWith('#')) return attribute(token);
    if (token.startsWith(':')) {
      if (!condition.values || !(token in condition.values))
        throw new Error(`condition: ${token} has no value`);
      return condition.values[token];
    }
    throw new Error(`condition: unexpected ${token}`);
  };
  const compare = (left: unknown, op: string, right: unknown): boolean => {
    if (left === undefined || right === undefined) return op === '<>' && left !== right;
    if (op === '=') return left === right;
    if (op === '<>') return left !== right;
    if (typeof left !== typeof right || (typeof left !== 'string' && typeof left !== 'number')) return false;
    const l = left as string | number;
    const r = right as string | number;
    return { '<': l < r, '<=': l <= r, '>': l > r, '>=': l >= r }[op] ?? false;
  };
  const factor = (): boolean => {
    const token = take();
    if (token === '(') {
      const value = disjunction();
      take(')');
      return value;
    }
    if (token === 'NOT') return !factor();
    if (token === 'begins_with' || token === 'attribute_exists' || token === 'attribute_not_exists') {
      take('(');
      const path = take();
      if (token === 'begins_with') {
        take(',');
        const prefix = operand(take());
        take(')');
        const value = attribute(path);
        return typeof value === 'string' && typeof prefix === 'string' && value.startsWith(prefix);
      }
      take(')');
      const exists = item !== undefined && attribute(path) !== undefined;
      return token === 'attribute_exists' ? exists : !exists;
    }
    const op = take();
    if (!['=', '<>', '<', '<=', '>', '>='].includes(op)) throw new Error(`condition: unexpected ${op}`);
    return compare(operand(token), op, operand(take()));
  };
  const conjunction = (): boolean => {
    let value = factor();
    while (peek() === 'AND') {
      take();
      value = factor() && value;
    }
    return value;
  };
  const disjunction = (): boolean => {
    let value = conjunction();
    while (peek() === 'OR') {
      take();
      value = conjunction() || value;
    }
    return value;
  };
  const result = disjunction();
  if (at !== tokens.length) throw new Error(`condition: trailing "${tokens.slice(at).join(' ')}"`);
  return result;
}

/** The item after an update (SET, ADD, REMOVE, list append), as DynamoDB would store it. */
export function applyUpdate(item: Item, spec: UpdateSpec): Item {
  const next: Item = { ...item };
  for (const [name, value] of Object.entries(spec.set ?? {})) if (value !== undefined) next[name] = value;
  for (const [name, by] of Object.entries(spec.add ?? {})) next[name] = Number(next[name] ?? 0) + by;
  for (const name of spec.remove ?? []) delete next[name];
  for (const [name, entries] of Object.entries(spec.append ?? {}))
    next[name] = [...((next[name] as unknown[] | undefined) ?? []), ...entries];
  return next;
}
