import { describe, expect, it } from 'vitest';
import {
  contextOf,
  OTHER_TENANT,
  spanContextOf,
  TenantLabels,
  traceLogFields,
  traceparentOf,
} from '../../../src/telemetry/index.js';

describe('Class: TenantLabels', () => {
  it('gives the first N tenants their own label and the rest other', () => {
    // Prepare
    const labels = new TenantLabels(2, 1_000);
    // Act
    const seen = ['a', 'b', 'c', 'a', 'c'].map((tenant) => labels.label(tenant, 0));
    // Assess
    expect(seen).toEqual(['a', 'b', OTHER_TENANT, 'a', OTHER_TENANT]);
  });

  it('gives the slots to the busiest tenants of the window that ended', () => {
    const labels = new TenantLabels(2, 1_000);
    labels.label('quiet', 0);
    labels.label('b', 1);
    for (let i = 0; i < 5; i++) labels.label('busy', 2 + i);
    expect(labels.label('busy', 10)).toBe(OTHER_TENANT);
    // Act: the window rolls
    expect(labels.label('busy', 1_000)).toBe('busy');
    // Assess
    expect([...labels.labelled()].sort()).toEqual(['b', 'busy']);
    expect(labels.label('quiet', 1_001)).toBe(OTHER_TENANT);
  });

  it('labels every tenant other when N is 0', () => {
    expect(new TenantLabels(0).label('acme', 0)).toBe(OTHER_TENANT);
  });
});

describe('Function: traceparent helpers', () => {
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

  it.each([
    ['well formed', traceparent, true],
    ['all-zero trace id', '00-00000000000000000000000000000000-b7ad6b7169203331-01', false],
    ['upper case', traceparent.toUpperCase(), false],
    ['missing', undefined, false],
  ])('spanContextOf: %s', (_, input, valid) => {
    expect(spanContextOf(input) !== undefined).toBe(valid);
  });

  it('round-trips through traceparentOf', () => {
    const span = spanContextOf(traceparent);
    expect(span && traceparentOf(span)).toBe(traceparent);
  });

  it('contextOf carries the remote parent; traceLogFields falls back to the message trace id', () => {
    expect(contextOf(traceparent)).toBeDefined();
    expect(traceLogFields(undefined, traceparent)).toEqual({ trace_id: '0af7651916cd43dd8448eb211c80319c' });
    expect(traceLogFields(undefined, 'junk')).toEqual({});
  });
});
