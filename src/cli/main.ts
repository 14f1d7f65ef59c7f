import { Command, CommanderError } from 'commander';
import { registerBootstrap } from './bootstrap.js';
import { EXIT } from './context.js';
import { registerDev } from './dev.js';
import { registerDlq } from './dlq.js';
import { registerLocalAws } from './local-aws.js';
import { registerSweeper } from './sweeper.js';
import { registerWorker } from './worker.js';

/** Builds the `scanq` command tree. */
export function buildProgram(): Command {
  const program = new Command('scanq')
    .description('multi-tenant scan-job engine on AWS primitives')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerDev(program);
  registerLocalAws(program);
  registerBootstrap(program);
  registerDlq(program);
  registerWorker(program);
  registerSweeper(program);
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  else throw error;
}
