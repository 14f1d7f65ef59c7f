import type { Profile } from '../../src/local-aws/index.js';

/** The three things the fuzzer feeds bad input to. */
export const FUZZ_TARGETS = ['api', 'messages', 'files'] as const;
export type FuzzTarget = (typeof FUZZ_TARGETS)[number];

/** What one run does. */
export interface FuzzOptions {
  /** Cases in all, shared out by {@link FUZZ_SHARES}. Default 10,000. */
  readonly cases: number;
  /** Seed of the generators: the same seed and case count give the same case list. */
  readonly seed: number;
  /** Local endpoint to start when none is configured. Default `default` (moto). */
  readonly profile: Profile;
  /** Targets to run (the others' cases are still generated, so a replay of one target matches). */
  readonly targets: readonly FuzzTarget[];
  /** API requests in flight at once. Default 8. */
  readonly concurrency: number;
}

/**
 * Share of the cases each target gets: API bodies are cheap (no AWS call unless accepted); a
 * message costs a receive, a DLQ send and a delete; a file costs an upload, a job and ~12 calls.
 */
export const FUZZ_SHARES: Readonly<Record<FuzzTarget, number>> = { api: 0.8, messages: 0.15, files: 0.05 };

export const FUZZ_DEFAULTS = {
  cases: 10_000,
  profile: 'default' as Profile,
  targets: FUZZ_TARGETS,
  concurrency: 8,
} as const;

/** Cases per target: the shares of `total`, at least one each, the API taking the rounding. */
export function splitCases(total: number): Record<FuzzTarget, number> {
  const messages = Math.max(1, Math.floor(total * FUZZ_SHARES.messages));
  const files = Math.max(1, Math.floor(total * FUZZ_SHARES.files));
  return { api: Math.max(1, total - messages - files), messages, files };
}

/** One case that broke a rule, kept so it can be replayed and read. */
export interface FuzzFailure {
  /** Index in its target's case list (replay: same `--seed` and `--cases`). */
  readonly index: number;
  /** `5xx`, `crash`, `partialWrite`, `accepted`, `noReason`, `notQuarantined`, … */
  readonly problem: string;
  /** What the case is (`POST /v1/jobs deepNesting input`). */
  readonly label: string;
  /** What happened (status and body start, disposition, error). */
  readonly detail: string;
  /** The case's body, sizes instead of huge contents. */
  readonly body: string;
}

/** What happened to one target's cases. */
export interface TargetReport {
  readonly target: FuzzTarget;
  readonly cases: number;
  /** Cases actually sent (less than `cases` only when the target stopped early). */
  readonly ran: number;
  /** SHA-256 of the case list. */
  readonly digest: string;
  readonly seconds: number;
  /** Cases per generator kind. */
  readonly kinds: Readonly<Record<string, number>>;
  /** Outcomes: HTTP status classes (api), dispositions (messages, files). */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Uncaught exceptions, unhandled rejections, dropped connections, a worker that stopped working. */
  readonly crashes: number;
  /** Answers ≥ 500 (api only). */
  readonly serverErrors: number;
  /** Items a refused request, message or file left in the table. */
  readonly partialWrites: number;
  /** Cases that did not end as they must: accepted bad bodies, messages not in the DLQ with a reason, files not quarantined. */
  readonly unaccounted: number;
  /** `DLQ with reason 1500/1500`, `quarantined 500/500`: the accounting in one line. */
  readonly accounting: string;
  /** Error-level log lines of the server or worker (handled, but worth reading). */
  readonly errorLogs: number;
  /** The first few of them, and of any uncaught exception. */
  readonly errorExamples: readonly string[];
  readonly failures: readonly FuzzFailure[];
  /** One line per case (`kind field`), so two runs' case lists can be compared. */
  readonly caseList: readonly string[];
}

export interface FuzzReport {
  readonly seed: number;
  readonly cases: number;
  readonly profile: Profile | 'external';
  readonly startedAt: string;
  readonly seconds: number;
  readonly targets: readonly TargetReport[];
  /** True when every count that must be zero is zero. */
  readonly ok: boolean;
  readonly headline: string;
}

/** Failures kept per target in a report. */
export const MAX_FAILURES = 25;
