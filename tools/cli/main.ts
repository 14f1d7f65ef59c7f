/**
 * The measurement tools: `npm run bench`, `npm run chaos`, `npm run fuzz`. They live outside the
 * product (src/) and use its public faces; the worker and sweeper processes they measure run
 * through tools/instrument/scanq.ts.
 */
import { Command, CommanderError } from 'commander';
import { EXIT } from '../../src/cli/index.js';
import { registerBench } from './bench.js';
import { registerChaos } from './chaos.js';
import { registerFuzz } from './fuzz.js';

const program = new Command('scanq-tools')
  .description('scanq measurement tools: benchmark, chaos run, fuzzer')
  .showHelpAfterError()
  .exitOverride();
registerBench(program);
registerChaos(program);
registerFuzz(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  else throw error;
}
