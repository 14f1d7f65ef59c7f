/**
 * The measurement tools: `npm run bench`, `npm run chaos`, `npm run fuzz`. They live outside the
 * product (src/) and use its public faces; the worker and sweeper processes they measure run
 * through tools/instrument/scanq.ts. Each tool's modules load only when it runs (the fuzzer's pull
 * in the API server, which the bench and the chaos run do not need).
 */
import { Command, CommanderError } from 'commander';
import { EXIT, oneLineUsageErrors } from '../../src/cli/index.js';

const TOOLS: Readonly<Record<string, () => Promise<(program: Command) => void>>> = {
  bench: async () => (await import('./bench.js')).registerBench,
  chaos: async () => (await import('./chaos.js')).registerChaos,
  fuzz: async () => (await import('./fuzz.js')).registerFuzz,
  'fuzz-api': async () => (await import('./fuzz-api.js')).registerFuzzApi,
  'findings-bench': async () => (await import('./findings-bench.js')).registerFindingsBench,
};

const program = new Command('scanq-tools')
  .description('scanq measurement tools: benchmark, chaos run, fuzzer')
  .exitOverride();
const named = process.argv[2];
const only = named !== undefined && Object.hasOwn(TOOLS, named) ? named : undefined;
const loaders = Object.entries(TOOLS).filter(([name]) => only === undefined || name === only);
for (const register of await Promise.all(loaders.map(([, load]) => load()))) register(program);
oneLineUsageErrors(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  else throw error;
}
