import {
  GetGroupPolicyCommand,
  GetLoginProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetUserPolicyCommand,
  type IAMClient,
  paginateListAccessKeys,
  paginateListAttachedGroupPolicies,
  paginateListAttachedUserPolicies,
  paginateListGroupPolicies,
  paginateListGroupsForUser,
  paginateListMFADevices,
  paginateListUserPolicies,
  paginateListUsers,
  type User,
} from '@aws-sdk/client-iam';
import pLimit from 'p-limit';
import { type CallOptions, read, type SkippedCheck } from './calls.js';
import { decodePolicyDocument, isAdminPolicy } from './policy.js';
import { ageInDays, isKeyTooOld, POSTURE_ASSETS } from './rules.js';
import type { PostureTally } from './tally.js';

/** The IAM checks, in the order the result lists them. */
export const IAM_CHECKS = {
  mfa: 'iam.mfa',
  accessKeyAge: 'iam.accessKeyAge',
  adminPolicy: 'iam.adminPolicy',
} as const;

const USER_CONCURRENCY = 4;

interface UserScan {
  readonly iam: IAMClient;
  readonly tally: PostureTally;
  readonly skipped: SkippedCheck[];
  readonly options: CallOptions;
  readonly now: Date;
  readonly maxKeyAgeDays: number;
}

/** How a user got an admin grant. */
interface AdminGrant {
  readonly via: 'managed' | 'inline' | 'group-managed' | 'group-inline';
  readonly policy: string;
  readonly group?: string;
}

/** Per scan: a managed policy or a group is read once however many users share it. */
interface Caches {
  readonly managed: Map<string, Promise<boolean>>;
  readonly groups: Map<string, Promise<AdminGrant[]>>;
}

async function collect<P, T>(pages: AsyncIterable<P>, pick: (page: P) => readonly T[] | undefined) {
  const all: T[] = [];
  for await (const page of pages) all.push(...(pick(page) ?? []));
  return all;
}

/** Lists every IAM user and checks each (bounded concurrency); returns how many. */
export async function scanUsers(scan: UserScan): Promise<number> {
  const users = await read(
    () => collect(paginateListUsers({ client: scan.iam }, {}, scan.options), (p) => p.Users),
    { check: 'iam.listUsers', resource: 'iam', skipped: scan.skipped },
  );
  if (users === 'denied' || users === undefined) return 0;
  const caches: Caches = { managed: new Map(), groups: new Map() };
  const limit = pLimit(USER_CONCURRENCY);
  await Promise.all(users.map((user) => limit(() => checkUser(scan, caches, user))));
  return users.length;
}

async function checkUser(scan: UserScan, caches: Caches, user: User): Promise<void> {
  const name = user.UserName ?? '';
  const asset = { type: POSTURE_ASSETS.user, value: user.Arn ?? name };
  scan.tally.asset({ ...asset, attributes: { name, created: user.CreateDate?.toISOString() } });
  await checkMfa(scan, name, asset);
  await checkKeys(scan, name, asset);
  await checkAdmin(scan, caches, name, asset);
}

type Asset = { readonly type: string; readonly value: string };

async function checkMfa(scan: UserScan, name: string, asset: Asset): Promise<void> {
  const at = { check: IAM_CHECKS.mfa, resource: asset.value, skipped: scan.skipped };
  const devices = await read(
    () =>
      collect(
        paginateListMFADevices({ client: scan.iam }, { UserName: name }, scan.options),
        (p) => p.MFADevices,
      ),
    at,
  );
  if (devices === 'denied' || devices === undefined) return;
  scan.tally.checked(IAM_CHECKS.mfa);
  if (devices.length > 0) return;
  const login = await read(
    () => scan.iam.send(new GetLoginProfileCommand({ UserName: name }), scan.options),
    at,
    ['NoSuchEntityException', 'NoSuchEntity'],
  );
  const consoleAccess = login !== undefined && login !== 'denied';
  scan.tally.risk(IAM_CHECKS.mfa, asset, consoleAccess ? 'consoleUserNoMfa' : 'userNoMfa', {
    consoleAccess: login === 'denied' ? 'unknown' : consoleAccess,
  });
}

/** `AKIA…WXYZ`: enough to find the key in the console, not the whole identifier. */
function maskKeyId(id: string): string {
  return id.length > 8 ? `${id.slice(0, 4)}…${id.slice(-4)}` : '…';
}

