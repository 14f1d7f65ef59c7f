import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { dlqTable, parseMax } from '../../src/cli/dlq.js';
import {
  DLQ_ATTRIBUTE,
  REJECTED_REASON_MAX,
  rejectedAttributes,
  rejectionReason,
  SQS_MAX_MESSAGE_ATTRIBUTES,
  toDlqEntry,
  userAttributes,
} from '../../src/workers/dlq.js';

const QUEUE = 'http://127.0.0.1:5000/123456789012/jobs';

function attributes(count: number): Record<string, MessageAttributeValue> {
  return Object.fromEntries(
    Array.from({ length: count }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: `v${i}` }]),
  );
}

describe('Function: rejectedAttributes', () => {
  it.each([
    [0, [DLQ_ATTRIBUTE.rejected, DLQ_ATTRIBUTE.sourceQueue], []],
    [8, [DLQ_ATTRIBUTE.rejected, DLQ_ATTRIBUTE.sourceQueue], []],
    [9, [DLQ_ATTRIBUTE.rejected], [DLQ_ATTRIBUTE.sourceQueue]],
    [10, [], [DLQ_ATTRIBUTE.rejected, DLQ_ATTRIBUTE.sourceQueue]],
  ] as const)('with %i user attributes adds %j and drops %j', (count, added, dropped) => {
    // Prepare
    const original = attributes(count);

    // Act
    const result = rejectedAttributes(original, 'body is not JSON', QUEUE);

    // Assess
    const names = Object.keys(result.attributes);
    expect(names.length).toBeLessThanOrEqual(SQS_MAX_MESSAGE_ATTRIBUTES);
    expect(names.filter((n) => n.startsWith('scanq-'))).toEqual(added);
    expect(result.dropped).toEqual(dropped);
    for (const [name, value] of Object.entries(original)) expect(result.attributes[name]).toEqual(value);
  });

  it('sets the reason and the source queue as String attributes', () => {
    const { attributes: out } = rejectedAttributes(undefined, 'unknown capability x', QUEUE);

    expect(out[DLQ_ATTRIBUTE.rejected]).toEqual({ DataType: 'String', StringValue: 'unknown capability x' });
    expect(out[DLQ_ATTRIBUTE.sourceQueue]).toEqual({ DataType: 'String', StringValue: QUEUE });
  });

  it('replaces scanq attributes already on the message instead of counting them as the user’s', () => {
    // Prepare: a redriven message that a worker rejects again, with 8 user attributes
    const original = {
      ...attributes(8),
      [DLQ_ATTRIBUTE.rejected]: { DataType: 'String', StringValue: 'old reason' },
      [DLQ_ATTRIBUTE.sourceQueue]: { DataType: 'String', StringValue: 'old queue' },
    };

    // Act
    const result = rejectedAttributes(original, 'new reason', QUEUE);

    // Assess
    expect(result.dropped).toEqual([]);
    expect(Object.keys(result.attributes)).toHaveLength(10);
    expect(result.attributes[DLQ_ATTRIBUTE.rejected]?.StringValue).toBe('new reason');
  });
});

describe('Function: rejectionReason', () => {
  it.each([
    ['short reason', 'short reason'],
    ['', 'unspecified'],
    ['a\u0000b', 'a\uFFFDb'],
    ['lone \uD800 surrogate', 'lone \uFFFD surrogate'],
    ['x'.repeat(300), 'x'.repeat(REJECTED_REASON_MAX)],
  ])('%j → %j', (reason, expected) => {
    expect(rejectionReason(reason)).toBe(expected);
  });

  it('cuts by characters, never inside a surrogate pair', () => {
    const reason = rejectionReason('😀'.repeat(300));

    expect(Array.from(reason)).toHaveLength(REJECTED_REASON_MAX);
    expect(reason).toBe('😀'.repeat(REJECTED_REASON_MAX));
  });
});

describe('Function: userAttributes', () => {
  it('drops scanq attributes and the reserved list fields a receive returns', () => {
    const out = userAttributes({
      tenant: { DataType: 'String', StringValue: 't-a', StringListValues: [], BinaryListValues: [] },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2]) },
      [DLQ_ATTRIBUTE.rejected]: { DataType: 'String', StringValue: 'why' },
      [DLQ_ATTRIBUTE.sourceQueue]: { DataType: 'String', StringValue: QUEUE },
    });

    expect(out).toEqual({
      tenant: { DataType: 'String', StringValue: 't-a' },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2]) },
    });
  });
});

describe('Function: toDlqEntry', () => {
  it('takes tenant and capability from the attributes, the key from the body', () => {
    const body = JSON.stringify({ v: 1, tenant: 'from-body', key: '#job#h#noop', capability: 'noop' });
    const entry = toDlqEntry({
      MessageId: 'm-1',
      Body: body,
      Attributes: { SentTimestamp: '1700000000000', ApproximateReceiveCount: '6' },
      MessageAttributes: {
        tenant: { DataType: 'String', StringValue: 't-a' },
        [DLQ_ATTRIBUTE.rejected]: { DataType: 'String', StringValue: 'why' },
      },
    });

    expect(entry).toEqual({
      messageId: 'm-1',
      sentAt: '2023-11-14T22:13:20.000Z',
      receiveCount: 6,
      tenant: 't-a',
      capability: 'noop',
      key: '#job#h#noop',
      rejectedReason: 'why',
      bodyPreview: body,
    });
  });

  it('describes an unparseable body without throwing, with a preview of at most 200 characters', () => {
    const entry = toDlqEntry({ MessageId: 'm-2', Body: `{${'z'.repeat(500)}` });

    expect(entry).toEqual({
      messageId: 'm-2',
      sentAt: '',
      receiveCount: 0,
      bodyPreview: `{${'z'.repeat(199)}`,
    });
  });
});

describe('Function: dlqTable', () => {
  it('aligns columns and names redrive-policy messages', () => {
    const lines = dlqTable([
      {
        messageId: 'm-1',
        sentAt: '',
        receiveCount: 1,
        tenant: 't-a',
        rejectedReason: 'body is not JSON',
        bodyPreview: '',
      },
      {
        messageId: 'm-22',
        sentAt: '',
        receiveCount: 6,
        capability: 'noop',
        key: '#job#h#noop',
        bodyPreview: '',
      },
    ]);

    expect(lines).toEqual([
      'ID    TENANT  CAPABILITY  KEY          RECEIVES  REASON',
      'm-1   t-a     -           -            1         body is not JSON',
      'm-22  -       noop        #job#h#noop  6         (redrive policy)',
    ]);
  });
});

describe('Function: parseMax', () => {
  it.each(['0', '-1', '1.5', 'ten', ''])('refuses %j', (value) => {
    expect(() => parseMax(value)).toThrow(InvalidArgumentError);
  });

  it('accepts a positive integer', () => {
    expect(parseMax('25')).toBe(25);
  });
});
