import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

const load = (name: string): object =>
  JSON.parse(readFileSync(new URL(`./iam-policy/${name}`, import.meta.url), 'utf8')) as object;

const isObject = (data: unknown): data is Record<string, unknown> =>
  typeof data === 'object' && data !== null && !Array.isArray(data);

/**
 * A validator of identity (and session) policy documents against AWS's IAM policy grammar as
 * cfn-lint ships it (iam-policy/README.md), with cfn-lint's three keywords.
 */
export function identityPolicyValidator(): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addKeyword({ keyword: 'cfnLint' });
  ajv.addKeyword({
    keyword: 'requiredXor',
    type: 'object',
    schemaType: 'array',
    validate: (names: string[], data: unknown) =>
      isObject(data) && names.filter((name) => name in data).length === 1,
  });
  ajv.addKeyword({
    keyword: 'uniqueKeys',
    type: 'array',
    schemaType: 'array',
    validate: (keys: string[], data: unknown) =>
      !Array.isArray(data) ||
      keys.every((key) => {
        const values = data
          .filter(isObject)
          .flatMap((item) => (key in item ? [JSON.stringify(item[key])] : []));
        return new Set(values).size === values.length;
      }),
  });
  ajv.addSchema(load('policy.json'));
  return ajv.compile(load('policy_identity.json'));
}

/** IAM's string matching of `StringLike` and ARN patterns: `*` any run, `?` one character. */
export function iamLike(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 's').test(value);
}
