import { describe, expect, it } from 'vitest';
import { read, type SkippedCheck } from '../../../src/jobs/capabilities/aws-posture/calls.js';
import {
  decodePolicyDocument,
  isAdminPolicy,
  publicStatements,
} from '../../../src/jobs/capabilities/aws-posture/policy.js';
import {
  type IngressRule,
  isKeyTooOld,
  publicAccessGaps,
  worldExposures,
} from '../../../src/jobs/capabilities/aws-posture/rules.js';
import { POSTURE_CHECKS } from '../../../src/jobs/capabilities/aws-posture/scan.js';
import { PostureTally } from '../../../src/jobs/capabilities/aws-posture/tally.js';
import { awsPostureInput } from '../../../src/jobs/capabilities/aws-posture.js';
import type { AssetRecord, RiskRecord } from '../../../src/jobs/index.js';

const doc = (...Statement: Record<string, unknown>[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const parse = (text: string) => decodePolicyDocument(text) ?? [];

describe('Function: decodePolicyDocument', () => {
  it('reads plain and URL-encoded documents alike, a single statement or a list', () => {
    const plain = doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' });
    const single = JSON.stringify({ Statement: { Effect: 'Deny', Action: ['a', 'b'], Resource: 'x' } });

    expect(decodePolicyDocument(encodeURIComponent(plain))).toEqual(decodePolicyDocument(plain));
    expect(parse(single)).toEqual([
      {
        effect: 'Deny',
        actions: ['a', 'b'],
        notAction: false,
        resources: ['x'],
        principals: [],
        hasCondition: false,
      },
    ]);
  });

  it.each([undefined, '', 'not json', '%E0%A4%A', '[1]'])('gives undefined for %j', (raw) => {
    expect(decodePolicyDocument(raw)).toBeUndefined();
  });
});

describe('Function: isAdminPolicy', () => {
  it.each([
    ['Action * on *', true, doc({ Effect: 'Allow', Action: '*', Resource: '*' })],
    ['Action *:* on *', true, doc({ Effect: 'Allow', Action: ['*:*'], Resource: ['*'] })],
    [
      'admin with a condition',
      true,
      doc({
        Effect: 'Allow',
        Action: '*',
        Resource: '*',
        Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
      }),
    ],
    [
      'admin among other statements',
      true,
      doc(
        { Effect: 'Allow', Action: 's3:*', Resource: '*' },
        { Effect: 'Allow', Action: '*', Resource: '*' },
      ),
    ],
    ['a Deny of everything', false, doc({ Effect: 'Deny', Action: '*', Resource: '*' })],
    [
      'every action on one resource',
      false,
      doc({ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::b' }),
    ],
    ['a service wildcard', false, doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' })],
    ['NotAction *', false, doc({ Effect: 'Allow', NotAction: '*', Resource: '*' })],
  ])('%s → %s', (_name, expected, text) => {
    expect(isAdminPolicy(parse(text))).toBe(expected);
  });
});

describe('Function: publicStatements', () => {
  it.each([
    [
      'Principal "*"',
      1,
      doc({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }),
    ],
    [
      'Principal {"AWS": "*"}',
      1,
      doc({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 's3:*', Resource: '*' }),
    ],
    [
      'Principal {"AWS": ["arn…", "*"]}',
      1,
      doc({
        Effect: 'Allow',
        Principal: { AWS: ['arn:aws:iam::1:root', '*'] },
        Action: 's3:*',
        Resource: '*',
      }),
    ],
    [
      'a condition keeps it private',
      0,
      doc({
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1' } },
      }),
    ],
    [
      'an account principal',
      0,
      doc({
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::111122223333:root' },
        Action: 's3:*',
        Resource: '*',
      }),
    ],
    ['a Deny for everyone', 0, doc({ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*' })],
  ])('%s → %i public statement(s)', (_name, expected, text) => {
    expect(publicStatements(parse(text))).toHaveLength(expected);
  });
});

describe('Function: publicAccessGaps', () => {
  it.each([
    [undefined, ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets']],
    [
      { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
      [],
    ],
    [
      { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false },
      ['BlockPublicPolicy', 'RestrictPublicBuckets'],
    ],
  ])('%j → %j', (config, expected) => {
    expect(publicAccessGaps(config)).toEqual(expected);
  });
});

describe('Function: isKeyTooOld', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const daysAgo = (days: number, extraMs = 0) => new Date(now.getTime() - days * 86_400_000 - extraMs);

  it.each([
    [daysAgo(90), 90, false],
    [daysAgo(90, 1), 90, true],
    [daysAgo(10), 90, false],
    [daysAgo(400), 90, true],
    [daysAgo(0, 1), 0, true],
  ])('created %s, limit %i days → %s', (created, limit, expected) => {
    expect(isKeyTooOld(created, now, limit)).toBe(expected);
  });
});

describe('Function: worldExposures', () => {
  const world4 = { IpRanges: [{ CidrIp: '0.0.0.0/0' }] };
  const world6 = { Ipv6Ranges: [{ CidrIpv6: '::/0' }] };
  const rule = (r: IngressRule) => [r];

  it.each([
    [
      'tcp 22 from 0.0.0.0/0',
      rule({ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, ...world4 }),
      ['groupOpenSsh'],
    ],
    [
      'tcp 3389 from ::/0',
      rule({ IpProtocol: 'tcp', FromPort: 3389, ToPort: 3389, ...world6 }),
      ['groupOpenRdp'],
    ],
    ['protocol -1 (all)', rule({ IpProtocol: '-1', ...world4 }), ['groupOpenAllPorts']],
    [
      'tcp 0-65535',
      rule({ IpProtocol: 'tcp', FromPort: 0, ToPort: 65_535, ...world4 }),
      ['groupOpenAllPorts'],
    ],
    [
      'protocol number 6, range over 22 and 3389',
      rule({ IpProtocol: '6', FromPort: 1, ToPort: 5000, ...world4 }),
      ['groupOpenSsh', 'groupOpenRdp'],
    ],
    [
      'both families on 22',
      rule({ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, ...world4, ...world6 }),
      ['groupOpenSsh', 'groupOpenSsh'],
    ],
    ['tcp 443 from the world', rule({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, ...world4 }), []],
    [
      'tcp 22 from a private range',
      rule({ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }),
      [],
    ],
    ['udp 22 from the world', rule({ IpProtocol: 'udp', FromPort: 22, ToPort: 22, ...world4 }), []],
    ['icmp from the world', rule({ IpProtocol: 'icmp', FromPort: -1, ToPort: -1, ...world4 }), []],
    ['all from a security group only', rule({ IpProtocol: '-1' }), []],
  ])('%s → %j', (_name, rules, expected) => {
    expect(worldExposures(rules).map((e) => e.risk)).toEqual(expected);
  });
});

describe('Class: PostureTally', () => {
  it('emits what it counts and reports every check, including those that found nothing', () => {
    // Prepare
    const assets: AssetRecord[] = [];
    const risks: RiskRecord[] = [];
    const tally = new PostureTally(
      { asset: (a) => assets.push(a), risk: (r) => risks.push(r) },
      POSTURE_CHECKS,
    );
    const bucket = { type: 'aws-s3-bucket', value: 'arn:aws:s3:::b' };

    // Act
    tally.asset(bucket);
    tally.checked('s3.versioning');
    tally.risk('s3.versioning', bucket, 'bucketUnversioned', { status: 'Suspended' });

    // Assess
    expect(risks).toEqual([
      {
        asset: bucket,
        name: 's3-versioning-disabled',
        severity: 'low',
        evidence: { check: 's3.versioning', status: 'Suspended' },
      },
    ]);
    const summary = tally.summary();
    expect(summary.checks.map((c) => c.check)).toEqual(POSTURE_CHECKS);
    expect(summary.checks.find((c) => c.check === 's3.versioning')).toEqual({
      check: 's3.versioning',
      checked: 1,
      findings: 1,
    });
    expect(summary.counts).toEqual({ assets: { 'aws-s3-bucket': 1 }, risks: 1, bySeverity: { low: 1 } });
  });
});

describe('Schema: aws-posture input', () => {
  it.each([
    [{ accountId: 'prod-1' }, true],
    [{ accountId: 'prod-1', regions: ['eu-west-1', 'us-east-1'], accessKeyMaxAgeDays: 45 }, true],
    [{ accountId: '../other' }, false],
    [{ accountId: 'a', regions: [] }, false],
    [{ accountId: 'a', regions: ['mars-1'] }, false],
    [{ accountId: 'a', extra: 1 }, false],
    [{ accountId: 'a', accessKeyMaxAgeDays: -1 }, false],
  ])('%j → valid %s', (input, valid) => {
    expect(awsPostureInput.safeParse(input).success).toBe(valid);
  });
});

describe('Function: read', () => {
  const named = (name: string) => Object.assign(new Error('from AWS'), { name });

  it.each([
    ['a value', async () => 'ok', 'ok', []],
    ['an absent setting', async () => Promise.reject(named('NoSuchBucketPolicy')), undefined, []],
    [
      'a denied read',
      async () => Promise.reject(named('AccessDenied')),
      'denied',
      [{ check: 'c', resource: 'r', error: 'AccessDenied' }],
    ],
    [
      'an EC2 denial',
      async () => Promise.reject(named('UnauthorizedOperation')),
      'denied',
      [{ check: 'c', resource: 'r', error: 'UnauthorizedOperation' }],
    ],
  ])('answers %s', async (_name, call, expected, skippedAfter) => {
    const skipped: SkippedCheck[] = [];

    await expect(read(call, { check: 'c', resource: 'r', skipped }, ['NoSuchBucketPolicy'])).resolves.toBe(
      expected,
    );
    expect(skipped).toEqual(skippedAfter);
  });

  it.each(['ThrottlingException', 'SlowDown', 'InternalError', 'AbortError'])(
    'lets %s through for the worker to retry',
    async (name) => {
      const skipped: SkippedCheck[] = [];

      await expect(
        read(() => Promise.reject(named(name)), { check: 'c', resource: 'r', skipped }),
      ).rejects.toMatchObject({ name });
      expect(skipped).toEqual([]);
    },
  );
});
