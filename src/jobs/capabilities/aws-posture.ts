import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { z } from 'zod';
import { assertAccountId } from '../../tenancy/secrets.js';
import type { CapabilityDefinition } from '../capability.js';
import { PermanentError } from '../errors.js';
import type { SkippedCheck } from './aws-posture/calls.js';
import { postureClients } from './aws-posture/clients.js';
import { EC2_CHECKS, scanSecurityGroups } from './aws-posture/ec2.js';
import { IAM_CHECKS, scanUsers } from './aws-posture/iam.js';
import { ACCESS_KEY_MAX_AGE_DAYS } from './aws-posture/rules.js';
import { S3_CHECKS, scanBuckets } from './aws-posture/s3.js';
import { PostureTally } from './aws-posture/tally.js';

export { POSTURE_ASSETS, POSTURE_RISKS } from './aws-posture/rules.js';

/** Version of the `aws-posture` result document (`result` in the job's result object). */
export const POSTURE_RESULT_VERSION = 1;

const isAccountId = (value: string) => {
  try {
    assertAccountId(value);
    return true;
  } catch {
    return false;
  }
};

const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'must be an AWS region such as eu-west-1');

/** Input of an `aws-posture` job. */
export const awsPostureInput = z.strictObject({
  /** The stored account (`{prefix}/{tenant}/account/{accountId}` in Secrets Manager) to scan with. */
  accountId: z.string().refine(isAccountId, 'must be 1-64 characters of letters, digits and . _ -'),
  /** Regions whose security groups are checked. Default: the worker's region. S3 and IAM are global. */
  regions: z.array(region).min(1).max(32).optional(),
  /** Age in days past which an active access key is a risk. Default 90 (CIS 1.14). */
  accessKeyMaxAgeDays: z.number().int().min(0).max(3650).optional(),
});
export type AwsPostureInput = z.infer<typeof awsPostureInput>;

/** Every check, in the order the result lists them. */
export const POSTURE_CHECKS: readonly string[] = [
  ...Object.values(S3_CHECKS),
  ...Object.values(IAM_CHECKS),
  ...Object.values(EC2_CHECKS),
];

/**
 * Posture of one AWS account, with the tenant's stored credentials (access keys, or a role the
 * worker assumed with its external id): S3 buckets without a full public access block, default
 * encryption or versioning, or with a public policy; IAM users without MFA, with active keys
 * older than `accessKeyMaxAgeDays`, or with an admin (`*` on `*`) policy attached directly,
 * inline or through a group; security groups open to 0.0.0.0/0 or ::/0 on 22, 3389 or every port.
 * Emits each bucket, user and group as an asset (value = ARN) and each problem as a risk.
 * A read the credentials may not make is listed under `skipped`; throttling and server errors
 * fail the attempt so the worker retries it.
 */
export const awsPosture: CapabilityDefinition<AwsPostureInput> = {
  name: 'aws-posture',
  description: 'S3, IAM and security-group posture of an AWS account, with its stored credentials',
  targetKind: 'account',
  input: awsPostureInput,
  credentials: 'aws',
  timeoutMs: 15 * 60_000,
  maxAttempts: 3,
  async run(ctx, input, emit) {
    if (!ctx.credentials) {
      throw new PermanentError('aws-posture needs the account credentials', {
        code: 'posture.noCredentials',
      });
    }
    const clients = postureClients(ctx, ctx.credentials);
    try {
      const options = { abortSignal: ctx.signal };
      // Proves the credentials work and names the account the findings belong to.
      const identity = await clients.sts.send(new GetCallerIdentityCommand({}), options);
      const regions = input.regions ?? [ctx.aws.region];
      const maxKeyAgeDays = input.accessKeyMaxAgeDays ?? ACCESS_KEY_MAX_AGE_DAYS;
      const tally = new PostureTally(emit, POSTURE_CHECKS);
      const skipped: SkippedCheck[] = [];
      const buckets = await scanBuckets({ s3: clients.s3, tally, skipped, options });
      const users = await scanUsers({
        iam: clients.iam,
        tally,
        skipped,
        options,
        now: new Date(),
        maxKeyAgeDays,
      });
      const groups = await scanSecurityGroups({ ec2: clients.ec2, regions, tally, skipped, options });
      const { checks, counts } = tally.summary();
      ctx.log.info(
        { buckets, users, groups, risks: counts.risks, skipped: skipped.length },
        'posture scanned',
      );
      return {
        kind: 'done',
        result: {
          kind: 'aws-posture',
          v: POSTURE_RESULT_VERSION,
          accountId: input.accountId,
          awsAccount: identity.Account,
          principal: identity.Arn,
          regions,
          accessKeyMaxAgeDays: maxKeyAgeDays,
          checks,
          counts: { buckets, users, securityGroups: groups, ...counts },
          skipped,
        },
      };
    } finally {
      clients.destroy();
    }
  },
};
