/**
 * Seeding AWS accounts in the local endpoint (the `dev` demo's weak account, the aws-posture
 * tests' accounts). Moto keeps each account id's resources apart, so every seeded account gets a
 * fresh random id, reached by assuming a role in it: nothing here touches the default account
 * scanq's own resources live in. Local endpoints only (real AWS does not let you assume a role in
 * an account you do not own).
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
import { clientSettings } from '../aws/index.js';
import type { Config } from '../config/index.js';
import { LocalAwsError } from './errors.js';

/** The regions seeded with security groups (the second proves a scan's `regions` is honoured). */
export const SEEDED_REGIONS = ['us-east-1', 'eu-west-1'] as const;
export type SeededRegion = (typeof SEEDED_REGIONS)[number];

/** Temporary keys acting in a seeded account. */
export interface SeedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

/** Policy documents the seeds attach. */
export const SEED_POLICIES = {
  admin: JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  }),
  readOnly: JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['s3:Get*', 's3:List*', 'iam:Get*', 'iam:List*', 'ec2:Describe*'],
        Resource: '*',
      },
    ],
  }),
} as const;

/** A public access block with every switch on. */
export const FULL_BLOCK: PublicAccessBlockConfiguration = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

/** A fresh 12-digit account id (never moto's default 123456789012). */
export function randomAccountId(): string {
  return `9${String(randomInt(10 ** 10, 10 ** 11 - 1))}`;
}

/**
 * Keys of a role in `accountId`, assumed with the caller's own identity (session `seed`).
 * @param roleName default `seed`.
 * @throws LocalAwsError `localAws.seed` when STS returns no keys.
 */
