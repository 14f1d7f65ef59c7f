import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  type AssumeRoleCommandInput,
  type AssumeRoleCommandOutput,
  GetCallerIdentityCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { clientSettings } from '../../src/aws/index.js';
import { builtinCapabilities, type CapabilityDefinition, jobListQuery } from '../../src/jobs/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { createProducer, type Producer } from '../../src/producer/index.js';
import { ownContext, putProfile, systemContext, TenantTable } from '../../src/tenancy/index.js';
import { tenantSessionPolicy } from '../../src/tenancy/session-policy.js';
import { createWorker, createWorkerRuntimeDeps, TenantSessions } from '../../src/workers/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';

/** What the worker's STS client sent and moto answered, per AssumeRole (observed, never replaced). */
interface Observed {
  readonly input: AssumeRoleCommandInput;
  readonly output: AssumeRoleCommandOutput;
}

/** Who moto says the keys belong to: its record of the session they were issued for. */
async function callerOf(stack: TestStack, keys: AwsCredentialIdentity): Promise<string | undefined> {
  const sts = new STSClient({ ...clientSettings(stack.config, 'sts'), credentials: keys });
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn;
  } finally {
    sts.destroy();
  }
}

describe('Class: TenantSessions (moto)', () => {
  let stack: TestStack;
  const observed: Observed[] = [];
  const sessionsOf = (tenant: string) =>
    observed.filter((o) => o.input.RoleSessionName === `tenant-${tenant}`);
  const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
  const tableDeps = () => ({ doc: stack.clients.doc, tableName: stack.config.resources.table });

  beforeAll(async () => {
    stack = await createTestStack('tsess');
    stack.clients.sts.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'AssumeRoleCommand')
          observed.push({
            input: args.input as AssumeRoleCommandInput,
            output: result.output as AssumeRoleCommandOutput,
          });
        return result;
      },
      { step: 'initialize', name: 'testAssumeRoleObserver' },
    );
  });
  afterAll(async () => {
    await destroyTestStack(stack);
  });

  it('bootstrap creates the tenant-session role and the test stack turns sessions on', () => {
    // Assess
    expect(stack.report.tenantRoleArn).toMatch(
      new RegExp(`^arn:aws:iam::\\d{12}:role/${stack.config.prefix}-tenant-session$`),
    );
    expect(stack.config.worker.tenantSession.roleArn).toBe(stack.report.tenantRoleArn);
  });

  it('assumes the role once per tenant with its session policy, and its clients carry the session keys', async () => {
    // Prepare: a sharded tenant, so the policy names its shard partitions
    const tenant = `ts${Date.now().toString(36)}`;
    await putProfile(new TenantTable(tableDeps(), systemContext(tenant, 'test')), {
      name: 'sharded',
      shards: 3,
    });
    const { tenantSessions } = createWorkerRuntimeDeps(stack.config, stack.clients, stack.report, log);
    if (!tenantSessions) throw new Error('SCANQ_TENANT_ROLE_ARN is set in the test stack');

    // Act: two reads through the tenant's clients
    const clients = tenantSessions.clientsFor(tenant);
    const table = new TenantTable(
      { doc: clients.doc, tableName: stack.config.resources.table },
      systemContext(tenant, 'test'),
    );
    expect(await table.get('#tenant')).toMatchObject({ name: 'sharded', shards: 3 });
    await table.get('#job#a#noop');

    // Assess: one AssumeRole of the tenant-session role for the tenant, with the policy built for 3 shards
    const mine = sessionsOf(tenant);
    expect(mine).toHaveLength(1);
    const [session] = mine;
    expect(session?.input.RoleArn).toBe(stack.report.tenantRoleArn);
    const policy = JSON.parse(session?.input.Policy ?? 'null');
    expect(policy).toEqual(
      tenantSessionPolicy(tenant, 3, {
        partition: 'aws',
        account: stack.report.accountId,
        region: stack.config.region,
        table: stack.config.resources.table,
        buckets: [
          stack.config.resources.resultsBucket,
          stack.config.resources.uploadsBucket,
          stack.config.resources.quarantineBucket,
        ],
        secretsPrefix: stack.config.resources.secretsPrefix,
      }),
    );
    expect(policy.Statement[0].Condition['ForAllValues:StringEquals']['dynamodb:LeadingKeys']).toEqual([
      tenant,
      `${tenant}#0`,
      `${tenant}#1`,
      `${tenant}#2`,
    ]);
    // What moto answered and recorded: the assumed-role session of the tenant, whose keys every client signs with.
    const roleName = stack.report.tenantRoleArn.split('/').pop();
    const sessionArn = `arn:aws:sts::${stack.report.accountId}:assumed-role/${roleName}/tenant-${tenant}`;
    expect(session?.output.AssumedRoleUser?.Arn).toBe(sessionArn);
    for (const client of [clients.doc, clients.s3, clients.secrets]) {
      const keys = await client.config.credentials();
      expect(keys.accessKeyId).toBe(session?.output.Credentials?.AccessKeyId);
      expect(keys.sessionToken).toBe(session?.output.Credentials?.SessionToken);
      expect(await callerOf(stack, keys)).toBe(sessionArn);
    }
    tenantSessions.destroy();
  });

  it('signs with the session: a role in another account reaches that account, not the worker’s', async () => {
    // Prepare: moto routes a key issued for a role to the role's account (shared/LOCAL-AWS.md)
    const other = '210987654321';
    const sessions = new TenantSessions({
      sts: stack.clients.sts,
      roleArn: `arn:aws:iam::${other}:role/elsewhere`,
      sessionMs: 900_000,
      resources: {
        region: stack.config.region,
        table: stack.config.resources.table,
        buckets: [stack.config.resources.resultsBucket],
        secretsPrefix: stack.config.resources.secretsPrefix,
      },
      shardsOf: async () => 1,
      clients: stack.clients,
      log,
    });
    const describe = new DescribeTableCommand({ TableName: stack.config.resources.table });

    // Act
    const own = await stack.clients.dynamodb.send(describe);
    const viaSession = sessions.clientsFor('elsewhere').doc.send(describe);

    // Assess
    expect(own.Table?.TableArn).toContain(`:${stack.report.accountId}:`);
    await expect(viaSession).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    sessions.destroy();
  });

  describe('Function: createWorker', () => {
    let producer: Producer;
    beforeAll(async () => {
      producer = await createProducer(stack.config, { clients: stack.clients, log });
    });
    afterAll(() => producer.close());

    it('runs a capability on its tenant session: its table and files work, the session is the tenant’s', async () => {
      // Prepare: a capability that reads its table and writes a file
      const probe: CapabilityDefinition = {
        name: 'session-probe',
        description: 'reads the profile and writes evidence through its context',
        targetKind: 'any',
        input: z.object({}).passthrough(),
        timeoutMs: 10_000,
        maxAttempts: 1,
        async run(ctx) {
          const profile = await ctx.table.get('#tenant');
          const key = await ctx.files.put('evidence', `probe-${ctx.attempt}.txt`, 'seen', 'text/plain');
          return { kind: 'done', result: { profile: profile?.name ?? null, key } };
        },
      };
      const registry = builtinCapabilities().register(probe);
      const tenant = `tw${Date.now().toString(36)}`;
      const ctx = ownContext({ tenant, user: 'u', roles: ['service'] });
      await putProfile(new TenantTable(tableDeps(), systemContext(tenant, 'test')), { name: 'probe tenant' });
      const worker = createWorker(stack.config, {
        clients: stack.clients,
        resources: stack.report,
        registry,
        log,
        waitTimeSeconds: 1,
        ...createWorkerRuntimeDeps(stack.config, stack.clients, stack.report, log),
      });
      const producer2 = await createProducer(stack.config, { clients: stack.clients, log, registry });

      // Act
      const [accepted] = await producer2.enqueue(ctx, [{ capability: 'session-probe', target: 'x' }]);
      expect(accepted?.accepted).toBe(true);
      worker.start();
      const table = new TenantTable(tableDeps(), ctx);
      let passed = 0;
      for (const deadline = Date.now() + 30_000; Date.now() < deadline && passed === 0; ) {
        passed = (await table.query({ ...jobListQuery({ status: 'JP' }), consistent: true })).items.length;
        if (passed === 0) await new Promise((r) => setTimeout(r, 200));
      }
      await worker.stop();
      producer2.close();

      // Assess
      expect(passed).toBe(1);
      const sessions = sessionsOf(tenant);
      expect(sessions).toHaveLength(1);
      expect(JSON.parse(sessions[0]?.input.Policy ?? '{}').Statement[0].Condition).toEqual({
        'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [tenant] },
      });
    });
  });
});
