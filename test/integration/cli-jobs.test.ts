import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemContext } from '../../src/tenancy/index.js';
import { createTestStack, destroyTestStack, type TestStack } from '../helpers/aws.js';
import { runCli } from '../helpers/cli.js';
import { queueDepth } from '../helpers/queue.js';
import { stackEnv, tableOf } from '../helpers/stack-extras.js';

let stack: TestStack;
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
  stack = await createTestStack('clijobs');
  env = { ...stackEnv(stack), LOG_LEVEL: 'silent' };
  dir = mkdtempSync(join(tmpdir(), 'scanq-cli-jobs-'));
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await destroyTestStack(stack);
});

const cli = (...args: string[]) => runCli(args, env);
const json = <T>(text: string) => JSON.parse(text) as T;

describe('Command: scanq enqueue', () => {
  it('enqueues one job as system:cli, and answers a repeat with the insert rule instead of an error', async () => {
    const first = await cli(
      'enqueue',
      '--tenant',
      'acme',
      '--capability',
      'noop',
      '--target',
      'h1.example.com',
      '--json',
    );
    expect(first.code).toBe(0);
    expect(json(first.stdout)).toMatchObject({
      accepted: true,
      key: '#job#h1.example.com#noop',
      rule: 'new',
      enqueued: true,
    });
    const again = await cli(
      'enqueue',
      '--tenant',
      'acme',
      '--capability',
      'noop',
      '--target',
      'h1.example.com',
    );
    expect(again).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^not enqueued: alreadyQueued \(stored JQ#/),
    });
    const stored = await tableOf(stack, systemContext('acme', 'test')).get('#job#h1.example.com#noop');
    expect(stored?.source).toBe('system:cli');
  });

  const usage = [
    { name: 'no tenant', args: ['--capability', 'noop', '--target', 'x'], stderr: /--tenant/ },
    {
      name: 'an invalid tenant',
      args: ['--tenant', 'a/b', '--capability', 'noop', '--target', 'x'],
      stderr: /tenant: must be/,
    },
    {
      name: 'a file and a job',
      args: ['--tenant', 'acme', '--file', 'x.jsonl', '--target', 'x'],
      stderr: /drop --capability/,
    },
    {
      name: 'input that is not JSON',
      args: ['--tenant', 'acme', '--capability', 'noop', '--target', 'x', '--input', '{'],
      stderr: /--input.*JSON object/,
    },
    {
      name: 'input the capability refuses',
      args: ['--tenant', 'acme', '--capability', 'noop', '--target', 'x', '--input', '{"sleepMs":-1}'],
      stderr: /input\.sleepMs/,
    },
    {
      name: 'an unknown capability',
      args: ['--tenant', 'acme', '--capability', 'nope', '--target', 'x'],
      stderr: /capability: unknown capability/,
    },
  ];
  it('exits 2 and says why for bad usage, before touching AWS', async () => {
    // In parallel: each is a process start, and none of them touches the stack.
    const results = await Promise.all(usage.map(({ args }) => cli('enqueue', ...args)));
    usage.forEach(({ name, stderr }, i) => {
      expect({ name, code: results[i]?.code }).toEqual({ name, code: 2 });
      expect(results[i]?.stderr, name).toMatch(stderr);
    });
  });

  it('enqueues a JSONL file in chunks; invalid lines are reported with their numbers and exit 1, nothing else is lost', async () => {
    const lines = Array.from({ length: 250 }, (_, i) =>
      JSON.stringify({ capability: 'noop', target: `f${i}.example.com` }),
    );
    lines.splice(10, 0, '{not json');
    lines.splice(20, 0, JSON.stringify({ capability: 'nope', target: 'x' }));
    lines.splice(30, 0, '', JSON.stringify({ capability: 'noop', target: '' }));
    lines.push(JSON.stringify({ capability: 'noop', target: 'h1.example.com' }));
    const file = join(dir, 'jobs.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    // Both lanes: the tenant's burst goes to the jobs queue, the rest to the bulk queue.
    const depth = async () =>
      (await queueDepth(stack.clients.sqs, stack.report.queueUrl)) +
      (await queueDepth(stack.clients.sqs, stack.report.bulkQueueUrl));
    const before = await depth();
    const result = await cli('enqueue', '--tenant', 'acme', '--file', file, '--chunk', '64', '--json');
    expect(result.code).toBe(1);
    const summary = json<Record<string, unknown>>(result.stdout);
    expect(summary).toMatchObject({
      lines: 254,
      accepted: 250,
      rejected: { alreadyQueued: 1 },
      unsent: 0,
      invalid: 3,
    });
    expect(summary.invalidLines).toEqual([
      { line: 11, errors: ['not JSON'] },
      { line: 21, errors: [expect.stringMatching(/^capability: unknown capability/)] },
      { line: 32, errors: ['target: must not be empty'] },
    ]);
    expect((await depth()) - before).toBe(250);
    const human = await cli('enqueue', '--tenant', 'acme', '--file', file);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(
      /^254 lines: 0 accepted, 251 not enqueued, 3 invalid\n {2}not enqueued \(alreadyQueued\): 251/,
    );
    expect(human.stderr).toMatch(/^line 11: not JSON$/m);
    console.log(`enqueue --file: ${JSON.stringify({ ...summary, invalidLines: undefined })}`);
  });
});

