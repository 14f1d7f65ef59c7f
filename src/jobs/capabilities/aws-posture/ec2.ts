import { type EC2Client, paginateDescribeSecurityGroups, type SecurityGroup } from '@aws-sdk/client-ec2';
import { type CallOptions, read, type SkippedCheck } from './calls.js';
import { type Exposure, POSTURE_ASSETS, worldExposures } from './rules.js';
import type { PostureTally } from './tally.js';

/** The EC2 check. */
export const EC2_CHECKS = { worldOpenIngress: 'ec2.worldOpenIngress' } as const;

interface GroupScan {
  readonly ec2: (region: string) => EC2Client;
  readonly regions: readonly string[];
  readonly tally: PostureTally;
  readonly skipped: SkippedCheck[];
  readonly options: CallOptions;
}

/** The group's ARN: ids are unique per region and account only. */
function groupArn(region: string, group: SecurityGroup): string {
  return `arn:aws:ec2:${region}:${group.OwnerId ?? ''}:security-group/${group.GroupId ?? ''}`;
}

/** Checks every security group of every region asked for, one region after another; returns how many. */
export async function scanSecurityGroups(scan: GroupScan): Promise<number> {
  let count = 0;
  for (const region of scan.regions) {
    const groups = await read(
      async () => {
        const all: SecurityGroup[] = [];
        const pages = paginateDescribeSecurityGroups({ client: scan.ec2(region) }, {}, scan.options);
        for await (const page of pages) all.push(...(page.SecurityGroups ?? []));
        return all;
      },
      { check: EC2_CHECKS.worldOpenIngress, resource: `region:${region}`, skipped: scan.skipped },
    );
    if (groups === 'denied' || groups === undefined) continue;
    for (const group of groups) checkGroup(scan, region, group);
    count += groups.length;
  }
  return count;
}

function checkGroup(scan: GroupScan, region: string, group: SecurityGroup): void {
  const asset = { type: POSTURE_ASSETS.securityGroup, value: groupArn(region, group) };
  scan.tally.asset({
    ...asset,
    attributes: { groupId: group.GroupId, name: group.GroupName, vpcId: group.VpcId, region },
  });
  scan.tally.checked(EC2_CHECKS.worldOpenIngress);
  // One risk per kind and group (its item key is per name): every matching rule goes in its evidence.
  const byRisk = new Map<Exposure['risk'], Omit<Exposure, 'risk'>[]>();
  for (const { risk, ...rule } of worldExposures(group.IpPermissions ?? [])) {
    byRisk.set(risk, [...(byRisk.get(risk) ?? []), rule]);
  }
  for (const [risk, rules] of byRisk) scan.tally.risk(EC2_CHECKS.worldOpenIngress, asset, risk, { rules });
}