async function checkKeys(scan: UserScan, name: string, asset: Asset): Promise<void> {
  const at = { check: IAM_CHECKS.accessKeyAge, resource: asset.value, skipped: scan.skipped };
  const keys = await read(
    () =>
      collect(
        paginateListAccessKeys({ client: scan.iam }, { UserName: name }, scan.options),
        (p) => p.AccessKeyMetadata,
      ),
    at,
  );
  if (keys === 'denied' || keys === undefined) return;
  scan.tally.checked(IAM_CHECKS.accessKeyAge);
  // One risk per user (its item key is per name), listing every active key past the limit.
  const old = keys.flatMap((key) =>
    key.Status === 'Active' && key.CreateDate && isKeyTooOld(key.CreateDate, scan.now, scan.maxKeyAgeDays)
      ? [
          {
            accessKey: maskKeyId(key.AccessKeyId ?? ''),
            created: key.CreateDate.toISOString(),
            ageDays: ageInDays(key.CreateDate, scan.now),
          },
        ]
      : [],
  );
  if (old.length > 0) {
    scan.tally.risk(IAM_CHECKS.accessKeyAge, asset, 'userOldAccessKey', {
      keys: old,
      maxAgeDays: scan.maxKeyAgeDays,
    });
  }
}

async function checkAdmin(scan: UserScan, caches: Caches, name: string, asset: Asset): Promise<void> {
  const at = { check: IAM_CHECKS.adminPolicy, resource: asset.value, skipped: scan.skipped };
  const grants = await read(() => adminGrants(scan, caches, name), at);
  if (grants === 'denied' || grants === undefined) return;
  scan.tally.checked(IAM_CHECKS.adminPolicy);
  if (grants.length > 0) scan.tally.risk(IAM_CHECKS.adminPolicy, asset, 'userAdminPolicy', { grants });
}

async function adminGrants(scan: UserScan, caches: Caches, name: string): Promise<AdminGrant[]> {
  const { iam, options } = scan;
  const attached = await collect(
    paginateListAttachedUserPolicies({ client: iam }, { UserName: name }, options),
    (p) => p.AttachedPolicies,
  );
  const inline = await collect(
    paginateListUserPolicies({ client: iam }, { UserName: name }, options),
    (p) => p.PolicyNames,
  );
  const groups = await collect(
    paginateListGroupsForUser({ client: iam }, { UserName: name }, options),
    (p) => p.Groups,
  );
  const grants: AdminGrant[] = [];
  for (const policy of attached) {
    if (policy.PolicyArn && (await managedIsAdmin(scan, caches, policy.PolicyArn)))
      grants.push({ via: 'managed', policy: policy.PolicyArn });
  }
  for (const policyName of inline) {
    const out = await iam.send(new GetUserPolicyCommand({ UserName: name, PolicyName: policyName }), options);
    if (isAdminPolicy(decodePolicyDocument(out.PolicyDocument) ?? []))
      grants.push({ via: 'inline', policy: policyName });
  }
  for (const group of groups) {
    if (!group.GroupName) continue;
    let found = caches.groups.get(group.GroupName);
    if (!found) {
      found = groupGrants(scan, caches, group.GroupName);
      caches.groups.set(group.GroupName, found);
    }
    grants.push(...(await found));
  }
  return grants;
}

async function groupGrants(scan: UserScan, caches: Caches, group: string): Promise<AdminGrant[]> {
  const { iam, options } = scan;
  const grants: AdminGrant[] = [];
  const attached = await collect(
    paginateListAttachedGroupPolicies({ client: iam }, { GroupName: group }, options),
    (p) => p.AttachedPolicies,
  );
  for (const policy of attached) {
    if (policy.PolicyArn && (await managedIsAdmin(scan, caches, policy.PolicyArn)))
      grants.push({ via: 'group-managed', policy: policy.PolicyArn, group });
  }
  const inline = await collect(
    paginateListGroupPolicies({ client: iam }, { GroupName: group }, options),
    (p) => p.PolicyNames,
  );
  for (const policyName of inline) {
    const out = await iam.send(
      new GetGroupPolicyCommand({ GroupName: group, PolicyName: policyName }),
      options,
    );
    if (isAdminPolicy(decodePolicyDocument(out.PolicyDocument) ?? []))
      grants.push({ via: 'group-inline', policy: policyName, group });
  }
  return grants;
}

function managedIsAdmin(scan: UserScan, caches: Caches, arn: string): Promise<boolean> {
  let found = caches.managed.get(arn);
  if (!found) {
    found = (async () => {
      const policy = await scan.iam.send(new GetPolicyCommand({ PolicyArn: arn }), scan.options);
      const version = policy.Policy?.DefaultVersionId;
      if (!version) return false;
      const out = await scan.iam.send(
        new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: version }),
        scan.options,
      );
      return isAdminPolicy(decodePolicyDocument(out.PolicyVersion?.Document) ?? []);
    })();
    caches.managed.set(arn, found);
  }
  return found;
}
