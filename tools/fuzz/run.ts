/**
 * `scanq fuzz`: draws the case lists from the seed, starts (or uses) the local endpoint, and runs
 * each target on a stack of its own (fresh resource prefix), so a target's counts are its own.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../../src/config/index.js';
import {
  destroyStack,
  type Endpoint,
  openEndpoint,
  openStack,
  runPrefix,
  type Stack,
} from '../bench/endpoint.js';
import type { Progress } from '../bench/progress.js';
import { runApiTarget } from './api-target.js';
import { type CaseLists, caseDigest, caseLines, generateCases, kindCounts } from './cases.js';
import { runFileTarget } from './file-target.js';
import { runMessageTarget } from './message-target.js';
import type { TargetTally } from './tally.js';
import {
  FUZZ_TARGETS,
  type FuzzOptions,
  type FuzzReport,
  type FuzzTarget,
  splitCases,
  type TargetReport,
} from './types.js';
import { type CrashWatch, type LogTally, watchCrashes } from './watch.js';

/** Settings of each target's stack. */
function stackEnv(target: FuzzTarget, jwtSecret: string): Record<string, string> {
  switch (target) {
    case 'api':
      // The run's requests must never be the ones rate-limited.
      return { SCANQ_JWT_SECRET: jwtSecret, SCANQ_API_RATE_LIMIT: '100000' };
    case 'messages':
      return {};
    case 'files':
      // One tenant uploads every file: let it use the whole worker.
      return { SCANQ_TENANT_MAX_IN_FLIGHT: '8' };
  }
}

interface Ran {
  readonly tally: TargetTally;
  readonly logs: LogTally;
  readonly accounting?: string;
}

function apiAccounting(tally: TargetTally): string {
  const o = (k: string) => tally.outcomes[k] ?? 0;
  const must = o('reject:2xx') + o('reject:4xx') + o('reject:5xx');
  const may = o('any:2xx') + o('any:4xx') + o('any:5xx');
  return `refused ${o('reject:4xx')}/${must} must-refuse bodies; of ${may} may-accept bodies ${o('any:2xx')} accepted, ${o('any:4xx')} refused`;
}

async function runOne(
  target: FuzzTarget,
  stack: Stack,
  lists: CaseLists,
  options: FuzzOptions,
  progress: Progress,
  jwtSecret: string,
): Promise<Ran> {
  switch (target) {
    case 'api': {
      const { tally, logs } = await runApiTarget(
        { stack, jwtSecret, concurrency: options.concurrency, progress },
        lists.api,
      );
      return { tally, logs, accounting: apiAccounting(tally) };
    }
    case 'messages':
      return runMessageTarget({ stack, progress }, lists.messages);
    case 'files':
      return runFileTarget({ stack, progress }, lists.files);
  }
}

async function target(
  name: FuzzTarget,
  endpoint: Endpoint,
  lists: CaseLists,
  options: FuzzOptions,
  progress: Progress,
  crashes: CrashWatch,
): Promise<TargetReport> {
  const jwtSecret = randomBytes(32).toString('hex');
  const stack = await openStack(endpoint, runPrefix(`fuzz-${name}`), stackEnv(name, jwtSecret));
  const crashesBefore = crashes.count();
  try {
    const ran = await runOne(name, stack, lists, options, progress, jwtSecret);
    const uncaught = crashes.count() - crashesBefore;
    ran.tally.crashes += uncaught;
    const cases = lists[name];
    return ran.tally.report({
      cases: cases.length,
      digest: caseDigest(cases),
      kinds: kindCounts(cases),
      accounting: ran.accounting ?? '',
      errorLogs: ran.logs.errors(),
      errorExamples: [...(uncaught > 0 ? crashes.examples() : []), ...ran.logs.errorExamples()],
      caseList: caseLines(lists)[name],
    });
  } finally {
    // A started endpoint dies with the run; a configured one is someone else's to keep clean.
    if (endpoint.profile === 'external') await destroyStack(stack);
    stack.clients.destroy();
  }
}

function headline(cases: number, reports: readonly TargetReport[], seed: number): string {
  const sum = (pick: (r: TargetReport) => number) => reports.reduce((s, r) => s + pick(r), 0);
  return (
    `fuzz: ${cases} cases, ${sum((r) => r.crashes)} crashes, ${sum((r) => r.serverErrors)} 5xx, ` +
    `${sum((r) => r.partialWrites)} partial writes, ${sum((r) => r.unaccounted)} unaccounted (seed ${seed})`
  );
}

/**
 * Runs the fuzzer. Uncaught exceptions and unhandled rejections are counted (not fatal) while it
 * runs, so one crash does not hide the others.
 */
export async function runFuzz(
  configured: Config,
  options: FuzzOptions,
  progress: Progress,
): Promise<FuzzReport> {
  const started = Date.now();
  const lists = generateCases(options.seed, splitCases(options.cases));
  const crashes = watchCrashes();
  const reports: TargetReport[] = [];
  let endpoint: Endpoint | undefined;
  try {
    endpoint = await openEndpoint(configured, {
      profile: options.profile,
      say: (line) => progress.note(line),
    });
    for (const name of FUZZ_TARGETS) {
      if (options.targets.includes(name)) {
        reports.push(await target(name, endpoint, lists, options, progress, crashes));
      }
    }
  } finally {
    crashes.stop();
    await endpoint?.close();
  }
  const ran = reports.reduce((s, r) => s + r.ran, 0);
  const ok = reports.every(
    (r) => r.crashes + r.serverErrors + r.partialWrites + r.unaccounted === 0 && r.ran === r.cases,
  );
  return {
    seed: options.seed,
    cases: ran,
    profile: endpoint?.profile ?? options.profile,
    startedAt: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000,
    targets: reports,
    ok,
    headline: headline(ran, reports, options.seed),
  };
}
