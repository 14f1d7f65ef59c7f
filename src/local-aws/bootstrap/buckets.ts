import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { BucketSpec } from '../manifest.js';
import { isAwsError, type StepLog } from './report.js';

async function exists(s3: S3Client, bucket: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (error) {
    if (isAwsError(error, 'NotFound', 'NoSuchBucket')) return false;
    throw error;
  }
}

async function kmsEncrypted(s3: S3Client, bucket: string, keyId: string): Promise<boolean> {
  try {
    const out = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    const rule = out.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
    return rule?.SSEAlgorithm === 'aws:kms' && rule.KMSMasterKeyID === keyId;
  } catch (error) {
    if (isAwsError(error, 'ServerSideEncryptionConfigurationNotFoundError')) return false;
    throw error;
  }
}

async function publicAccessBlocked(s3: S3Client, bucket: string): Promise<boolean> {
  try {
    const c = (await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })))
      .PublicAccessBlockConfiguration;
    return Boolean(
      c?.BlockPublicAcls && c.BlockPublicPolicy && c.IgnorePublicAcls && c.RestrictPublicBuckets,
    );
  } catch (error) {
    if (isAwsError(error, 'NoSuchPublicAccessBlockConfiguration')) return false;
    throw error;
  }
}

/** Creates or converges each bucket: versioning, SSE-KMS with the CMK, public access blocked. */
export async function ensureBuckets(
  s3: S3Client,
  specs: readonly BucketSpec[],
  region: string,
  kmsKeyArn: string,
  log: StepLog,
): Promise<void> {
  for (const spec of specs) {
    const changes: string[] = [];
    const created = !(await exists(s3, spec.name));
    if (created) {
      await s3.send(
        new CreateBucketCommand({
          Bucket: spec.name,
          ...(region === 'us-east-1'
            ? {}
            : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
        }),
      );
    }
    const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket: spec.name }));
    if (spec.versioning && versioning.Status !== 'Enabled') {
      await s3.send(
        new PutBucketVersioningCommand({ Bucket: spec.name, VersioningConfiguration: { Status: 'Enabled' } }),
      );
      changes.push('versioning');
    }
    if (!(await kmsEncrypted(s3, spec.name, kmsKeyArn))) {
      await s3.send(
        new PutBucketEncryptionCommand({
          Bucket: spec.name,
          ServerSideEncryptionConfiguration: {
            Rules: [
              {
                ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: kmsKeyArn },
                BucketKeyEnabled: true,
              },
            ],
          },
        }),
      );
      changes.push('encryption');
    }
    if (spec.blockPublicAccess && !(await publicAccessBlocked(s3, spec.name))) {
      await s3.send(
        new PutPublicAccessBlockCommand({
          Bucket: spec.name,
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
        }),
      );
      changes.push('public access block');
    }
    const action = created ? 'created' : changes.length > 0 ? 'updated' : 'unchanged';
    log.add({
      resource: 'bucket',
      name: spec.name,
      action,
      ...(changes.length && !created ? { detail: changes.join(', ') } : {}),
    });
  }
}
