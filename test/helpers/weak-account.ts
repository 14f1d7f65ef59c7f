/**
 * AWS accounts seeded in the local endpoint for aws-posture tests. Moto keeps each account id's
 * resources apart, so each seeded account gets a fresh random id, reached by assuming a role in
 * it: nothing here touches the default account other tests use.
 */
import { randomBytes, randomInt } from 'node:crypto';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  EC2Client,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateLoginProfileCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  type PublicAccessBlockConfiguration,
  PutBucketEncryptionCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { clientSettings } from '../../src/aws/index.js';
import type { Config } from '../../src/config/index.js';
import type { JobCredentials } from '../../src/jobs/index.js';

/** The regions seeded with security groups (the second proves `regions` is honoured). */
export const SEEDED_REGIONS = ['us-east-1', 'eu-west-1'] as const;

/** A risk the scan must find: the asset's value (ARN) and the risk name. */
export interface Planted {
  readonly asset: string;
  readonly risk: string;
}

/** A seeded account: where it is, what was planted, how to leave. */
export interface SeededAccount {
  readonly accountId: string;
  readonly planted: Planted[];
  /** Assets the scan must list, by type. */
  readonly assets: { buckets: string[]; users: string[]; groups: string[] };
  destroy(): Promise<void>;
}

const ADMIN = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});
const READ_ONLY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['s3:Get*', 's3:List*', 'iam:Get*', 'iam:List*', 'ec2:Describe*'],
      Resource: '*',
    },
  ],
});
const FULL_BLOCK: PublicAccessBlockConfiguration = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

/** A fresh 12-digit account id (never moto's default 123456789012). */
export function randomAccountId(): string {
  return `9${String(randomInt(10 ** 10, 10 ** 11 - 1))}`;
}

