import { Command, CommanderError } from 'commander';
import { registerApi } from './api.js';
import { registerBootstrap } from './bootstrap.js';
import { type CliHooks, EXIT } from './context.js';
import { registerDev } from './dev.js';
import { registerDlq } from './dlq.js';
import { registerEnqueue } from './enqueue.js';
import { registerJobs } from './jobs.js';
import { registerLocalAws } from './local-aws.js';
import { registerMigrate } from './migrate.js';
import { registerQuarantine } from './quarantine.js';
import { registerScheduler } from './scheduler.js';
import { registerSweeper } from './sweeper.js';
import { registerToken } from './token.js';
import { registerWorker } from './worker.js';

/** Builds the `scanq` command tree; `hooks` reach the long-running commands (default none). */
export function buildProgram(hooks: CliHooks = {}): Command {
  const program = new Command('scanq')
    .description('multi-tenant scan-job engine on AWS primitives')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerDev(program);
  registerLocalAws(program);
  registerBootstrap(program);
  registerMigrate(program);
  registerDlq(program);
  registerQuarantine(program);
  registerWorker(program, hooks);
  registerSweeper(program, hooks);
  registerApi(program, hooks);
  registerToken(program);
  registerScheduler(program, hooks);
  registerEnqueue(program);
  registerJobs(program);
  return program;
}

/** Runs `scanq` with `argv` (as `process.argv`); usage errors exit 2. */
export async function runCli(argv: readonly string[], hooks: CliHooks = {}): Promise<void> {
  try {
    await buildProgram(hooks).parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    else throw error;
  }
}
