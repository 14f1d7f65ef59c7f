import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { Emit, RunContext, RunOutcome } from '../../capability.js';
import { PermanentError } from '../../errors.js';
import type { AwsPostureInput } from '../aws-posture.js';
import type { SkippedCheck } from './calls.js';
import { postureClients } from './clients.js';
import { EC2_CHECKS, scanSecurityGroups } from './ec2.js';
import { IAM_CHECKS, scanUsers } from './iam.js';
import { ACCESS_KEY_MAX_AGE_DAYS, POSTURE_RESULT_VERSION } from './rules.js';
import { S3_CHECKS, scanBuckets } from './s3.js';
import { PostureTally } from './tally.js';

/** Every check, in the order the result lists them. */
export const POSTURE_CHECKS: readonly string[] = [
  ...Object.values(S3_CHECKS),
  ...Object.values(IAM_CHECKS),
  ...Object.values(EC2_CHECKS),
];

/**
 * The scan behind `aws-posture` (see its definition). Loaded on first use, so importing the
 * capability registry (as the producer library does) does not load the EC2 and IAM clients.
 */
export async function scanAccount(ctx: RunContext, input: AwsPostureInput, emit: Emit): Promise<RunOutcome> {
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
    ctx.log.info({ buckets, users, groups, risks: counts.risks, skipped: skipped.length }, 'posture scanned');
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
}
