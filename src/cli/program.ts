import { Command, CommanderError } from 'commander';
import { type CliHooks, EXIT } from './context.js';
import { oneLineUsageErrors } from './failures.js';

type Register = (program: Command, hooks: CliHooks) => void;

/**
 * Every command, in help order, by the module that defines it. A command's module (and what it
 * imports: fastify for `api`, the emulators for `local-aws`, cron-parser for `scheduler`, …) loads
 * only when that command runs, or when the whole tree is needed (help, a usage error).
 */
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  dev: async () => (await import('./dev.js')).registerDev,
  'local-aws': async () => (await import('./local-aws.js')).registerLocalAws,
  bootstrap: async () => (await import('./bootstrap.js')).registerBootstrap,
  migrate: async () => (await import('./migrate.js')).registerMigrate,
  dlq: async () => (await import('./dlq.js')).registerDlq,
  quarantine: async () => (await import('./quarantine.js')).registerQuarantine,
  worker: async () => (await import('./worker.js')).registerWorker,
  sweeper: async () => (await import('./sweeper.js')).registerSweeper,
  api: async () => (await import('./api.js')).registerApi,
  token: async () => (await import('./token.js')).registerToken,
  scheduler: async () => (await import('./scheduler.js')).registerScheduler,
  enqueue: async () => (await import('./enqueue.js')).registerEnqueue,
  jobs: async () => (await import('./jobs.js')).registerJobs,
  schedules: async () => (await import('./schedules.js')).registerSchedules,
  results: async () => (await import('./results.js')).registerResults,
  risks: async () => (await import('./risks.js')).registerRisks,
};

/** The command `argv` (as `process.argv`) names, when it names one; undefined for help, `--version`, typos. */
export function commandOf(argv: readonly string[]): string | undefined {
  const first = argv[2];
  return first !== undefined && Object.hasOwn(COMMANDS, first) ? first : undefined;
}

/**
 * Builds the `scanq` command tree; `hooks` reach the long-running commands (default none). With
 * `only`, the tree holds that one command (what `runCli` does when argv names one).
 */
export async function buildProgram(hooks: CliHooks = {}, only?: string): Promise<Command> {
  const program = new Command('scanq')
    .description('multi-tenant scan-job engine on AWS primitives')
    .version('0.1.0')
    .exitOverride();
  const loaders = Object.entries(COMMANDS).filter(([name]) => only === undefined || name === only);
  const registers = await Promise.all(loaders.map(([, load]) => load()));
  for (const register of registers) register(program, hooks);
  oneLineUsageErrors(program);
  return program;
}

/** Runs `scanq` with `argv` (as `process.argv`); usage errors exit 2. */
export async function runCli(argv: readonly string[], hooks: CliHooks = {}): Promise<void> {
  try {
    await (await buildProgram(hooks, commandOf(argv))).parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    else throw error;
  }
}
