import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, createApiServer, mintToken } from '../../src/api/index.js';
import { queueStates } from '../../src/aws/index.js';
import type { Config } from '../../src/config/index.js';
import { jobKey } from '../../src/jobs/index.js';
import { createProducer, type Producer } from '../../src/producer/index.js';
import { startTelemetry, type Telemetry } from '../../src/telemetry/index.js';
import { listAudit, systemContext, TenantFiles } from '../../src/tenancy/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { testRegistry } from '../helpers/capabilities.js';
import { captureLog } from '../helpers/log-capture.js';
import { readResult, stackEnv, tableOf } from '../helpers/stack-extras.js';
import { eventually, WorkerProcess } from '../helpers/worker-process.js';

const SECRET = 'board-test-jwt-secret-at-least-32-bytes!!';
const OPS = 'ops';
const ACME = 'acme';
const GLOBEX = 'globex';
/** Where the run leaves its screenshots (git-ignored under .reports/). */
const SHOTS = new URL('../../.reports/board/', import.meta.url);
const CHROMIUM = process.env.SCANQ_CHROMIUM ?? '/usr/bin/chromium';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const ACME_TARGETS = ['a1.example', 'a2.example', 'a3.example'];
const GLOBEX_TARGETS = ['g1.example', 'g2.example'];
/** One acme job that reports a finding (the test plugin's `test-findings`). */
const FINDING_JOB = { capability: 'test-findings', target: 'f1.example', input: { ms: 0 } };

interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly string[] }[];
}

