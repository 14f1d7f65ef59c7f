import { describe, expect, it } from 'vitest';
import { ProfileValidationError, parseProfileInput } from '../../../src/tenancy/index.js';

/** The field → message list of the ProfileValidationError `raw` raises. */
function issuesOf(raw: unknown): Record<string, string> {
  try {
    parseProfileInput(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ProfileValidationError);
    const invalid = error as ProfileValidationError;
    expect(invalid.code).toBe('tenant.invalidProfile');
    return Object.fromEntries(invalid.issues.map((i) => [i.field, i.message]));
  }
  throw new Error('expected a ProfileValidationError, nothing was thrown');
}

describe('Function: parseProfileInput', () => {
  it('applies every default to a bare name', () => {
    expect(parseProfileInput({ name: 'Acme' })).toEqual({
      name: 'Acme',
      limits: { maxInFlight: 10, ratePerSecond: 50 },
      authorizedUsers: [],
      allowedScopes: [],
      cascade: { enabled: false, maxDepth: 2, maxChildren: 100, capabilities: [] },
    });
  });

  it('keeps given values, fills missing nested ones, lowercases scopes and drops duplicates', () => {
    const profile = parseProfileInput({
      name: ' Acme ',
      limits: { maxInFlight: 3 },
      authorizedUsers: ['msp-admin@msp.example', 'msp-admin@msp.example', 'bob'],
      allowedScopes: ['10.0.0.0/8', 'Example.COM', '2001:db8::/32', '192.0.2.7', 'example.com'],
      cascade: { enabled: true, capabilities: ['noop'] },
    });
    expect(profile).toEqual({
      name: 'Acme',
      limits: { maxInFlight: 3, ratePerSecond: 50 },
      authorizedUsers: ['msp-admin@msp.example', 'bob'],
      allowedScopes: ['10.0.0.0/8', 'example.com', '2001:db8::/32', '192.0.2.7'],
      cascade: { enabled: true, maxDepth: 2, maxChildren: 100, capabilities: ['noop'] },
    });
  });

  it('names every bad field at once', () => {
    const issues = issuesOf({
      name: '',
      limits: { maxInFlight: 0, ratePerSecond: -1 },
      authorizedUsers: ['ok', 'has space'],
      allowedScopes: ['10.0.0.0/33', 'not a domain', '300.1.1.1'],
      cascade: { maxDepth: 11, capabilities: ['Bad_Name'] },
    });
    expect(Object.keys(issues).sort()).toEqual([
      'allowedScopes.0',
      'allowedScopes.1',
      'allowedScopes.2',
      'authorizedUsers.1',
      'cascade.capabilities.0',
      'cascade.maxDepth',
      'limits.maxInFlight',
      'limits.ratePerSecond',
      'name',
    ]);
    expect(issues['allowedScopes.0']).toMatch(/CIDR/);
  });

  it.each([
    ['a missing name', {}, 'name'],
    ['an unknown top-level field (a typo)', { name: 'a', authorisedUsers: ['x'] }, '(profile)'],
    ['an unknown nested field', { name: 'a', limits: { maxInflight: 3 } }, 'limits'],
    ['created set by the caller', { name: 'a', created: '2020-01-01T00:00:00Z' }, '(profile)'],
    ['a non-integer limit', { name: 'a', limits: { maxInFlight: 1.5 } }, 'limits.maxInFlight'],
    [
      'too many authorized users',
      { name: 'a', authorizedUsers: Array.from({ length: 101 }, (_, i) => `u${i}`) },
      'authorizedUsers',
    ],
    ['not an object', 'Acme', '(profile)'],
  ])('refuses %s', (_label, raw, field) => {
    expect(Object.keys(issuesOf(raw))).toContain(field);
  });
});
