import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldIssues } from '../../../src/api/index.js';
import { enqueueBodySchema, jobListQuerySchema } from '../../../src/api/schemas.js';

const issues = (schema: z.ZodType, value: unknown, root = '(body)') => {
  const parsed = schema.safeParse(value);
  if (parsed.success) throw new Error('expected a failure');
  return fieldIssues(parsed.error.issues, root);
};

describe('Function: fieldIssues', () => {
  it.each([
    { name: 'a single job missing its target', value: { capability: 'noop' }, fields: ['target'] },
    { name: 'a batch whose jobs is not a list', value: { jobs: 5 }, fields: ['jobs'] },
    {
      name: 'a batch entry with a bad type',
      value: { jobs: [{ capability: 'noop', target: 1 }] },
      fields: ['jobs[0].target'],
    },
    { name: 'an unknown field', value: { capability: 'noop', target: 'x', extra: 1 }, fields: ['extra'] },
    { name: 'not an object', value: 'text', fields: ['(body)'] },
  ])('names the closest alternative of a union: $name', ({ value, fields }) => {
    expect(issues(enqueueBodySchema, value).map((i) => i.field)).toEqual(fields);
  });

  it('names each unknown field once, bounded in length', () => {
    const long = 'k'.repeat(1000);
    const found = issues(z.strictObject({}), { a: 1, [long]: 2 });
    expect(found).toEqual([
      { field: 'a', message: 'unknown field' },
      { field: 'k'.repeat(200), message: 'unknown field' },
    ]);
  });

  it('names query parameters, with the part as the root of a whole-value problem', () => {
    expect(
      issues(jobListQuerySchema, { limit: '0', status: 'XX' }, '(query)')
        .map((i) => i.field)
        .sort(),
    ).toEqual(['limit', 'status']);
    expect(issues(jobListQuerySchema, 5, '(query)')).toEqual([
      { field: '(query)', message: expect.any(String) },
    ]);
  });

  it('never quotes the input back in a message', () => {
    const secret = 'super-secret-value-that-must-not-echo';
    const found = issues(z.strictObject({ a: z.number(), b: z.enum(['x']) }), { a: secret, b: secret });
    expect(JSON.stringify(found)).not.toContain(secret);
  });
});
