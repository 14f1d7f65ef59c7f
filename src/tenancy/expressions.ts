import { InvalidKeyError } from './errors.js';

/** A DynamoDB condition built by pure code: expression text plus its placeholders. */
export interface Condition {
  readonly expression: string;
  readonly names?: Readonly<Record<string, string>>;
  readonly values?: Readonly<Record<string, unknown>>;
}

/** Attributes set and removed by an update. */
export interface UpdateSpec {
  readonly set?: Readonly<Record<string, unknown>>;
  /** Attributes incremented by a number (created at that number when absent). */
  readonly add?: Readonly<Record<string, number>>;
  readonly remove?: readonly string[];
  /** Lists extended at the end (created empty when absent): `list_append(if_not_exists(…))`. */
  readonly append?: Readonly<Record<string, readonly unknown[]>>;
}

/** Attributes the tenancy layer owns: no caller may write them through an update. */
export const RESERVED_ATTRIBUTES = new Set(['tenant', 'key']);

export interface BuiltUpdate {
  readonly UpdateExpression: string;
  readonly ExpressionAttributeNames: Record<string, string>;
  readonly ExpressionAttributeValues?: Record<string, unknown>;
}

/**
 * Builds `SET … ADD … REMOVE …` with its own placeholders (`#u0`, `:u0`), so it can be merged
 * with a caller's condition whose placeholders use other names. Pure.
 */
export function buildUpdate(spec: UpdateSpec): BuiltUpdate {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  let n = 0;
  const name = (attribute: string) => {
    if (RESERVED_ATTRIBUTES.has(attribute))
      throw new InvalidKeyError(
        'table.reservedAttribute',
        `attribute ${attribute} is owned by the tenancy layer`,
      );
    const placeholder = `#u${n++}`;
    names[placeholder] = attribute;
    return placeholder;
  };
  const clauses: string[] = [];
  const sets = Object.entries(spec.set ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([attribute, value]) => {
      const v = `:u${n}`;
      const placeholder = name(attribute);
      values[v] = value;
      return `${placeholder} = ${v}`;
    });
  for (const [attribute, entries] of Object.entries(spec.append ?? {})) {
    const v = `:u${n}`;
    const placeholder = name(attribute);
    values[v] = entries;
    values[':uEmpty'] = [];
    sets.push(`${placeholder} = list_append(if_not_exists(${placeholder}, :uEmpty), ${v})`);
  }
  if (sets.length > 0) clauses.push(`SET ${sets.join(', ')}`);
  const adds = Object.entries(spec.add ?? {});
  if (adds.length > 0) {
    clauses.push(
      `ADD ${adds
        .map(([attribute, value]) => {
          const v = `:u${n}`;
          const placeholder = name(attribute);
          values[v] = value;
          return `${placeholder} ${v}`;
        })
        .join(', ')}`,
    );
  }
  if (spec.remove && spec.remove.length > 0) clauses.push(`REMOVE ${spec.remove.map(name).join(', ')}`);
  if (clauses.length === 0)
    throw new InvalidKeyError('table.emptyUpdate', 'an update must set, add or remove something');
  return {
    UpdateExpression: clauses.join(' '),
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
  };
}

/** Merges placeholder maps, refusing a placeholder defined by two of them. */
export function mergePlaceholders<T>(
  ...maps: (Readonly<Record<string, T>> | undefined)[]
): Record<string, T> | undefined {
  const merged: Record<string, T> = {};
  for (const map of maps) {
    for (const [placeholder, value] of Object.entries(map ?? {})) {
      if (placeholder in merged) {
        throw new InvalidKeyError(
          'table.duplicatePlaceholder',
          `expression placeholder ${placeholder} is defined twice`,
        );
      }
      merged[placeholder] = value;
    }
  }
  return Object.keys(merged).length > 0 ? merged : undefined;
}
