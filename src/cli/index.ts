export {
  type CliHooks,
  type CommandContext,
  commandContext,
  commandEnv,
  configOrExit,
  EXIT,
  out,
  runCommand,
} from './context.js';
export { explainFailure, type Failure, oneLineUsageErrors, UsageError } from './failures.js';
export { positiveInt, share, wholeNumber } from './flags.js';
export { buildProgram, runCli } from './program.js';
export { ALLOW_REAL_AWS_FLAG, guardRealAws } from './real-aws.js';
export { onShutdownSignals } from './signals.js';
