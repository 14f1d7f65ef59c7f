import { describe, expect, it } from 'vitest';
import { TABLE } from '../../../src/local-aws/manifest.js';
import { AUDIT_PREFIX, auditItem, TenancyError } from '../../../src/tenancy/index.js';

const event = {
  action: 'tenant:assume',
  callingUser: 'alice@msp',
  callingTenant: 'msp',
  assumedTenant: 'customer',
  key: '#tenant',
  authorized: true,
};
const now = new Date('2024-05-01T10:30:00.123Z');

describe('Function: auditItem', () => {
  it('keys the item by time and a random id, stores the event key apart from the sort key, and sets the TTL', () => {
    // Act
    const item = auditItem(event, { now });

    // Assess
    expect(item.key).toMatch(/^#audit#2024-05-01T10:30:00\.123Z#[0-9a-f]{16}$/);
    expect(item.key.startsWith(AUDIT_PREFIX)).toBe(true);
    expect(item).toMatchObject({
      action: 'tenant:assume',
      callingUser: 'alice@msp',
      callingTenant: 'msp',
      assumedTenant: 'customer',
      resourceKey: '#tenant',
      authorized: true,
      at: '2024-05-01T10:30:00.123Z',
    });
    expect(item[TABLE.ttlAttribute]).toBe(Math.floor(now.getTime() / 1000) + 90 * 86_400);
  });

  it('gives two events of the same millisecond different keys', () => {
    expect(auditItem(event, { now }).key).not.toBe(auditItem(event, { now }).key);
  });

  it('honours ttlDays and refuses a retention out of bounds', () => {
    expect(auditItem(event, { now, ttlDays: 1 })[TABLE.ttlAttribute]).toBe(
      Math.floor(now.getTime() / 1000) + 86_400,
    );
    for (const ttlDays of [0, -1, 1.5, 3651]) {
      expect(() => auditItem(event, { now, ttlDays })).toThrow(
        expect.objectContaining({ code: 'audit.invalidTtl' }),
      );
      expect(() => auditItem(event, { now, ttlDays })).toThrow(TenancyError);
    }
  });
});
