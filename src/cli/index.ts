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
export { buildProgram, runCli } from './program.js';
export { onShutdownSignals, positiveInt } from './signals.js';