describe('Ops board: /board in Chromium over the running API', () => {
  let stack: TestStack;
  let telemetry: Telemetry;
  let producer: Producer;
  let server: ApiServer;
  let worker: WorkerProcess;
  let browser: Browser;
  let base: string;
  let tokens: { ops: string; acme: string; globex: string; globexAdmin: string };
  const { log } = captureLog('info');

  async function call(path: string, token: string, init: RequestInit = {}) {
    const response = await fetch(`${base}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${token}`,
        ...(init.body ? { 'content-type': 'application/json' } : {}),
        ...(init.headers as Record<string, string> | undefined),
      },
    });
    const text = await response.text();
    return {
      status: response.status,
      json: (text ? JSON.parse(text) : undefined) as Record<string, unknown>,
    };
  }

  /** A browser context signed in with `token` (pasted, as a person would). */
  async function signedIn(
    token: string,
    viewport = { width: 1280, height: 800 },
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport, timezoneId: 'Europe/Berlin', locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(`${base}/board/`);
    await page.getByLabel('API token (JWT)').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#who .user').waitFor();
    return { context, page };
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: new URL(`${name}.png`, SHOTS).pathname, fullPage: true });
  }

  /** Serious or critical axe violations of the page as it is now. */
  async function axeProblems(page: Page): Promise<string[]> {
    // Evaluated through the DevTools protocol: the board's CSP (script-src 'self') stays on.
    await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => {
      const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
      return (await axe.run()).violations;
    });
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    stack = await createTestStack('board', { env: { SCANQ_JWT_SECRET: SECRET } });
    worker = new WorkerProcess(stackEnv(stack, { SCANQ_METRICS: 'true', SCANQ_STATUS_PORT: '0' }));
    const line = await worker.waitFor(/status server listening/);
    const metricsUrl = `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}/metrics`;
    await worker.waitFor(/worker started/);
    const config: Config = {
      ...stack.config,
      board: { ...stack.config.board, operatorTenant: OPS, metricsUrls: [metricsUrl] },
    };
    telemetry = await startTelemetry(config.telemetry, { process: 'api', prometheus: true }, log);
    producer = await createProducer(config, {
      clients: stack.clients,
      registry: testRegistry(),
      log,
      telemetry,
    });
    server = await createApiServer(config, {
      clients: stack.clients,
      producer,
      log,
      queueUrl: stack.report.queueUrl,
      telemetry,
    });
    base = await server.listen({ port: 0, host: '127.0.0.1' });
    const mint = (tenant: string, sub: string, roles: string[]) =>
      mintToken({ secret: SECRET, tenant, sub, roles, ttlMs: 600_000 });
    tokens = {
      ops: await mint(OPS, 'olga', ['admin']),
      acme: await mint(ACME, 'alice', ['admin']),
      globex: await mint(GLOBEX, 'gus', ['readonly']),
      globexAdmin: await mint(GLOBEX, 'gina', ['admin']),
    };
    for (const [tenant, token] of [
      [ACME, tokens.acme],
      [GLOBEX, tokens.globexAdmin],
      [OPS, tokens.ops],
    ] as const)
      expect(
        (
          await call(`/v1/tenants/${tenant}`, token, {
            method: 'PUT',
            body: JSON.stringify({ name: tenant.toUpperCase() }),
          })
        ).status,
      ).toBe(200);
    // The known workload: 3 noop jobs for acme, 2 for globex, all run to JP by the worker process.
    for (const [token, targets] of [
      [tokens.acme, ACME_TARGETS],
      [tokens.globexAdmin, GLOBEX_TARGETS],
    ] as const) {
      const jobs: object[] = targets.map((target) => ({ capability: 'noop', target }));
      if (token === tokens.acme) jobs.push(FINDING_JOB);
      expect((await call('/v1/jobs', token, { method: 'POST', body: JSON.stringify({ jobs }) })).status).toBe(
        202,
      );
    }
    for (const [token, n] of [
      [tokens.acme, 4],
      [tokens.globexAdmin, 2],
    ] as const) {
      await eventually(
        async () => {
          const page = await call('/v1/jobs?status=JP', token);
          return (page.json.items as unknown[]).length === n ? true : undefined;
        },
        60_000,
        'the workload to pass',
      );
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    worker?.kill('SIGKILL');
    await worker?.exited;
    await server?.close();
    await telemetry?.shutdown();
    producer?.close();
    await destroyTestStack(stack);
  });

  it("overview: the operator sees the queues, the worker and each tenant's counts of the workload", async () => {
    const { context, page } = await signedIn(tokens.ops);
    await page.getByRole('heading', { name: 'Queues and workers' }).waitFor();
    await expect.poll(() => page.locator('[data-stat="Workers alive"]').textContent()).toBe('1 of 1');
    const rows = page.locator('table').filter({ hasText: 'Jobs per tenant' }).locator('tbody tr');
    // Passed per tenant, as the worker's metrics count them: "3 (…)" and "2 (…)".
    const passed = async (tenant: string) =>
      (
        await rows
          .filter({ has: page.getByRole('cell', { name: tenant, exact: true }) })
          .locator('td')
          .nth(3)
          .textContent()
      )?.split(' ')[0];
    await expect.poll(() => passed(ACME), { timeout: 20_000 }).toBe('4');
    await expect.poll(() => passed(GLOBEX)).toBe('2');
    expect(await page.locator('[data-stat="DLQ depth"]').textContent()).toBe('0');
    // Jobs that finish while the board is open draw the throughput and dwell charts (the page
    // polls every 10 s; each poll that is 5 s or more after the last read adds a point).
    const jobs = ['o1', 'o2', 'o3', 'o4'].map((t) => ({ capability: 'noop', target: `${t}.example` }));
    expect(
      (await call('/v1/jobs', tokens.ops, { method: 'POST', body: JSON.stringify({ jobs }) })).status,
    ).toBe(202);
    await page.locator('[data-status="JP"]').filter({ hasText: '4' }).waitFor({ timeout: 30_000 });
    await page.locator('figure.chart').first().locator('path.line').waitFor({ timeout: 30_000 });
    expect(await page.locator('figure.chart svg').first().getAttribute('aria-label')).toMatch(
      /^Throughput from/,
    );
    await shot(page, 'overview-operator-1280x800');
    expect(await axeProblems(page)).toEqual([]);
    await context.close();

    // A tenant user's overview: their own jobs by status, nothing of the queues or other tenants.
    const acme = await signedIn(tokens.acme);
    await acme.page.locator('[data-status="JP"]').waitFor();
    expect(await acme.page.locator('[data-status="JP"]').textContent()).toBe('4');
    expect(await acme.page.getByRole('heading', { name: 'Queues and workers' }).count()).toBe(0);
    expect(await acme.page.content()).not.toContain(GLOBEX);
    await shot(acme.page, 'overview-tenant-1280x800');
    await acme.context.close();

    const narrow = await signedIn(tokens.ops, { width: 390, height: 844 });
    await narrow.page.getByRole('heading', { name: 'Queues and workers' }).waitFor();
    await shot(narrow.page, 'overview-operator-narrow-390');
    expect(await axeProblems(narrow.page)).toEqual([]);
    await narrow.context.close();
  });

  it("a tenant user cannot see another tenant's jobs, on the page or through the API", async () => {
    const { context, page } = await signedIn(tokens.globex);
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.getByRole('link', { name: GLOBEX_TARGETS[0] }).waitFor();
    const text = (await page.locator('#job-results').textContent()) ?? '';
    for (const target of GLOBEX_TARGETS) expect(text).toContain(target);
    for (const target of ACME_TARGETS) expect(text).not.toContain(target);
    await shot(page, 'jobs-1280x800');
    expect(await axeProblems(page)).toEqual([]);

    // Picking acme in the tenant filter asks for X-Assume-Tenant: refused, and the page says so.
    await page.getByLabel('Tenant', { exact: true }).first().fill(ACME);
    await page.locator('#acting').fill(ACME);
    await page.getByRole('button', { name: 'Switch' }).click();
    await page.getByRole('alert').filter({ hasText: 'may not act in that tenant' }).waitFor();
    expect(await page.content()).not.toContain(ACME_TARGETS[0]);
    await context.close();

    // The API: another tenant's job is not found in the caller's partition; assuming it is 403.
    const acmeKey = encodeURIComponent(jobKey(ACME_TARGETS[0] as string, 'noop'));
    expect((await call(`/v1/jobs/${acmeKey}`, tokens.globex)).status).toBe(404);
    const assumed = await call('/v1/jobs', tokens.globex, { headers: { 'x-assume-tenant': ACME } });
    expect(assumed.status).toBe(403);
    const denied = await call('/v1/dlq', tokens.globexAdmin);
    expect(denied.status).toBe(403);
  });

  it("a job's detail shows its history, its findings and links a result that downloads", async () => {
    const key = jobKey(FINDING_JOB.target, FINDING_JOB.capability);
    // Findings are written once the finish has won: they may land a moment after the job reads JP.
    await eventually(
      async () => {
        const risks = await call('/v1/risks', tokens.acme);
        return (risks.json.items as unknown[]).length === 1 ? true : undefined;
      },
      30_000,
      'the finding',
    );
    const { context, page } = await signedIn(tokens.acme);
    await page.goto(`${base}/board/#/job/${encodeURIComponent(key)}`);
    const link = page.locator('#result-link');
    await link.waitFor();
    expect(
      await page
        .getByRole('table', { name: /Every status/ })
        .locator('tbody tr')
        .count(),
    ).toBeGreaterThanOrEqual(3);
    const risks = page.getByRole('region', { name: /Findings whose last run/ });
    expect(await risks.getByRole('cell', { name: 'test-finding' }).count()).toBe(1);
    await shot(page, 'job-detail-1280x800');
    expect(await axeProblems(page)).toEqual([]);
    const href = (await link.getAttribute('href')) ?? '';
    const downloaded = await context.request.get(href);
    expect(downloaded.status()).toBe(200);
    const stored = (await tableOf(stack, systemContext(ACME, 'test')).get(key)) as unknown as {
      resultKey: string;
    };
    expect(JSON.parse(await downloaded.text())).toEqual(await readResult(stack, stored.resultKey));
    await context.close();
  });

  it('DLQ: the operator inspects a message with its reason and redrives it from the page (audited)', async () => {
    // No worker from here on: the redriven message must stay on the jobs queue to be seen there.
    worker.kill('SIGTERM');
    await worker.exited;
    const body = JSON.stringify({
      v: 1,
      tenant: ACME,
      key: '#job#dead.example#noop',
      capability: 'noop',
      target: 'dead.example',
    });
    await stack.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.report.dlqUrl,
        MessageBody: body,
        MessageAttributes: {
          tenant: { DataType: 'String', StringValue: ACME },
          'scanq-rejected': { DataType: 'String', StringValue: 'schema: attempt is required' },
        },
      }),
    );
    const { context, page } = await signedIn(tokens.ops);
    await page.getByRole('link', { name: 'DLQ' }).click();
    await page.getByText('schema: attempt is required').waitFor();
    await shot(page, 'dlq-1280x800');
    expect(await axeProblems(page)).toEqual([]);
    await page.getByRole('button', { name: 'Redrive this message' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Redrive' }).click();
    await page.getByText('Moved 1 message back to the jobs queue').waitFor();
    await page.getByText('The DLQ is empty.').waitFor();
    await shot(page, 'dlq-after-redrive-1280x800');
    await context.close();

    expect(await queueStates(stack.clients.sqs, stack.report.dlqUrl)).toMatchObject({
      visible: 0,
      inFlight: 0,
    });
    const back = await stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.report.queueUrl,
        WaitTimeSeconds: 1,
        MaxNumberOfMessages: 10,
      }),
    );
    expect(back.Messages?.map((m) => m.Body)).toEqual([body]);
    const audit = await listAudit(tableOf(stack, systemContext(OPS, 'test')), { limit: 20 });
    expect(
      audit.records.some((e) => e.action === 'dlq:redrive' && e.callingUser === 'olga' && e.authorized),
    ).toBe(true);
  });

  it('quarantine, tenants and findings pages render their states and pass axe', async () => {
    const files = new TenantFiles(
      {
        s3: stack.clients.s3,
        buckets: {
          results: stack.config.resources.resultsBucket,
          uploads: stack.config.resources.uploadsBucket,
          quarantine: stack.config.resources.quarantineBucket,
        },
      },
      systemContext(ACME, 'test'),
    );
    const upload = files.keyFor('uploads', 'assets.json');
    await stack.clients.s3.send(
      new PutObjectCommand({ Bucket: stack.config.resources.uploadsBucket, Key: upload, Body: '{"oops":' }),
    );
    const { key } = await files.quarantine(upload, [
      { code: 'json.invalid', message: 'not valid JSON', path: '$' },
    ]);

    const { context, page } = await signedIn(tokens.acme);
    await page.getByRole('link', { name: 'Quarantine' }).click();
    await page.getByText('not valid JSON').waitFor();
    await shot(page, 'quarantine-1280x800');
    expect(await axeProblems(page)).toEqual([]);
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Nothing in quarantine.').waitFor();
    expect(await files.head(key)).toBeUndefined();

    await page.getByRole('link', { name: 'Tenants' }).click();
    await page.getByRole('heading', { name: /ACME/ }).waitFor();
    await shot(page, 'tenants-1280x800');
    expect(await axeProblems(page)).toEqual([]);

    await page.getByRole('link', { name: 'Findings' }).click();
    await page.getByRole('cell', { name: 'test-finding' }).waitFor();
    const bySeverity = page.getByRole('region', { name: 'By severity' });
    expect(await bySeverity.getByRole('row', { name: /low/ }).getByRole('cell').nth(1).textContent()).toBe(
      '1',
    );
    await page.locator('summary', { hasText: 'History' }).click();
    await page
      .getByRole('region', { name: 'Lifecycle' })
      .getByRole('cell', { name: 'opened', exact: true })
      .waitFor();
    await shot(page, 'findings-1280x800');
    expect(await axeProblems(page)).toEqual([]);
    await context.close();

    // The sign-in page, as a stranger sees it.
    const stranger = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const signIn = await stranger.newPage();
    await signIn.goto(`${base}/board/`);
    await signIn.getByLabel('API token (JWT)').waitFor();
    // Keyboard: focus starts in the token field; Tab reaches the button, and focus is drawn (a solid outline).
    await signIn.keyboard.press('Tab');
    // A string: the test's TypeScript has no DOM types; it runs in the page.
    const focused = await signIn.evaluate(
      '({ text: document.activeElement.textContent, outline: getComputedStyle(document.activeElement).outlineStyle })',
    );
    expect(focused).toEqual({ text: 'Sign in', outline: 'solid' });
    await shot(signIn, 'sign-in-1280x800');
    expect(await axeProblems(signIn)).toEqual([]);
    await stranger.close();
  });
});
