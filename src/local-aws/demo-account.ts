/**
 * A deliberately weak AWS account in the local endpoint: what the `dev` demo onboards and scans,
 * and what the aws-posture tests check every finding against.
 */
import type { IpPermission } from '@aws-sdk/client-ec2';
import type { Config } from '../config/index.js';
import {
  type AccountSeeder,
  FULL_BLOCK,
  openToWorld,
  SEED_POLICIES,
  SEEDED_REGIONS,
  type SeededRegion,
  seedAccount,
  type UserSpec,
} from './account-seeder.js';

export { SEEDED_REGIONS };

/** A risk a scan must find: the asset's value (ARN) and the risk name. */
export interface Planted {
  readonly asset: string;
  readonly risk: string;
}

/** A seeded account: where it is, what was planted, how to leave. */
export interface SeededAccount {
  readonly accountId: string;
  readonly planted: Planted[];
  /** Assets a scan must list, by type (ARNs). */
  readonly assets: { buckets: string[]; users: string[]; groups: string[] };
  /** Deletes the (empty) buckets, whose names are global even across accounts, and closes clients. */
  destroy(): Promise<void>;
}

/** Records the risks `asset` must be found with; returns the asset. */
type Plant = (asset: string, ...risks: string[]) => string;

const publicReadPolicy = (bucket: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` },
    ],
  });

async function plantBuckets(
  seeder: AccountSeeder,
  name: (what: string) => string,
  plant: Plant,
): Promise<string[]> {
  const openPolicy = { ...FULL_BLOCK, BlockPublicPolicy: false, RestrictPublicBuckets: false };
  return [
    plant(
      await seeder.bucket(name('nopab'), { encrypted: true, versioning: 'Enabled' }),
      's3-public-access-not-blocked',
    ),
    plant(
      await seeder.bucket(name('noenc'), { block: FULL_BLOCK, encrypted: false, versioning: 'Enabled' }),
      's3-no-default-encryption',
    ),
    plant(
      await seeder.bucket(name('nover'), { block: FULL_BLOCK, encrypted: true, versioning: 'Suspended' }),
      's3-versioning-disabled',
    ),
    plant(
      await seeder.bucket(name('public'), {
        block: openPolicy,
        encrypted: true,
        versioning: 'Enabled',
        policy: publicReadPolicy(name('public')),
      }),
      's3-public-access-not-blocked',
      's3-public-bucket-policy',
    ),
  ];
}

async function plantUsers(seeder: AccountSeeder, plant: Plant): Promise<string[]> {
  const adminArn = await seeder.policy('everything', SEED_POLICIES.admin);
  await seeder.iamGroup('admins', adminArn);
  const user = async (name: string, spec: UserSpec) => (await seeder.user(name, spec)).arn;
  return [
    plant(await user('console-no-mfa', { mfa: false, console: true }), 'iam-user-no-mfa'),
    plant(await user('old-key', { mfa: true, key: true }), 'iam-access-key-old'),
    plant(await user('admin-managed', { mfa: true, managedPolicyArn: adminArn }), 'iam-user-admin-policy'),
    plant(
      await user('admin-inline', { mfa: true, inlinePolicy: SEED_POLICIES.admin }),
      'iam-user-admin-policy',
    ),
    plant(await user('admin-group', { mfa: true, group: 'admins' }), 'iam-user-admin-policy'),
  ];
}

async function plantGroups(seeder: AccountSeeder, plant: Plant): Promise<string[]> {
  const sg = (region: SeededRegion, name: string, rules: IpPermission[]) =>
    seeder.securityGroup(region, name, rules);
  return [
    plant(await sg('us-east-1', 'ssh-world', [openToWorld('tcp', 22)]), 'sg-open-ssh'),
    plant(await sg('us-east-1', 'rdp-world-v6', [openToWorld('tcp', 3389, 3389, true)]), 'sg-open-rdp'),
    plant(await sg('us-east-1', 'all-world', [openToWorld('-1')]), 'sg-open-all-ports'),
    plant(await sg('eu-west-1', 'ssh-range', [openToWorld('tcp', 20, 25)]), 'sg-open-ssh'),
  ];
}

/**
 * An account with one of each problem aws-posture looks for: buckets without a public access block,
 * default encryption or versioning, or with a public policy; IAM users without MFA, with an access
 * key, or with admin rights (managed, inline, through a group); security groups open to the world
 * on SSH, RDP or every port, in both `SEEDED_REGIONS`. Scan it with `accessKeyMaxAgeDays: 0`: the
 * local endpoint cannot backdate a key, so "older than the limit" is shown with a limit of 0.
 * @param label prefix of the bucket names (lowercase letters, digits, hyphens).
 */
export async function seedWeakAccount(config: Config, label: string): Promise<SeededAccount> {
  return seedAccount(config, async (seeder) => {
    const planted: Planted[] = [];
    const plant: Plant = (asset, ...risks) => {
      for (const risk of risks) planted.push({ asset, risk });
      return asset;
    };
    const name = (what: string) => `${label}-${seeder.accountId.slice(-6)}-${what}`;
    const buckets = await plantBuckets(seeder, name, plant);
    const users = await plantUsers(seeder, plant);
    const groups = await plantGroups(seeder, plant);
    return {
      accountId: seeder.accountId,
      planted,
      assets: { buckets, users, groups },
      destroy: () => seeder.destroy(),
    };
  });
}
