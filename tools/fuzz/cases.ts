/**
 * The case lists of a run, drawn from the generators with fast-check's seeded random source: the
 * same seed and counts give the same lists (and digests), so a failure is replayed by its seed.
 * Pure.
 */
import fc from 'fast-check';
import { type ApiCase, apiCase, apiLabel } from './api-cases.js';
import { type FileCase, fileCase, fileLabel } from './file-cases.js';
import { digestOf } from './fragment.js';
import { type MessageCase, messageCase, messageLabel } from './message-cases.js';
import type { FuzzTarget } from './types.js';

export interface CaseLists {
  readonly api: readonly ApiCase[];
  readonly messages: readonly MessageCase[];
  readonly files: readonly FileCase[];
}

/** Each target draws from its own seed, so one target's list does not depend on another's count. */
const SEED_OFFSET: Readonly<Record<FuzzTarget, number>> = { api: 0, messages: 7_919, files: 15_485 };

function draw<T>(arbitrary: fc.Arbitrary<T>, seed: number, count: number): T[] {
  if (count <= 0) return [];
  return fc.sample(arbitrary, { seed: seed | 0, numRuns: count });
}

/** The case lists for `seed` and per-target counts. */
export function generateCases(seed: number, counts: Readonly<Record<FuzzTarget, number>>): CaseLists {
  return {
    api: draw(apiCase(), seed + SEED_OFFSET.api, counts.api),
    messages: draw(messageCase(), seed + SEED_OFFSET.messages, counts.messages),
    files: draw(fileCase(), seed + SEED_OFFSET.files, counts.files),
  };
}

/** SHA-256 of a list (equal lists, equal digests). */
export const caseDigest = (cases: readonly unknown[]): string => digestOf(cases);

/** One line per case, for reports and replay comparisons. */
export function caseLines(lists: CaseLists): Record<FuzzTarget, string[]> {
  return {
    api: lists.api.map(apiLabel),
    messages: lists.messages.map(messageLabel),
    files: lists.files.map(fileLabel),
  };
}

/** Cases per kind. */
export function kindCounts(cases: readonly { readonly kind: string }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of cases) out[c.kind] = (out[c.kind] ?? 0) + 1;
  return out;
}

/** A random seed for a run that was given none (printed, so the run can be replayed). */
export function freshSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
