import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bodyShapeIssues, MAX_BODY_DEPTH } from '../../src/api/body-shape.js';
import { loadConfig } from '../../src/config/index.js';
import { decodeJobMessage } from '../../src/jobs/index.js';
import { silentProgress } from '../../tools/bench/progress.js';
import {
  caseDigest,
  FUZZ_DEFAULTS,
  type FuzzReport,
  generateCases,
  runFuzz,
  splitCases,
} from '../../tools/fuzz/index.js';
import { testEnv } from '../helpers/aws.js';
import { runCli, TOOLS_BIN } from '../helpers/cli.js';

const CASES = 40;
const SEED = 4242;
const json = join(tmpdir(), `scanq-fuzz-${randomBytes(4).toString('hex')}.json`);

afterAll(() => rmSync(json, { force: true }));

/** What must be equal between two runs of one seed: each target's case list and its digest. */
const lists = (report: FuzzReport) => report.targets.map((t) => [t.target, t.digest, t.caseList]);

describe('Command: fuzz', () => {
  it(`runs ${CASES} cases through the API, a worker and imports with nothing to report, and a replay by seed draws the same cases`, async () => {
    // Prepare / Act: the command, as `npm run fuzz` runs it, against this run's endpoint.
    const cli = await runCli(
      ['fuzz', '--cases', String(CASES), '--seed', String(SEED), '--json', json],
      testEnv(),
      120_000,
      TOOLS_BIN,
    );

    // Assess
    expect(cli.code, `${cli.stdout}\n${cli.stderr}`).toBe(0);
    const headline = `fuzz: ${CASES} cases, 0 crashes, 0 5xx, 0 partial writes, 0 unaccounted (seed ${SEED})`;
    expect(cli.stdout.trimEnd().split('\n').at(-1)).toBe(headline);
    const first = JSON.parse(readFileSync(json, 'utf8')) as FuzzReport;
    const split = splitCases(CASES);
    expect(first.targets.map((t) => [t.target, t.ran])).toEqual([
      ['api', split.api],
      ['messages', split.messages],
      ['files', split.files],
    ]);
    process.stdout.write(
      `fuzz smoke: ${first.headline}; ${first.targets.map((t) => `${t.target}: ${t.accounting}`).join('; ')}\n`,
    );

    // Act again, in process, with the same seed: the same cases, and the same clean result.
    const second = await runFuzz(
      loadConfig(testEnv()),
      { ...FUZZ_DEFAULTS, cases: CASES, seed: SEED },
      silentProgress,
    );
    expect(lists(second)).toEqual(lists(first));
    expect(second.headline).toBe(headline);
  });

  it('draws a different case list from a different seed, and the same one from the same seed', () => {
    const counts = splitCases(300);
    const a = generateCases(SEED, counts);
    const b = generateCases(SEED + 1, counts);
    for (const target of ['api', 'messages', 'files'] as const) {
      expect(caseDigest(generateCases(SEED, counts)[target])).toBe(caseDigest(a[target]));
      expect(caseDigest(b[target])).not.toBe(caseDigest(a[target]));
    }
  });
});

/** Bodies the fuzzer found the worker failing on (over and over, into the DLQ without a reason). */
describe('Function: decodeJobMessage (cases found by the fuzzer)', () => {
  const valid = {
    v: 1,
    tenant: 'acme',
    key: '#job#t#noop',
    capability: 'noop',
    target: 't',
    attempt: 0,
    enqueuedAt: '2026-11-23T12:00:00.000Z',
    phase: 'JQ',
  };
  const deep = `${'['.repeat(20_000)}1${']'.repeat(20_000)}`;
  it.each([
    [
      'a version nested past the stack',
      JSON.stringify(valid).replace('"v":1', `"v":${deep}`),
      /^unsupported message version a list$/,
    ],
    ['a tenant the tenancy layer refuses', JSON.stringify({ ...valid, tenant: 'a..b' }), /^tenant: /],
    ['a key with a control character', JSON.stringify({ ...valid, key: '#job#\tx#noop' }), /^key: /],
    [
      'a key with an unpaired surrogate',
      JSON.stringify({ ...valid, key: '#job#\ud800#noop' }),
      /^key: .*well-formed/,
    ],
    [
      'a target with an unpaired surrogate',
      JSON.stringify({ ...valid, target: 'a\udfff' }),
      /^target: .*well-formed/,
    ],
  ])('refuses %s with a reason instead of throwing', (_, body, reason) => {
    const decoded = decodeJobMessage(body);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toMatch(reason);
  });
});

/** Bodies the fuzzer found the API answering 500 to. */
describe('Function: bodyShapeIssues (cases found by the fuzzer)', () => {
  it.each([
    [
      'job input nested past the stack',
      { input: JSON.parse(`${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`) },
      'input.a',
    ],
    ['an upload name with an unpaired surrogate', { name: '4,\ud800' }, 'name'],
    [
      'a batch job target with an unpaired surrogate',
      { jobs: [{ target: 'ok' }, { target: '\ud800' }] },
      'jobs[1].target',
    ],
    ['a key with an unpaired surrogate', { input: { '\udc00': 1 } }, 'input.\udc00'],
  ])('names the field of %s', (_, body, field) => {
    const issues = bodyShapeIssues(body);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.map((i) => i.field).some((f) => f.startsWith(field))).toBe(true);
  });

  it(`accepts ${MAX_BODY_DEPTH} levels of well-formed text (emoji pairs included), not one more`, () => {
    const nested = (levels: number) =>
      JSON.parse(`${'{"a":'.repeat(levels - 1)}{"b":"😀"}${'}'.repeat(levels - 1)}`);
    expect(bodyShapeIssues(nested(MAX_BODY_DEPTH))).toEqual([]);
    expect(bodyShapeIssues(nested(MAX_BODY_DEPTH + 1))).toHaveLength(1);
  });
});
