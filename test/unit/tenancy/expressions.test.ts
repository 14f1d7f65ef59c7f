import { describe, expect, it } from 'vitest';
import { mergePlaceholders } from '../../../src/tenancy/expressions.js';
import { buildUpdate } from '../../../src/tenancy/index.js';

describe('Function: buildUpdate', () => {
  it('names every attribute and value by its own placeholder', () => {
    // Act
    const update = buildUpdate({
      set: { status: 'JR#x', owner: 'w1' },
      add: { attempt: 1 },
      remove: ['lease'],
    });

    // Assess
    expect(update).toEqual({
      UpdateExpression: 'SET #u0 = :u0, #u1 = :u1 ADD #u2 :u2 REMOVE #u3',
      ExpressionAttributeNames: { '#u0': 'status', '#u1': 'owner', '#u2': 'attempt', '#u3': 'lease' },
      ExpressionAttributeValues: { ':u0': 'JR#x', ':u1': 'w1', ':u2': 1 },
    });
  });

  it('skips undefined values and omits the value map when only removing', () => {
    expect(buildUpdate({ set: { a: undefined }, remove: ['b'] })).toEqual({
      UpdateExpression: 'REMOVE #u0',
      ExpressionAttributeNames: { '#u0': 'b' },
    });
  });

  it('keeps attribute names out of the expression text, whatever they contain', () => {
    const update = buildUpdate({ set: { 'a = :x, tenant': 1, 'status.code': 2 } });
    expect(update.UpdateExpression).toBe('SET #u0 = :u0, #u1 = :u1');
    expect(Object.values(update.ExpressionAttributeNames)).toEqual(['a = :x, tenant', 'status.code']);
  });

  it.each([
    ['set tenant', { set: { tenant: 'B' } }],
    ['set key', { set: { key: '#job#x' } }],
    ['add to tenant', { add: { tenant: 1 } }],
    ['remove key', { remove: ['key'] }],
    ['remove tenant among others', { remove: ['a', 'tenant'] }],
  ])('refuses to %s (attributes owned by the tenancy layer)', (_label, spec) => {
    expect(() => buildUpdate(spec)).toThrow(Error);
  });

  it('refuses an update that changes nothing', () => {
    expect(() => buildUpdate({})).toThrow(Error);
    expect(() => buildUpdate({ set: { a: undefined } })).toThrow(Error);
  });
});

describe('Function: mergePlaceholders', () => {
  it('merges disjoint maps and returns undefined when all are empty', () => {
    expect(mergePlaceholders({ '#a': 'x' }, undefined, { '#b': 'y' })).toEqual({ '#a': 'x', '#b': 'y' });
    expect(mergePlaceholders(undefined, {})).toBeUndefined();
  });

  it('refuses a placeholder defined twice, so a condition cannot redefine an update placeholder', () => {
    expect(() => mergePlaceholders({ '#u0': 'status' }, { '#u0': 'tenant' })).toThrow(Error);
  });
});
