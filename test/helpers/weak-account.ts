/**
 * AWS accounts seeded in the local endpoint for aws-posture tests. The weak account and the
 * seeding kit live in src (the `dev` demo onboards the same weak account); the hardened account,
 * which only tests need, is built here with that kit.
 */
import type { Config } from '../../src/config/index.js';
import { FULL_BLOCK, openToWorld, SEED_POLICIES, seedAccount } from '../../src/local-aws/account-seeder.js';
import type { SeededAccount } from '../../src/local-aws/demo-account.js';

export { assumeInto, randomAccountId } from '../../src/local-aws/account-seeder.js';
export {
  type Planted,
  SEEDED_REGIONS,
  type SeededAccount,
  seedWeakAccount,
} from '../../src/local-aws/demo-account.js';

/** An account with none of those problems; its scanner user's keys are returned for an `aws-keys` secret. */
export async function seedHardenedAccount(
  config: Config,
  label: string,
): Promise<SeededAccount & { scannerKeys: { accessKeyId: string; secretAccessKey: string } }> {
  return seedAccount(config, async (seeder) => {
    const { accountId } = seeder;
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
      await seeder.bucket(bucketName, {
        block: FULL_BLOCK,
        encrypted: true,
        versioning: 'Enabled',
        policy: privatePolicy,
      }),
    ];
    const readOnly = await seeder.policy('read-only', SEED_POLICIES.readOnly);
    const scanner = await seeder.user('scanner', {
      mfa: true,
      console: true,
      key: true,
      managedPolicyArn: readOnly,
    });
    const groups = [
      await seeder.securityGroup('us-east-1', 'web', [
        openToWorld('tcp', 443),
        { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
      ]),
    ];
    if (!scanner.key) throw new Error('no access key for the scanner user');
    return {
      accountId,
      planted: [],
      assets: { buckets, users: [scanner.arn], groups },
      scannerKeys: { accessKeyId: scanner.key.id, secretAccessKey: scanner.key.secret },
      destroy: () => seeder.destroy(),
    };
  });
}
