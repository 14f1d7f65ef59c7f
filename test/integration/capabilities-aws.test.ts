import type { AssumeRoleCommandInput } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCapabilities } from '../../src/jobs/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { createProducer, type EnqueueAccepted, type Producer } from '../../src/producer/index.js';
import { putAccountSecret } from '../../src/tenancy/secrets.js';
import { createWorker, createWorkerRuntimeDeps, type Worker } from '../../src/workers/index.js';
import { CallCounter, countingMiddleware } from '../../tools/instrument/call-counter.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { readResult, serviceContext, tableOf } from '../helpers/stack-extras.js';
import {
  SEEDED_REGIONS,
  type SeededAccount,
  seedHardenedAccount,
  seedWeakAccount,
} from '../helpers/weak-account.js';
import { eventually } from '../helpers/worker-process.js';

const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
const TENANT = 'posture-co';

interface Finding {
  readonly asset: { type: string; value: string };
  readonly name: string;
  readonly severity: string;
  readonly evidence: Record<string, unknown>;
}

describe('Capability: aws-posture (in-process worker, credentials from Secrets Manager)', () => {
  const counter = new CallCounter();
  const assumeRoleRequests: AssumeRoleCommandInput[] = [];
  const externalId = `ext-${Math.random().toString(36).slice(2, 10)}`;
  let stack: TestStack;
  let producer: Producer;
  let worker: Worker;
  let weak: SeededAccount;
  let hardened: Awaited<ReturnType<typeof seedHardenedAccount>>;

  beforeAll(async () => {
    stack = await createTestStack('posture', { clients: { middleware: [countingMiddleware(counter)] } });
    // Observe (never replace) what the worker's STS client sends: the real call still goes out.
    stack.clients.sts.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'AssumeRoleCommand')
          assumeRoleRequests.push(args.input as AssumeRoleCommandInput);
        return next(args);
      },
      { step: 'initialize', name: 'testAssumeRoleObserver' },
    );
    [weak, hardened] = await Promise.all([
      seedWeakAccount(stack.config, 'weak'),
      seedHardenedAccount(stack.config, 'hard'),
    ]);
    const ctx = serviceContext(TENANT);
    const secrets = {
      secrets: stack.clients.secrets,
      prefix: stack.config.resources.secretsPrefix,
      kmsKeyId: stack.report.kmsKeyArn,
    };
    await putAccountSecret(secrets, ctx, 'weak', {
      kind: 'aws-role',
      roleArn: `arn:aws:iam::${weak.accountId}:role/scanq-audit`,
      externalId,
    });
    await putAccountSecret(secrets, ctx, 'hardened', { kind: 'aws-keys', ...hardened.scannerKeys });
    producer = await createProducer(stack.config, { clients: stack.clients, log });
    worker = createWorker(stack.config, {
      clients: stack.clients,
      resources: stack.report,
      registry: builtinCapabilities(),
      log,
      waitTimeSeconds: 1,
      ...createWorkerRuntimeDeps(stack.config, stack.clients, stack.report, log),
    });
    worker.start();
  });

  afterAll(async () => {
    await worker?.stop();
    producer?.close();
    await Promise.allSettled([weak?.destroy(), hardened?.destroy()]);
    await destroyTestStack(stack);
  });

  /** Enqueues one posture job and waits for it to pass; returns its result object. */
  async function scan(target: string, input: Record<string, unknown>) {
    const ctx = serviceContext(TENANT);
    const [accepted] = (await producer.enqueue(ctx, [
      { capability: 'aws-posture', target, input },
    ])) as EnqueueAccepted[];
    const job = await eventually(
      async () => {
        const item = await tableOf(stack, ctx).get(accepted?.key ?? '', { consistent: true });
        const status = String(item?.status);
        if (status.startsWith('JF#')) throw new Error(`posture job failed: ${String(item?.error)}`);
        return status.startsWith('JP#') ? item : undefined;
      },
      45_000,
      `the posture job on ${target}`,
    );
    return readResult(stack, String(job.resultKey));
  }

  it('finds every planted problem on the weak account, and only those, through an assumed role', async () => {
    // Act
    const document = await scan(weak.accountId, {
      accountId: 'weak',
      regions: [...SEEDED_REGIONS],
      // The local endpoint cannot backdate a key: "older than the limit" is shown with a limit of 0.
      accessKeyMaxAgeDays: 0,
    });

    // Assess: exactly the planted (asset, risk) pairs, each with a severity and evidence.
    const risks = document.risks as Finding[];
    const found = risks.map((r) => `${r.asset.value} ${r.name}`).sort();
    const planted = weak.planted.map((p) => `${p.asset} ${p.risk}`).sort();
    console.info(`[posture] weak account: ${planted.length} problems planted, ${found.length} risks found`);
    expect(found).toEqual(planted);
    for (const risk of risks) {
      expect(['low', 'medium', 'high', 'critical']).toContain(risk.severity);
      expect(risk.evidence.check).toEqual(expect.any(String));
    }
    const assets = (document.assets as { type: string; value: string }[]).map((a) => a.value);
    for (const arn of [...weak.assets.buckets, ...weak.assets.users, ...weak.assets.groups])
      expect(assets).toContain(arn);
    const result = document.result as Record<string, unknown>;
    expect(result).toMatchObject({
      kind: 'aws-posture',
      v: 1,
      awsAccount: weak.accountId,
      principal: `arn:aws:sts::${weak.accountId}:assumed-role/scanq-audit/scanq-${TENANT}`,
      regions: [...SEEDED_REGIONS],
      counts: { buckets: 4, users: 5, risks: planted.length },
      skipped: [],
    });
    expect((result.checks as { check: string }[]).map((c) => c.check)).toEqual([
      's3.publicAccessBlock',
      's3.defaultEncryption',
      's3.versioning',
      's3.bucketPolicy',
      'iam.mfa',
      'iam.accessKeyAge',
      'iam.adminPolicy',
      'ec2.worldOpenIngress',
    ]);

    // The tenant's secret was read in its tenant session (the worker's own AssumeRole, with the
    // tenant's session policy), and the account's role really assumed, with the external id.
    const session = (r: AssumeRoleCommandInput) => r.RoleArn === stack.report.tenantRoleArn;
    expect(assumeRoleRequests.filter(session).map((r) => r.RoleSessionName)).toEqual([`tenant-${TENANT}`]);
    expect(assumeRoleRequests.filter((r) => !session(r))).toEqual([
      {
        RoleArn: `arn:aws:iam::${weak.accountId}:role/scanq-audit`,
        RoleSessionName: `scanq-${TENANT}`,
        ExternalId: externalId,
      },
    ]);
    expect(counter.snapshot()['STS.AssumeRole']).toBe(2);

    // Risk items are in the tenant's partition too: written once the finish has won, so they may
    // land a moment after the job reads JP.
    const items = await eventually(
      async () => {
        const page = await tableOf(stack, serviceContext(TENANT)).query({ prefix: '#risk#' });
        return page.items.length >= planted.length ? page.items : undefined;
      },
      10_000,
      'the risk items',
    );
    expect(items.length).toBe(planted.length);
  });

  it('finds nothing on the hardened account, scanned with its own access keys', async () => {
    const before = counter.snapshot()['STS.AssumeRole'] ?? 0;

    const document = await scan(hardened.accountId, { accountId: 'hardened', regions: [...SEEDED_REGIONS] });

    expect(document.risks).toEqual([]);
    const assets = (document.assets as { value: string }[]).map((a) => a.value);
    for (const arn of [...hardened.assets.buckets, ...hardened.assets.users, ...hardened.assets.groups])
      expect(assets).toContain(arn);
    expect(document.result).toMatchObject({
      awsAccount: hardened.accountId,
      principal: `arn:aws:iam::${hardened.accountId}:user/scanner`,
      counts: { buckets: 1, users: 1, risks: 0 },
    });
    // Access keys are used as stored: no AssumeRole for this job (the tenant session is cached).
    expect(counter.snapshot()['STS.AssumeRole'] ?? 0).toBe(before);
    console.info(`[posture] hardened account: ${assets.length} assets, 0 risks`);
  });
});
