import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/local-aws/index.js';
import { type CliResult, runCli, SCANQ_BIN, TOOLS_BIN } from '../helpers/cli.js';

/**
 * Every common operator mistake ends in one line on stderr naming the cause and the fix, with the
 * documented exit code (2 usage or configuration, 3 not running), and never a stack trace.
 */
function expectOneLine(result: CliResult, code: number, line: RegExp): void {
  expect(result.stderr, result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr.trimEnd().split('\n'), result.stderr).toHaveLength(1);
  expect(result.stderr.trimEnd()).toMatch(line);
  expect(result.code, result.stderr).toBe(code);
}

const stateDir = mkdtempSync(join(tmpdir(), 'scanq-cli-errors-'));
/** No recorded `local-aws start`: the environment alone decides the endpoint. */
const bare = { SCANQ_STATE_DIR: stateDir, AWS_EC2_METADATA_DISABLED: 'true' };

afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

/**
 * The cases the issue names, end to end. Every other option with a value parser goes through the
 * same parser and one-line usage errors: test/unit/cli/flags.test.ts walks both command trees.
 */
describe('Command: scanq (numeric flags)', () => {
  // Parsing fails before any AWS call; the endpoint is a closed port in case it did not.
  const env = { ...bare, AWS_ENDPOINT_URL: 'http://127.0.0.1:1' };

  it.each([
    [['worker', '--concurrency', '-1'], '--concurrency', SCANQ_BIN],
    [['worker', '--concurrency', 'abc'], '--concurrency', SCANQ_BIN],
    [['worker', '--wait-time', 'abc'], '--wait-time', SCANQ_BIN],
    [['dev', '--workers', '0'], '--workers', SCANQ_BIN],
    [['enqueue', '--tenant', 't', '--file', 'jobs.jsonl', '--chunk', '0'], '--chunk', SCANQ_BIN],
    [['chaos', '--fault-rate', '2'], '--fault-rate', TOOLS_BIN],
  ])('%j: one line naming %s, exit 2', async (args, flag, bin) => {
    // Act
    const result = await runCli(args, env, 60_000, bin);

    // Assess
    const name = bin === TOOLS_BIN ? 'scanq-tools' : 'scanq';
    expectOneLine(
      result,
      2,
      new RegExp(
        `^${name} [a-z ]+: option '[^']*${flag}[^']*' argument '[^']*' is invalid\\. .+ --help shows the usage\\)$`,
      ),
    );
  });

  it('an unknown command is one line with the suggestion, exit 2', async () => {
    expectOneLine(
      await runCli(['wrker'], env),
      2,
      /^scanq: unknown command 'wrker' \(Did you mean worker\?\)/,
    );
  });
});

describe('Command: scanq (resources missing: bootstrap not run, or a wrong SCANQ_PREFIX)', () => {
  const awsEnv = inject('awsEnv');
  const env = { ...bare, ...awsEnv, SCANQ_PREFIX: 'clierr-none' };
  const endpoint = (service: 'DYNAMODB' | 'SQS') =>
    (awsEnv[`AWS_ENDPOINT_URL_${service}`] ?? awsEnv.AWS_ENDPOINT_URL ?? '').replace(/[.]/g, '\\.');

  it('jobs ls: the table, where it was looked for, and `run scanq bootstrap` (exit 2)', async () => {
    expectOneLine(
      await runCli(['jobs', 'ls', '--tenant', 't'], env),
      2,
      new RegExp(
        `^scanq: table clierr-none-data not found at ${endpoint('DYNAMODB')}: run scanq bootstrap \\(or check SCANQ_PREFIX, now clierr-none\\)$`,
      ),
    );
  });

  it.each([
    [['worker']],
    [['enqueue', '--tenant', 't', '--capability', 'noop', '--target', 'host-1']],
    [['sweeper', '--once']],
    [['dlq', 'ls']],
  ])('%j: the queue and `run scanq bootstrap` (exit 2)', async (args) => {
    // Whichever missing queue is asked first is named (the sweeper looks at both lanes at once).
    expectOneLine(
      await runCli(args, env),
      2,
      new RegExp(
        `^scanq: queue clierr-none-(jobs|jobs-dlq|bulk) not found at ${endpoint('SQS')}: run scanq bootstrap \\(or check SCANQ_PREFIX, now clierr-none\\)$`,
      ),
    );
  });
});

describe('Command: scanq (no endpoint running)', () => {
  it.each([[['jobs', 'ls', '--tenant', 't']], [['worker']], [['bootstrap']]])(
    '%j: `no local endpoint is running at …: run scanq local-aws start` (exit 3)',
    async (args) => {
      // Prepare: a loopback port nothing listens on.
      const url = `http://127.0.0.1:${await freePort()}`;

      // Act
      const result = await runCli(args, { ...bare, AWS_ENDPOINT_URL: url, SCANQ_AWS_MAX_ATTEMPTS: '1' });

      // Assess
      expectOneLine(
        result,
        3,
        new RegExp(`^scanq: no local endpoint is running at ${url}: run scanq local-aws start$`),
      );
    },
  );
});

