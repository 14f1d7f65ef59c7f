import { Command, CommanderError } from 'commander';
import { registerApi } from './api.js';
import { registerBench } from './bench.js';
import { registerBootstrap } from './bootstrap.js';
import { registerChaos } from './chaos.js';
import { EXIT } from './context.js';
import { registerDev } from './dev.js';
import { registerDlq } from './dlq.js';
import { registerEnqueue } from './enqueue.js';
import { registerFuzz } from './fuzz.js';
import { registerJobs } from './jobs.js';
import { registerLocalAws } from './local-aws.js';
import { registerQuarantine } from './quarantine.js';
import { registerScheduler } from './scheduler.js';
import { registerSweeper } from './sweeper.js';
import { registerToken } from './token.js';
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
  registerQuarantine(program);
  registerWorker(program);
  registerSweeper(program);
  registerBench(program);
  registerChaos(program);
  registerFuzz(program);
  registerApi(program);
  registerToken(program);
  registerScheduler(program);
  registerEnqueue(program);
  registerJobs(program);
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  else throw error;
}