describe('Command: scanq jobs', () => {
  it('lists by status page by page, within the tenant only', async () => {
    const keys = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await cli(
        'jobs',
        'ls',
        '--tenant',
        'acme',
        '--status',
        'jq',
        '--limit',
        '200',
        '--json',
        ...(cursor ? ['--cursor', cursor] : []),
      );
      expect(page.code).toBe(0);
      const body = json<{ items: { key: string; status: string }[]; cursor?: string }>(page.stdout);
      for (const item of body.items) keys.add(item.key);
      expect(body.items.every((i) => i.status === 'JQ')).toBe(true);
      cursor = body.cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(keys.size).toBe(251);
    expect(pages).toBe(2);

    const [table, other, badStatus, foreignCursor] = await Promise.all([
      cli('jobs', 'ls', '--tenant', 'acme', '--limit', '3'),

      cli('jobs', 'ls', '--tenant', 'other', '--json'),
      cli('jobs', 'ls', '--tenant', 'acme', '--status', 'JX'),
      cli(
        'jobs',
        'ls',
        '--tenant',
        'other',
        '--cursor',
        Buffer.from(JSON.stringify({ tenant: 'acme', key: '#job#a' })).toString('base64url'),
      ),
    ]);
    expect(table.stdout.split('\n')[0]).toMatch(/^STATUS\s+SINCE\s+CAPABILITY\s+ATTEMPT\s+TARGET\s+KEY$/);
    expect(table.stdout).toMatch(/more: --cursor \S+/);
    expect(json(other.stdout)).toEqual({ items: [] });
    expect(badStatus).toMatchObject({ code: 2, stderr: expect.stringMatching(/--status.*JQ, JR/) });
    expect(foreignCursor).toMatchObject({ code: 1, stderr: expect.stringMatching(/cursor: not a cursor/) });
  });

  it('shows one job by key or by capability and target; a missing one exits 1, a bad key 2', async () => {
    const [byKey, byTarget, missing, badKey] = await Promise.all([
      cli('jobs', 'get', '--tenant', 'acme', '#job#h1.example.com#noop', '--json'),
      cli('jobs', 'get', '--tenant', 'acme', '--capability', 'noop', '--target', 'h1.example.com'),
      cli('jobs', 'get', '--tenant', 'other', '#job#h1.example.com#noop'),
      cli('jobs', 'get', '--tenant', 'acme', 'h1.example.com'),
    ]);
    expect(byKey.code).toBe(0);
    expect(json(byKey.stdout)).toMatchObject({
      key: '#job#h1.example.com#noop',
      capability: 'noop',
      source: 'system:cli',
    });
    expect(byTarget.code).toBe(0);
    expect(byTarget.stdout).toMatch(/^key {9}#job#h1\.example\.com#noop\nstatus {6}JQ since \S+\n/);
    expect(byTarget.stdout).toMatch(/history\n {2}\S+ {2}JQ/);
    expect(missing).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/no job #job#h1.example.com#noop in tenant other/),
    });
    expect(badKey).toMatchObject({ code: 2, stderr: expect.stringMatching(/key must start with #job#/) });
  });
});
