import type { AssumeRoleCommand, AssumeRoleCommandOutput } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import type { ScopedClients } from '../../../src/aws/clients.js';
import { createLogger } from '../../../src/lib/logger.js';
import { SESSION_REFRESH_MARGIN_MS, TenantSessions } from '../../../src/workers/tenant-session.js';

const MINUTE = 60_000;

/** An STS stand-in that issues numbered keys valid for `sessionMs` from the fake clock. */
function fakeSts(clock: { now: number }, sessionMs: number) {
  const calls: AssumeRoleCommand['input'][] = [];
  return {
    calls,
    async send(command: AssumeRoleCommand): Promise<AssumeRoleCommandOutput> {
      calls.push(command.input);
      return {
        $metadata: {},
        Credentials: {
          AccessKeyId: `ASIA${calls.length}`,
          SecretAccessKey: 'secret',
          SessionToken: `token-${calls.length}`,
          Expiration: new Date(clock.now + sessionMs),
        },
      };
    },
  };
}

function sessions(
  clock: { now: number },
  sts: ReturnType<typeof fakeSts>,
  built: AwsCredentialIdentityProvider[],
) {
  return new TenantSessions({
    sts,
    roleArn: 'arn:aws:iam::123456789012:role/scanq-tenant-session',
    sessionMs: 15 * MINUTE,
    resources: { region: 'eu-west-1', table: 'scanq-data', buckets: ['b'], secretsPrefix: 'scanq' },
    shardsOf: async (tenant) => (tenant === 'big' ? 4 : 1),
    clients: {
      withCredentials(credentials) {
        built.push(credentials);
        return { destroy() {} } as unknown as ScopedClients;
      },
    },
    log: createLogger({ level: 'silent' }),
    now: () => clock.now,
  });
}

describe('Class: TenantSessions', () => {
  it('assumes once per tenant, serves the cache, and assumes again before the keys expire', async () => {
    // Prepare
    const clock = { now: Date.parse('2026-12-03T12:00:00Z') };
    const sts = fakeSts(clock, 15 * MINUTE);
    const subject = sessions(clock, sts, []);

    // Act + Assess: concurrent first uses share one AssumeRole
    const [a, b] = await Promise.all([subject.credentials('acme'), subject.credentials('acme')]);
    expect(a.accessKeyId).toBe('ASIA1');
    expect(b.accessKeyId).toBe('ASIA1');
    clock.now += 15 * MINUTE - SESSION_REFRESH_MARGIN_MS - 1;
    expect((await subject.credentials('acme')).accessKeyId).toBe('ASIA1');
    clock.now += 2;
    expect((await subject.credentials('acme')).accessKeyId).toBe('ASIA2');
    expect((await subject.credentials('big')).accessKeyId).toBe('ASIA3');
    expect(sts.calls.map((c) => c.RoleSessionName)).toEqual(['tenant-acme', 'tenant-acme', 'tenant-big']);
    expect(JSON.parse(sts.calls[2]?.Policy ?? '{}').Statement[0].Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['big', 'big#0', 'big#1', 'big#2', 'big#3'] },
    });
    expect(sts.calls[0]?.DurationSeconds).toBe(900);
  });

  it('does not cache a failed AssumeRole', async () => {
    // Prepare
    const clock = { now: 0 };
    const sts = fakeSts(clock, 15 * MINUTE);
    let failNext = true;
    const flaky = {
      calls: sts.calls,
      async send(command: AssumeRoleCommand) {
        if (failNext) {
          failNext = false;
          throw Object.assign(new Error('denied'), { name: 'AccessDenied' });
        }
        return sts.send(command);
      },
    };
    const subject = sessions(clock, flaky, []);

    // Act + Assess
    await expect(subject.credentials('acme')).rejects.toThrow('denied');
    expect((await subject.credentials('acme')).accessKeyId).toBe('ASIA1');
  });

  it('builds one set of clients per tenant, whose credentials are the tenant’s current session', async () => {
    // Prepare
    const clock = { now: 0 };
    const built: AwsCredentialIdentityProvider[] = [];
    const subject = sessions(clock, fakeSts(clock, 15 * MINUTE), built);

    // Act
    const first = subject.clientsFor('acme');
    const again = subject.clientsFor('acme');
    subject.clientsFor('other');

    // Assess
    expect(again).toBe(first);
    expect(built).toHaveLength(2);
    expect((await built[0]?.())?.sessionToken).toBe('token-1');
    expect((await built[1]?.())?.sessionToken).toBe('token-2');
  });

  it('refuses a role ARN it cannot read an account from', () => {
    const clock = { now: 0 };
    expect(
      () =>
        new TenantSessions({
          sts: fakeSts(clock, 1),
          roleArn: 'arn:aws:iam::123:role/x',
          sessionMs: 900_000,
          resources: { region: 'eu-west-1', table: 't', buckets: [], secretsPrefix: 'p' },
          shardsOf: async () => 1,
          clients: { withCredentials: () => ({}) as unknown as ScopedClients },
          log: createLogger({ level: 'silent' }),
        }),
    ).toThrow(/roleArn/);
  });
});
