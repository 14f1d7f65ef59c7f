/**
 * `scanq` with the tools' instruments plugged in from outside: the benchmark, the chaos run and
 * the tests start worker and sweeper processes through this entry point (never through
 * bin/scanq.js) when they want faults injected (SCANQ_FAULT_*) or calls counted (SCANQ_CALL_STATS).
 * The product's own CLI reads neither variable.
 */
import type { ClientMiddleware } from '../../src/aws/index.js';
import { type CliHooks, EXIT, runCli } from '../../src/cli/index.js';
import { startCallStats } from './call-stats.js';
import { loadToolEnv, ToolEnvError } from './env.js';
import { faultMiddleware } from './faults.js';

function hooksFromEnv(command: string): CliHooks {
  const env = loadToolEnv(process.env);
  const middleware: ClientMiddleware[] = [];
  let onWorker: CliHooks['onWorker'];
  if (env.callStatsFile) {
    const stats = startCallStats({ file: env.callStatsFile, command });
    middleware.push(...stats.meter.middleware);
    onWorker = (counts) => stats.include('jobs', counts);
  }
  const { rate, ambiguous, match } = env.faults;
  if (rate > 0) {
    process.stderr.write(
      `${JSON.stringify({ level: 40, msg: 'fault injection is on', rate, ambiguous, match: match?.source })}\n`,
    );
    middleware.push(
      faultMiddleware({
        rate,
        ambiguous,
        match: (service, operation) => match?.test(`${service}.${operation}`) ?? true,
      }),
    );
  }
  return { clientMiddleware: middleware, ...(onWorker ? { onWorker } : {}) };
}

try {
  await runCli(process.argv, hooksFromEnv(process.argv[2] ?? 'scanq'));
} catch (error) {
  if (!(error instanceof ToolEnvError)) throw error;
  process.stderr.write(`scanq (instrumented): ${error.message}\n`);
  process.exitCode = EXIT.usage;
}
