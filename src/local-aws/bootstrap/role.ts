import type { IAMClientConfig } from '@aws-sdk/client-iam';
import { isAwsError, type StepLog } from './report.js';

/** Name of the tenant-session role (terraform `aws_iam_role.tenant_session` has the same). */
export function tenantRoleName(prefix: string): string {
  return `${prefix}-tenant-session`;
}

/** Trust of the local tenant-session role: any principal of the account (the local endpoint's caller). */
function trustPolicy(partition: string, accountId: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'WorkerAssumesTenantSessions',
        Effect: 'Allow',
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: 'sts:AssumeRole',
      },
    ],
  });
}

/**
 * Creates the tenant-session role unless it exists; returns its ARN (SCANQ_TENANT_ROLE_ARN). A local
 * endpoint evaluates no IAM policy: the role exists so that workers assume it with each tenant's
 * session policy exactly as on AWS, where terraform declares its permissions and boundary.
 */
export async function ensureTenantRole(
  settings: IAMClientConfig,
  name: string,
  partition: string,
  accountId: string,
  log: StepLog,
): Promise<string> {
  // Loaded here, not at the top: the CLI's shared context imports local-aws, and a worker image
  // must not load the IAM client it never uses (test/integration/package.test.ts).
  const { CreateRoleCommand, GetRoleCommand, IAMClient } = await import('@aws-sdk/client-iam');
  const iam = new IAMClient(settings);
  try {
    return await createUnlessPresent();
  } finally {
    iam.destroy();
  }

  async function createUnlessPresent(): Promise<string> {
    try {
      const out = await iam.send(new GetRoleCommand({ RoleName: name }));
      if (out.Role?.Arn) {
        log.add({ resource: 'role', name, action: 'unchanged' });
        return out.Role.Arn;
      }
    } catch (error) {
      if (!isAwsError(error, 'NoSuchEntityException', 'NoSuchEntity')) throw error;
    }
    const out = await iam.send(
      new CreateRoleCommand({
        RoleName: name,
        AssumeRolePolicyDocument: trustPolicy(partition, accountId),
        Description: 'scanq tenant sessions: capabilities of one tenant (session policy per tenant)',
        MaxSessionDuration: 43_200,
      }),
    );
    if (!out.Role?.Arn) throw new Error(`CreateRole ${name} returned no ARN`);
    log.add({ resource: 'role', name, action: 'created' });
    return out.Role.Arn;
  }
}