/** Whether this machine lets the test make a network namespace (root, or unprivileged user namespaces). */
const netns = spawnSync('unshare', ['-n', 'true']).status === 0;

/**
 * Runs `scanq …` inside a new network namespace: no interface but a downed loopback, so nothing
 * can leave the machine whatever the code does. Static fake credentials; the instance-metadata
 * lookup is off; no AWS config files are read.
 */
function runIsolated(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      'unshare',
      ['-n', process.execPath, SCANQ_BIN, ...args],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: stateDir,
          AWS_CONFIG_FILE: join(stateDir, 'no-config'),
          AWS_SHARED_CREDENTIALS_FILE: join(stateDir, 'no-credentials'),
          ...bare,
          ...env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error && typeof error.code === 'number' ? error.code : error ? 1 : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const fakeCredentials = {
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'not-a-real-secret',
};

describe.skipIf(!netns)('Command: scanq bootstrap (real AWS, inside a network namespace)', () => {
  it('refuses real AWS (no endpoint configured) without the switch, naming region and account (exit 2)', async () => {
    expectOneLine(
      await runIsolated(['bootstrap'], { ...fakeCredentials, AWS_REGION: 'eu-west-1' }),
      2,
      /^scanq: bootstrap would create or change resources in real AWS in eu-west-1 \(account unknown: cannot reach the AWS endpoint https:\/\/sts\.eu-west-1\.amazonaws\.com \(E[A-Z_]+\)\): pass --allow-real-aws \(or set SCANQ_ALLOW_REAL_AWS=true\) to do that, or run scanq local-aws start for the local endpoint$/,
    );
  });

  it('refuses an endpoint of AWS itself without the switch (exit 2)', async () => {
    const result = await runIsolated(['bootstrap'], {
      ...fakeCredentials,
      AWS_ENDPOINT_URL: 'https://dynamodb.us-east-1.amazonaws.com',
    });
    expectOneLine(
      result,
      2,
      /^scanq: bootstrap would create or change resources in real AWS in us-east-1 \(/,
    );
  });

  it('refuses with no credentials at all, saying so (exit 2)', async () => {
    expectOneLine(
      await runIsolated(['bootstrap'], {}),
      2,
      /^scanq: bootstrap would create or change resources in real AWS in us-east-1 \(account unknown: no AWS endpoint is configured and no AWS credentials were found\): pass --allow-real-aws/,
    );
  });

  it.each([
    ['--allow-real-aws', ['bootstrap', '--allow-real-aws'], {}],
    ['SCANQ_ALLOW_REAL_AWS=true', ['bootstrap'], { SCANQ_ALLOW_REAL_AWS: 'true' }],
  ])(
    'with %s it names what it acts on and goes on (then finds no network: exit 3)',
    async (_how, args, extra) => {
      // Act
      const result = await runIsolated(args, { ...fakeCredentials, ...extra });

      // Assess
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(result.stderr).toMatch(
        /^scanq bootstrap: acting in real AWS in us-east-1 \(account unknown: .*\), as /m,
      );
      expect(result.stderr).toMatch(
        /^scanq: cannot reach the AWS endpoint https:\/\/[a-z0-9.-]+\.amazonaws\.com/m,
      );
      expect(result.code).toBe(3);
    },
  );

  it('no endpoint and no credentials: every other command says so in one line (exit 2)', async () => {
    expectOneLine(
      await runIsolated(['jobs', 'ls', '--tenant', 't'], {}),
      2,
      /^scanq: no AWS endpoint is configured and no AWS credentials were found: run scanq local-aws start for the local endpoint, or give credentials for real AWS/,
    );
  });
});

describe('Command: scanq on a Node.js older than `engines`', () => {
  it('refuses in one line before loading anything (exit 2)', async () => {
    // Prepare: the same entry point beside a package.json asking for a Node that does not exist yet.
    const root = mkdtempSync(join(tmpdir(), 'scanq-engines-'));
    mkdirSync(join(root, 'bin'));
    copyFileSync(SCANQ_BIN, join(root, 'bin', 'scanq.js'));
    writeFileSync(
      join(root, 'package.json'),
      JSON.stringify({ type: 'module', engines: { node: '>=999.1' } }),
    );

    // Act
    const result = await runCli(['worker'], bare, 60_000, join(root, 'bin', 'scanq.js'));
    rmSync(root, { recursive: true, force: true });

    // Assess
    expectOneLine(
      result,
      2,
      new RegExp(
        `^scanq: Node\\.js ${process.versions.node.replace(/\./g, '\\.')} is too old: scanq needs Node\\.js >=999\\.1`,
      ),
    );
  });
});
