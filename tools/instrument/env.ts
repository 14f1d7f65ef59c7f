/**
 * The tools' own settings, read only by the tools' entry points — never by `scanq` itself, whose
 * config schema (src/config/schema.ts) has no such variables. A production process with
 * SCANQ_FAULT_RATE in its environment ignores it.
 */
import { z } from 'zod';

const share = z
  .string()
  .regex(/^(0(\.\d+)?|1(\.0+)?)$/, { message: 'must be a number from 0 to 1' })
  .transform(Number);

const pattern = z.string().refine(
  (text) => {
    try {
      new RegExp(text);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be a regular expression over Service.Operation' },
);

/** Every variable the instrumented entry point reads. */
export const TOOL_ENV_SCHEMA = {
  /** Share of AWS calls failed with throttling or a 5xx. Default 0 (off). */
  SCANQ_FAULT_RATE: share.default(0),
  /** Share of those faults thrown after the call took effect (the response is lost). Default 0. */
  SCANQ_FAULT_AMBIGUOUS: share.default(0),
  /** Only calls whose `Service.Operation` matches are eligible. Default all. */
  SCANQ_FAULT_MATCH: pattern.optional(),
  /** The measuring switch: write call statistics to this JSON file every second and on exit. */
  SCANQ_CALL_STATS: z.string().min(1, { message: 'must be a file path' }).optional(),
} as const;

export interface ToolEnv {
  readonly faults: { readonly rate: number; readonly ambiguous: number; readonly match: RegExp | undefined };
  readonly callStatsFile: string | undefined;
}

/** Bad tool settings: one line per variable. */
export class ToolEnvError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid tool settings:\n  ${problems.join('\n  ')}`);
    this.name = 'ToolEnvError';
  }
}

/** Validates the tools' variables of `env`. @throws ToolEnvError naming each variable and its rule. */
export function loadToolEnv(env: Readonly<Record<string, string | undefined>>): ToolEnv {
  const schema = z.object(TOOL_ENV_SCHEMA);
  const input = Object.fromEntries(
    Object.keys(TOOL_ENV_SCHEMA).map((name) => [name, env[name] === '' ? undefined : env[name]]),
  );
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ToolEnvError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  return {
    faults: {
      rate: e.SCANQ_FAULT_RATE,
      ambiguous: e.SCANQ_FAULT_AMBIGUOUS,
      match: e.SCANQ_FAULT_MATCH ? new RegExp(e.SCANQ_FAULT_MATCH) : undefined,
    },
    callStatsFile: e.SCANQ_CALL_STATS,
  };
}