/** Keys of a role in `accountId`, assumed by the test itself (session `seed`). */
export async function assumeInto(
  config: Config,
  accountId: string,
  roleName = 'seed',
): Promise<JobCredentials> {
  const sts = new STSClient(clientSettings(config, 'sts'));
  try {
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${accountId}:role/${roleName}`,
        RoleSessionName: 'seed',
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('AssumeRole returned no keys');
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  } finally {
    sts.destroy();
  }
}

/** Clients acting in one account. */
function accountClients(config: Config, credentials: JobCredentials) {
  const ec2 = (region: string) => new EC2Client({ ...clientSettings(config, 'ec2'), region, credentials });
  return {
    s3: new S3Client({ ...clientSettings(config, 's3'), credentials, forcePathStyle: true }),
    iam: new IAMClient({ ...clientSettings(config, 'iam'), credentials }),
    ec2: Object.fromEntries(SEEDED_REGIONS.map((r) => [r, ec2(r)])) as Record<
      (typeof SEEDED_REGIONS)[number],
      EC2Client
    >,
    destroy() {
      this.s3.destroy();
      this.iam.destroy();
      for (const client of Object.values(this.ec2)) client.destroy();
    },
  };
}
type Clients = ReturnType<typeof accountClients>;

interface BucketSpec {
  readonly block?: PublicAccessBlockConfiguration;
  readonly encrypted: boolean;
  readonly versioning?: 'Enabled' | 'Suspended';
  readonly policy?: string;
}

async function bucket(c: Clients, name: string, spec: BucketSpec): Promise<string> {
  await c.s3.send(new CreateBucketCommand({ Bucket: name }));
  if (spec.block)
    await c.s3.send(
      new PutPublicAccessBlockCommand({ Bucket: name, PublicAccessBlockConfiguration: spec.block }),
    );
  if (spec.encrypted) {
    await c.s3.send(
      new PutBucketEncryptionCommand({
        Bucket: name,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }],
        },
      }),
    );
  }
  if (spec.versioning)
    await c.s3.send(
      new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: spec.versioning } }),
    );
  if (spec.policy) await c.s3.send(new PutBucketPolicyCommand({ Bucket: name, Policy: spec.policy }));
  return `arn:aws:s3:::${name}`;
}

interface UserSpec {
  readonly mfa: boolean;
  readonly console?: boolean;
  readonly key?: boolean;
  readonly managedPolicyArn?: string;
  readonly inlinePolicy?: string;
  readonly group?: string;
}

async function user(c: Clients, name: string, spec: UserSpec) {
  const created = await c.iam.send(new CreateUserCommand({ UserName: name }));
  if (spec.mfa) {
    const device = await c.iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: name }));
    await c.iam.send(
      new EnableMFADeviceCommand({
        UserName: name,
        SerialNumber: device.VirtualMFADevice?.SerialNumber,
        AuthenticationCode1: '123456',
        AuthenticationCode2: '654321',
      }),
    );
  }
  if (spec.console)
    await c.iam.send(
      new CreateLoginProfileCommand({ UserName: name, Password: `P-${randomBytes(12).toString('hex')}` }),
    );
  if (spec.managedPolicyArn)
    await c.iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: spec.managedPolicyArn }));
  if (spec.inlinePolicy)
    await c.iam.send(
      new PutUserPolicyCommand({ UserName: name, PolicyName: 'inline', PolicyDocument: spec.inlinePolicy }),
    );
  if (spec.group) await c.iam.send(new AddUserToGroupCommand({ UserName: name, GroupName: spec.group }));
  const key = spec.key
    ? (await c.iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey
    : undefined;
  return { arn: created.User?.Arn ?? '', key };
}

async function group(
  c: Clients,
  region: (typeof SEEDED_REGIONS)[number],
  name: string,
  rules: IpPermission[],
) {
  const client = c.ec2[region];
  const created = await client.send(
    new CreateSecurityGroupCommand({ GroupName: name, Description: 'seeded by a test' }),
  );
  if (rules.length > 0)
    await client.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: created.GroupId, IpPermissions: rules }),
    );
  return created.GroupId ?? '';
}

const world = (protocol: string, from?: number, to?: number, v6 = false): IpPermission => ({
  IpProtocol: protocol,
  ...(from === undefined ? {} : { FromPort: from, ToPort: to ?? from }),
  ...(v6 ? { Ipv6Ranges: [{ CidrIpv6: '::/0' }] } : { IpRanges: [{ CidrIp: '0.0.0.0/0' }] }),
});

function destroyer(c: Clients, buckets: string[]) {
  return async () => {
    // Bucket names are global even when accounts are apart: give them back.
    await Promise.allSettled(
      buckets.map((arn) => c.s3.send(new DeleteBucketCommand({ Bucket: arn.slice('arn:aws:s3:::'.length) }))),
    );
    c.destroy();
  };
}

/**
 * An account with one of each problem aws-posture looks for (scan it with `accessKeyMaxAgeDays: 0`:
 * the local endpoint cannot backdate a key, so "older than the limit" is shown with a limit of 0).
 */
export async function seedWeakAccount(config: Config, label: string): Promise<SeededAccount> {
  const accountId = randomAccountId();
  const c = accountClients(config, await assumeInto(config, accountId));
  const name = (what: string) => `${label}-${accountId.slice(-6)}-${what}`;
  const planted: Planted[] = [];
  const plant = (asset: string, ...risks: string[]) => {
    for (const risk of risks) planted.push({ asset, risk });
    return asset;
  };
  const publicPolicy = (b: string) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${b}/*` },
      ],
    });
  const buckets = [
    plant(
      await bucket(c, name('nopab'), { encrypted: true, versioning: 'Enabled' }),
      's3-public-access-not-blocked',
    ),
    plant(
      await bucket(c, name('noenc'), { block: FULL_BLOCK, encrypted: false, versioning: 'Enabled' }),
      's3-no-default-encryption',
    ),
    plant(
      await bucket(c, name('nover'), { block: FULL_BLOCK, encrypted: true, versioning: 'Suspended' }),
      's3-versioning-disabled',
    ),
    plant(
      await bucket(c, name('public'), {
        block: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: false,
          RestrictPublicBuckets: false,
        },
        encrypted: true,
        versioning: 'Enabled',
        policy: publicPolicy(name('public')),
      }),
      's3-public-access-not-blocked',
      's3-public-bucket-policy',
    ),
  ];
  const admin = await c.iam.send(
    new CreatePolicyCommand({ PolicyName: 'everything', PolicyDocument: ADMIN }),
  );
  const adminArn = admin.Policy?.Arn ?? '';
  await c.iam.send(new CreateGroupCommand({ GroupName: 'admins' }));
  await c.iam.send(new AttachGroupPolicyCommand({ GroupName: 'admins', PolicyArn: adminArn }));
  const users = [
    plant((await user(c, 'console-no-mfa', { mfa: false, console: true })).arn, 'iam-user-no-mfa'),
    plant((await user(c, 'old-key', { mfa: true, key: true })).arn, 'iam-access-key-old'),
    plant(
      (await user(c, 'admin-managed', { mfa: true, managedPolicyArn: adminArn })).arn,
      'iam-user-admin-policy',
    ),
    plant((await user(c, 'admin-inline', { mfa: true, inlinePolicy: ADMIN })).arn, 'iam-user-admin-policy'),
    plant((await user(c, 'admin-group', { mfa: true, group: 'admins' })).arn, 'iam-user-admin-policy'),
  ];
  const sgArn = (region: string, id: string) => `arn:aws:ec2:${region}:${accountId}:security-group/${id}`;
  const groups = [
    plant(sgArn('us-east-1', await group(c, 'us-east-1', 'ssh-world', [world('tcp', 22)])), 'sg-open-ssh'),
    plant(
      sgArn('us-east-1', await group(c, 'us-east-1', 'rdp-world-v6', [world('tcp', 3389, 3389, true)])),
      'sg-open-rdp',
    ),
    plant(sgArn('us-east-1', await group(c, 'us-east-1', 'all-world', [world('-1')])), 'sg-open-all-ports'),
    plant(
      sgArn('eu-west-1', await group(c, 'eu-west-1', 'ssh-range', [world('tcp', 20, 25)])),
      'sg-open-ssh',
    ),
  ];
  return { accountId, planted, assets: { buckets, users, groups }, destroy: destroyer(c, buckets) };
}

