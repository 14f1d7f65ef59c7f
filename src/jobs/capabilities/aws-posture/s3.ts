import {
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  type PublicAccessBlockConfiguration,
  paginateListBuckets,
  type S3Client,
} from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { type CallOptions, read, type SkippedCheck } from './calls.js';
import { decodePolicyDocument, publicStatements } from './policy.js';
import { POSTURE_ASSETS, publicAccessGaps } from './rules.js';
import type { PostureTally } from './tally.js';

/** The S3 checks, in the order the result lists them. */
export const S3_CHECKS = {
  publicAccessBlock: 's3.publicAccessBlock',
  encryption: 's3.defaultEncryption',
  versioning: 's3.versioning',
  policy: 's3.bucketPolicy',
} as const;

/** Buckets checked at once: four reads each, kept well under S3's request rates. */
const BUCKET_CONCURRENCY = 4;

interface BucketScan {
  readonly s3: S3Client;
  readonly tally: PostureTally;
  readonly skipped: SkippedCheck[];
  readonly options: CallOptions;
}

interface Bucket {
  readonly name: string;
  readonly asset: { readonly type: string; readonly value: string };
}

/** Lists every bucket the credentials see and checks each (bounded concurrency); returns how many. */
export async function scanBuckets(scan: BucketScan): Promise<number> {
  const names = await read(
    async () => {
      const all: string[] = [];
      for await (const page of paginateListBuckets({ client: scan.s3 }, {}, scan.options)) {
        for (const bucket of page.Buckets ?? []) if (bucket.Name) all.push(bucket.Name);
      }
      return all;
    },
    { check: 's3.listBuckets', resource: 's3', skipped: scan.skipped },
  );
  if (names === 'denied' || names === undefined) return 0;
  const limit = pLimit(BUCKET_CONCURRENCY);
  await Promise.all(names.map((name) => limit(() => checkBucket(scan, name))));
  return names.length;
}

async function checkBucket(scan: BucketScan, name: string): Promise<void> {
  const bucket: Bucket = { name, asset: { type: POSTURE_ASSETS.bucket, value: `arn:aws:s3:::${name}` } };
  scan.tally.asset({ ...bucket.asset, attributes: { name } });
  const block = await checkPublicAccessBlock(scan, bucket);
  await checkEncryption(scan, bucket);
  await checkVersioning(scan, bucket);
  await checkPolicy(scan, bucket, block);
}

const where = (scan: BucketScan, bucket: Bucket, check: string) => ({
  check,
  resource: bucket.asset.value,
  skipped: scan.skipped,
});

async function checkPublicAccessBlock(
  scan: BucketScan,
  bucket: Bucket,
): Promise<PublicAccessBlockConfiguration | undefined> {
  const check = S3_CHECKS.publicAccessBlock;
  const out = await read(
    () => scan.s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket.name }), scan.options),
    where(scan, bucket, check),
    ['NoSuchPublicAccessBlockConfiguration'],
  );
  if (out === 'denied') return undefined;
  scan.tally.checked(check);
  const config = out?.PublicAccessBlockConfiguration;
  const off = publicAccessGaps(config);
  if (off.length > 0) {
    scan.tally.risk(check, bucket.asset, 'bucketPublicAccessNotBlocked', {
      configured: config !== undefined,
      off,
    });
  }
  return config;
}

async function checkEncryption(scan: BucketScan, bucket: Bucket): Promise<void> {
  const check = S3_CHECKS.encryption;
  const out = await read(
    () => scan.s3.send(new GetBucketEncryptionCommand({ Bucket: bucket.name }), scan.options),
    where(scan, bucket, check),
    ['ServerSideEncryptionConfigurationNotFoundError'],
  );
  if (out === 'denied') return;
  scan.tally.checked(check);
  const rules = out?.ServerSideEncryptionConfiguration?.Rules ?? [];
  const algorithms = rules.flatMap((r) => r.ApplyServerSideEncryptionByDefault?.SSEAlgorithm ?? []);
  if (algorithms.length === 0)
    scan.tally.risk(check, bucket.asset, 'bucketUnencrypted', { configured: false });
}

async function checkVersioning(scan: BucketScan, bucket: Bucket): Promise<void> {
  const check = S3_CHECKS.versioning;
  const out = await read(
    () => scan.s3.send(new GetBucketVersioningCommand({ Bucket: bucket.name }), scan.options),
    where(scan, bucket, check),
  );
  if (out === 'denied') return;
  scan.tally.checked(check);
  if (out?.Status !== 'Enabled') {
    scan.tally.risk(check, bucket.asset, 'bucketUnversioned', { status: out?.Status ?? 'NeverEnabled' });
  }
}

async function checkPolicy(
  scan: BucketScan,
  bucket: Bucket,
  block: PublicAccessBlockConfiguration | undefined,
): Promise<void> {
  const check = S3_CHECKS.policy;
  const out = await read(
    () => scan.s3.send(new GetBucketPolicyCommand({ Bucket: bucket.name }), scan.options),
    where(scan, bucket, check),
    ['NoSuchBucketPolicy'],
  );
  if (out === 'denied') return;
  scan.tally.checked(check);
  const open = publicStatements(decodePolicyDocument(out?.Policy) ?? []);
  // RestrictPublicBuckets makes a public policy ineffective; without it anyone can use the grant.
  if (open.length > 0 && block?.RestrictPublicBuckets !== true) {
    scan.tally.risk(check, bucket.asset, 'bucketPublicPolicy', {
      publicStatements: open.length,
      actions: [...new Set(open.flatMap((s) => s.actions))].slice(0, 20),
    });
  }
}
