/**
 * IAM and bucket policy documents, read as data. Pure: no AWS call here, so every rule is
 * table-tested without an endpoint.
 */

/** One statement, normalized: action, resource and principal lists are always arrays. */
export interface Statement {
  readonly effect: 'Allow' | 'Deny' | 'Other';
  readonly actions: readonly string[];
  /** True when the statement uses `NotAction` (allows everything except a list). */
  readonly notAction: boolean;
  readonly resources: readonly string[];
  /** Principal values (`*`, ARNs, service names); empty when the statement has none. */
  readonly principals: readonly string[];
  readonly hasCondition: boolean;
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

function principals(value: unknown): string[] {
  if (value === '*') return ['*'];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return strings(value);
  return Object.values(value).flatMap(strings);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses a policy document as IAM returns it: JSON, or URL-encoded JSON (real IAM encodes every
 * document; emulators often do not). Undefined when it is neither.
 */
export function decodePolicyDocument(raw: string | undefined): Statement[] | undefined {
  if (raw === undefined || raw.length === 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    try {
      parsed = JSON.parse(decodeURIComponent(raw));
    } catch {
      return undefined;
    }
  }
  if (!isRecord(parsed)) return undefined;
  const list = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  return list.filter(isRecord).map((s) => ({
    effect: s.Effect === 'Allow' || s.Effect === 'Deny' ? s.Effect : 'Other',
    actions: strings(s.Action ?? s.NotAction),
    notAction: s.Action === undefined && s.NotAction !== undefined,
    resources: strings(s.Resource ?? s.NotResource),
    principals: principals(s.Principal),
    hasCondition: isRecord(s.Condition) && Object.keys(s.Condition).length > 0,
  }));
}

const EVERY_ACTION = new Set(['*', '*:*']);

/**
 * True when a statement grants every action on every resource (`"Action": "*"` or `"*:*"`,
 * `"Resource": "*"`), whatever its condition: a condition narrows who may use it, not what it grants.
 */
export function isAdminStatement(statement: Statement): boolean {
  return (
    statement.effect === 'Allow' &&
    !statement.notAction &&
    statement.actions.some((a) => EVERY_ACTION.has(a)) &&
    statement.resources.includes('*')
  );
}

/** True when any statement of the document is an admin grant. */
export function isAdminPolicy(statements: readonly Statement[]): boolean {
  return statements.some(isAdminStatement);
}

/**
 * The statements of a bucket policy that let anyone in: an `Allow` whose principal is `*` (plain or as
 * `{"AWS": "*"}`) with no condition. A condition (source VPC, org id…) is what keeps such a
 * statement private, so a conditioned statement is not counted as public.
 */
export function publicStatements(statements: readonly Statement[]): Statement[] {
  return statements.filter((s) => s.effect === 'Allow' && s.principals.includes('*') && !s.hasCondition);
}