/** An account with none of those problems; its scanner user's keys are returned for an `aws-keys` secret. */
export async function seedHardenedAccount(
  config: Config,
  label: string,
): Promise<SeededAccount & { scannerKeys: { accessKeyId: string; secretAccessKey: string } }> {
  const accountId = randomAccountId();
  const c = accountClients(config, await assumeInto(config, accountId));
  const bucketName = `${label}-${accountId.slice(-6)}-vault`;
  const privatePolicy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${bucketName}/*`,
      },
      {
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${bucketName}/*`,
        Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c' } },
      },
    ],
  });
  const buckets = [
    await bucket(c, bucketName, {
      block: FULL_BLOCK,
      encrypted: true,
      versioning: 'Enabled',
      policy: privatePolicy,
    }),
  ];
  const readOnly = await c.iam.send(
    new CreatePolicyCommand({ PolicyName: 'read-only', PolicyDocument: READ_ONLY }),
  );
  const scanner = await user(c, 'scanner', {
    mfa: true,
    console: true,
    key: true,
    managedPolicyArn: readOnly.Policy?.Arn ?? '',
  });
  const sgArn = (region: string, id: string) => `arn:aws:ec2:${region}:${accountId}:security-group/${id}`;
  const groups = [
    sgArn(
      'us-east-1',
      await group(c, 'us-east-1', 'web', [
        world('tcp', 443),
        { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
      ]),
    ),
  ];
  if (!scanner.key?.AccessKeyId || !scanner.key.SecretAccessKey)
    throw new Error('no access key for the scanner user');
  return {
    accountId,
    planted: [],
    assets: { buckets, users: [scanner.arn], groups },
    scannerKeys: { accessKeyId: scanner.key.AccessKeyId, secretAccessKey: scanner.key.SecretAccessKey },
    destroy: destroyer(c, buckets),
  };
}