export async function assumeInto(
  config: Config,
  accountId: string,
  roleName = 'seed',
): Promise<SeedCredentials> {
  const sts = new STSClient(clientSettings(config, 'sts'));
  try {
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${accountId}:role/${roleName}`,
        RoleSessionName: 'seed',
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey)
      throw new LocalAwsError('localAws.seed', 'AssumeRole returned no keys');
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  } finally {
    sts.destroy();
  }
}

/** How a seeded bucket is set up. */
export interface BucketSpec {
  readonly block?: PublicAccessBlockConfiguration;
  readonly encrypted: boolean;
  readonly versioning?: 'Enabled' | 'Suspended';
  readonly policy?: string;
}

/** How a seeded IAM user is set up. */
export interface UserSpec {
  readonly mfa: boolean;
  readonly console?: boolean;
  readonly key?: boolean;
  readonly managedPolicyArn?: string;
  readonly inlinePolicy?: string;
  readonly group?: string;
}

/** An ingress rule open to the whole internet (IPv4, or IPv6 with `v6`); no ports = every port. */
export function openToWorld(protocol: string, from?: number, to?: number, v6 = false): IpPermission {
  return {
    IpProtocol: protocol,
    ...(from === undefined ? {} : { FromPort: from, ToPort: to ?? from }),
    ...(v6 ? { Ipv6Ranges: [{ CidrIpv6: '::/0' }] } : { IpRanges: [{ CidrIp: '0.0.0.0/0' }] }),
  };
}

/** Creates resources in one account (through an assumed role) and remembers what to give back. */
export class AccountSeeder {
  readonly accountId: string;
  readonly #s3: S3Client;
  readonly #iam: IAMClient;
  readonly #ec2: Record<SeededRegion, EC2Client>;
  readonly #buckets: string[] = [];

  private constructor(config: Config, accountId: string, credentials: SeedCredentials) {
    this.accountId = accountId;
    this.#s3 = new S3Client({ ...clientSettings(config, 's3'), credentials, forcePathStyle: true });
    this.#iam = new IAMClient({ ...clientSettings(config, 'iam'), credentials });
    const ec2 = (region: string) => new EC2Client({ ...clientSettings(config, 'ec2'), region, credentials });
    this.#ec2 = { 'us-east-1': ec2('us-east-1'), 'eu-west-1': ec2('eu-west-1') };
  }

  /** Opens a seeding session in `accountId` (default a fresh random one). */
  static async open(config: Config, accountId = randomAccountId()): Promise<AccountSeeder> {
    return new AccountSeeder(config, accountId, await assumeInto(config, accountId));
  }

  /** Creates a bucket; returns its ARN. */
  async bucket(name: string, spec: BucketSpec): Promise<string> {
    await this.#s3.send(new CreateBucketCommand({ Bucket: name }));
    this.#buckets.push(name);
    if (spec.block)
      await this.#s3.send(
        new PutPublicAccessBlockCommand({ Bucket: name, PublicAccessBlockConfiguration: spec.block }),
      );
    if (spec.encrypted) {
      const rule = { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' as const } };
      await this.#s3.send(
        new PutBucketEncryptionCommand({
          Bucket: name,
          ServerSideEncryptionConfiguration: { Rules: [rule] },
        }),
      );
    }
    if (spec.versioning)
      await this.#s3.send(
        new PutBucketVersioningCommand({
          Bucket: name,
          VersioningConfiguration: { Status: spec.versioning },
        }),
      );
    if (spec.policy) await this.#s3.send(new PutBucketPolicyCommand({ Bucket: name, Policy: spec.policy }));
    return `arn:aws:s3:::${name}`;
  }

  /** Creates a managed policy; returns its ARN. */
  async policy(name: string, document: string): Promise<string> {
    const created = await this.#iam.send(
      new CreatePolicyCommand({ PolicyName: name, PolicyDocument: document }),
    );
    return created.Policy?.Arn ?? '';
  }

  /** Creates an IAM group with a managed policy attached. */
  async iamGroup(name: string, policyArn: string): Promise<void> {
    await this.#iam.send(new CreateGroupCommand({ GroupName: name }));
    await this.#iam.send(new AttachGroupPolicyCommand({ GroupName: name, PolicyArn: policyArn }));
  }

  /** Creates an IAM user; returns its ARN and, with `key`, its access key. */
  async user(name: string, spec: UserSpec): Promise<{ arn: string; key?: { id: string; secret: string } }> {
    const iam = this.#iam;
    const created = await iam.send(new CreateUserCommand({ UserName: name }));
    if (spec.mfa) {
      const device = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: name }));
      await iam.send(
        new EnableMFADeviceCommand({
          UserName: name,
          SerialNumber: device.VirtualMFADevice?.SerialNumber,
          AuthenticationCode1: '123456',
          AuthenticationCode2: '654321',
        }),
      );
    }
    if (spec.console)
      await iam.send(
        new CreateLoginProfileCommand({ UserName: name, Password: `P-${randomBytes(12).toString('hex')}` }),
      );
    if (spec.managedPolicyArn)
      await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: spec.managedPolicyArn }));
    if (spec.inlinePolicy)
      await iam.send(
        new PutUserPolicyCommand({ UserName: name, PolicyName: 'inline', PolicyDocument: spec.inlinePolicy }),
      );
    if (spec.group) await iam.send(new AddUserToGroupCommand({ UserName: name, GroupName: spec.group }));
    const arn = created.User?.Arn ?? '';
    if (!spec.key) return { arn };
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey;
    if (!key?.AccessKeyId || !key.SecretAccessKey)
      throw new LocalAwsError('localAws.seed', 'CreateAccessKey returned no key');
    return { arn, key: { id: key.AccessKeyId, secret: key.SecretAccessKey } };
  }

  /** Creates a security group with ingress `rules`; returns its ARN. */
  async securityGroup(region: SeededRegion, name: string, rules: IpPermission[]): Promise<string> {
    const client = this.#ec2[region];
    const created = await client.send(
      new CreateSecurityGroupCommand({ GroupName: name, Description: 'seeded by scanq' }),
    );
    if (rules.length > 0)
      await client.send(
        new AuthorizeSecurityGroupIngressCommand({ GroupId: created.GroupId, IpPermissions: rules }),
      );
    return `arn:aws:ec2:${region}:${this.accountId}:security-group/${created.GroupId ?? ''}`;
  }

  /** Deletes the buckets created so far (names are global even when accounts are apart), closes the clients. */
  async destroy(): Promise<void> {
    await Promise.allSettled(
      this.#buckets.map((name) => this.#s3.send(new DeleteBucketCommand({ Bucket: name }))),
    );
    this.#s3.destroy();
    this.#iam.destroy();
    for (const client of Object.values(this.#ec2)) client.destroy();
  }
}

/** Opens a seeder and runs `plant`; on failure gives back what was created before rethrowing. */
export async function seedAccount<T>(
  config: Config,
  plant: (seeder: AccountSeeder) => Promise<T>,
): Promise<T> {
  const seeder = await AccountSeeder.open(config);
  try {
    return await plant(seeder);
  } catch (error) {
    await seeder.destroy();
    throw error;
  }
}
