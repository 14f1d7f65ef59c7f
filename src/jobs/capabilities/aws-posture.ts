import { z } from 'zod';
import { assertAccountId } from '../../tenancy/secrets.js';
import type { CapabilityDefinition } from '../capability.js';

export { POSTURE_ASSETS, POSTURE_RESULT_VERSION, POSTURE_RISKS } from './aws-posture/rules.js';

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
    // The EC2, IAM and S3 clients load with the scan, not with the registry.
    const { scanAccount } = await import('./aws-posture/scan.js');
    return scanAccount(ctx, input, emit);
  },
};
