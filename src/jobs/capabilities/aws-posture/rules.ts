/**
 * What aws-posture calls a problem, and how bad it is. Pure: inputs are the shapes the AWS APIs
 * return, outputs are risk names and evidence.
 */
import type { Severity } from '../../capability.js';

/** Version of the `aws-posture` result document (`result` in the job's result object). */
export const POSTURE_RESULT_VERSION = 1;

/** Asset types aws-posture emits; values are ARNs so equal resources give equal asset keys. */
export const POSTURE_ASSETS = {
  bucket: 'aws-s3-bucket',
  user: 'aws-iam-user',
  securityGroup: 'aws-security-group',
} as const;

/** Every risk aws-posture can raise, with its severity. */
export const POSTURE_RISKS = {
  bucketPublicAccessNotBlocked: { name: 's3-public-access-not-blocked', severity: 'medium' },
  bucketUnencrypted: { name: 's3-no-default-encryption', severity: 'medium' },
  bucketUnversioned: { name: 's3-versioning-disabled', severity: 'low' },
  bucketPublicPolicy: { name: 's3-public-bucket-policy', severity: 'high' },
  userNoMfa: { name: 'iam-user-no-mfa', severity: 'medium' },
  /** A user who can sign in to the console without MFA is worse than one with keys only. */
  consoleUserNoMfa: { name: 'iam-user-no-mfa', severity: 'high' },
  userOldAccessKey: { name: 'iam-access-key-old', severity: 'medium' },
  userAdminPolicy: { name: 'iam-user-admin-policy', severity: 'high' },
  groupOpenSsh: { name: 'sg-open-ssh', severity: 'high' },
  groupOpenRdp: { name: 'sg-open-rdp', severity: 'high' },
  groupOpenAllPorts: { name: 'sg-open-all-ports', severity: 'critical' },
} as const satisfies Record<string, { name: string; severity: Severity }>;

/** The four switches of an S3 public access block. */
export const PUBLIC_ACCESS_FLAGS = [
  'BlockPublicAcls',
  'IgnorePublicAcls',
  'BlockPublicPolicy',
  'RestrictPublicBuckets',
] as const;
export type PublicAccessFlag = (typeof PUBLIC_ACCESS_FLAGS)[number];

/**
 * The public-access-block switches that are off; all four when there is no configuration.
 * Empty means public access is fully blocked.
 */
export function publicAccessGaps(
  config: Partial<Record<PublicAccessFlag, boolean | undefined>> | undefined,
): PublicAccessFlag[] {
  return PUBLIC_ACCESS_FLAGS.filter((flag) => config?.[flag] !== true);
}

/** Default age after which an access key counts as old (CIS AWS Foundations 1.14). */
export const ACCESS_KEY_MAX_AGE_DAYS = 90;
const DAY_MS = 86_400_000;

/** Whole days from `created` to `now`, rounded down. */
export function ageInDays(created: Date, now: Date): number {
  return Math.floor((now.getTime() - created.getTime()) / DAY_MS);
}

/** True when a key created at `created` is older than `maxAgeDays` at `now` (strictly). */
export function isKeyTooOld(created: Date, now: Date, maxAgeDays: number): boolean {
  return now.getTime() - created.getTime() > maxAgeDays * DAY_MS;
}

/** One ingress rule of a security group, as DescribeSecurityGroups returns it. */
export interface IngressRule {
  readonly IpProtocol?: string | undefined;
  readonly FromPort?: number | undefined;
  readonly ToPort?: number | undefined;
  readonly IpRanges?: readonly { readonly CidrIp?: string | undefined }[] | undefined;
  readonly Ipv6Ranges?: readonly { readonly CidrIpv6?: string | undefined }[] | undefined;
}

/** What a world-open rule exposes. */
export interface Exposure {
  readonly risk: 'groupOpenSsh' | 'groupOpenRdp' | 'groupOpenAllPorts';
  readonly protocol: string;
  readonly fromPort: number;
  readonly toPort: number;
  readonly cidr: string;
}

const WORLD = new Set(['0.0.0.0/0', '::/0']);
/** IANA protocol numbers EC2 may return instead of names. */
const PROTOCOL_NAMES: Readonly<Record<string, string>> = { '6': 'tcp', '17': 'udp', '-1': 'all' };

function protocolOf(rule: IngressRule): string {
  const raw = (rule.IpProtocol ?? '-1').toLowerCase();
  return PROTOCOL_NAMES[raw] ?? raw;
}

function portRange(rule: IngressRule, protocol: string): [number, number] {
  // `-1`/all has no ports: every port is open. Absent or -1 bounds mean the same.
  if (protocol === 'all') return [0, 65_535];
  const from = rule.FromPort === undefined || rule.FromPort < 0 ? 0 : rule.FromPort;
  const to = rule.ToPort === undefined || rule.ToPort < 0 ? 65_535 : rule.ToPort;
  return [from, to];
}

function risksOf(protocol: string, from: number, to: number): Exposure['risk'][] {
  if (protocol === 'all' || ((protocol === 'tcp' || protocol === 'udp') && from <= 0 && to >= 65_535)) {
    return ['groupOpenAllPorts'];
  }
  if (protocol !== 'tcp') return [];
  const risks: Exposure['risk'][] = [];
  if (from <= 22 && to >= 22) risks.push('groupOpenSsh');
  if (from <= 3389 && to >= 3389) risks.push('groupOpenRdp');
  return risks;
}

/**
 * World-open exposures of a group's ingress rules: SSH (tcp 22), RDP (tcp 3389) or every port
 * (protocol `-1`, or a tcp/udp range 0-65535) reachable from 0.0.0.0/0 or ::/0. A range that
 * covers 22 or 3389 counts. One exposure per rule, risk and world CIDR.
 */
export function worldExposures(rules: readonly IngressRule[]): Exposure[] {
  return rules.flatMap((rule) => {
    const protocol = protocolOf(rule);
    const [fromPort, toPort] = portRange(rule, protocol);
    const cidrs = [
      ...(rule.IpRanges ?? []).map((r) => r.CidrIp),
      ...(rule.Ipv6Ranges ?? []).map((r) => r.CidrIpv6),
    ].filter((c): c is string => c !== undefined && WORLD.has(c));
    return cidrs.flatMap((cidr) =>
      risksOf(protocol, fromPort, toPort).map((risk) => ({ risk, protocol, fromPort, toPort, cidr })),
    );
  });
}
