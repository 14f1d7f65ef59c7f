import { type AwsClients, type ClientMiddleware, createAwsClients } from '../aws/index.js';
import { type Config, ConfigError, loadConfig } from '../config/index.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { type StatusServer, startStatusServer } from '../lib/status-server.js';
import { liveProcesses, readState } from '../local-aws/index.js';
import { startTelemetry, type Telemetry, type TelemetryOptions } from '../telemetry/index.js';

import { EXIT, explainFailure } from './failures.js';

export { EXIT } from './failures.js';

/**
 * The environment a command runs with: the process environment, plus the endpoints of a
 * `scanq local-aws start`ed emulator when no endpoint is configured (so `bootstrap` and friends
 * find it without `export`s). This is the one place that reads `process.env`.
 */
export function commandEnv(): Record<string, string | undefined> {
  const env = { ...process.env };
  if (env.AWS_ENDPOINT_URL) return env;
  const state = readState(env.SCANQ_STATE_DIR || undefined);
  if (!state || liveProcesses(state).length !== state.processes.length) return env;
  return { ...state.env, ...env, AWS_ENDPOINT_URL: state.env.AWS_ENDPOINT_URL };
}

/**
 * Loads the config or exits with one line per problem. `localState: false` ignores a running
 * `local-aws start` (for commands that manage it).
 */
export function configOrExit(options: { localState?: boolean } = {}): Config {
  try {
    return loadConfig(options.localState === false ? process.env : commandEnv());
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`scanq: invalid configuration\n${error.problems.map((p) => `  ${p}\n`).join('')}`);
      process.exit(EXIT.usage);
    }
    throw error;
  }
}

/**
 * What a program embedding the CLI can add from outside: the benchmark and chaos tools
 * (`tools/instrument`) count calls and inject faults through these. `scanq` itself passes none,
 * so no setting of a production process can turn either on.
 */
export interface CliHooks {
  /** Added to every AWS client of the long-running commands (api, worker, scheduler, sweeper). */
  readonly clientMiddleware?: readonly ClientMiddleware[];
  /** Called once a worker runs, with a reader of its job counters. */
  readonly onWorker?: (counts: () => Readonly<Record<string, number>>) => void;
}

/** Config, logger and AWS clients for a command that talks to AWS. */
export interface CommandContext {
  readonly config: Config;
  readonly log: Logger;
  readonly clients: AwsClients;
}

export function commandContext(name: string, hooks: CliHooks = {}): CommandContext {
  const config = configOrExit();
  const log = createLogger({ level: config.logLevel, name });
  const clients = createAwsClients(config, { middleware: hooks.clientMiddleware ?? [] });
  return { config, log, clients };
}

/** The configuration a failure is explained with, if it can be read (it was, for the body to run). */
function configForFailure(): Config | undefined {
  try {
    return loadConfig(commandEnv());
  } catch {
    return undefined;
  }
}

/**
 * Runs a command body. A failure an operator can act on (a scanq error, a missing table or queue,
 * no endpoint, no credentials: `explainFailure`) prints one line and sets its exit code; anything
 * else is a bug and throws, with its stack.
 */
export async function runCommand(body: () => Promise<number | undefined>): Promise<void> {
  try {
    const code = await body();
    process.exitCode = code ?? EXIT.ok;
  } catch (error) {
    const failure = explainFailure(error, configForFailure());
    if (!failure) throw error;
    process.stderr.write(`scanq: ${failure.line}\n`);
    process.exitCode = failure.exitCode;
  }
}

/** Writes a line to stdout. */
export function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/**
 * The status server of a long-running command when SCANQ_STATUS_PORT is set (with `/metrics` when
 * the telemetry serves Prometheus text); else a stand-in that does nothing, so callers need no branch.
 */
export async function statusServer(
  config: Config,
  log: Logger,
  telemetry?: Pick<Telemetry, 'prometheus'>,
): Promise<Pick<StatusServer, 'set' | 'close'>> {
  const { host, port } = config.status;
  if (port === undefined) return { set: () => {}, close: async () => {} };
  const metrics = telemetry?.prometheus;
  return startStatusServer({ host, port, log, ...(metrics ? { metrics } : {}) });
}

/**
 * The telemetry of a long-running command: Prometheus text when SCANQ_METRICS is on (the API
 * always), OTLP when OTEL_* configure it; else the no-op telemetry, loading no SDK.
 */
export function commandTelemetry(
  config: Config,
  log: Logger,
  process: TelemetryOptions['process'],
): Promise<Telemetry> {
  return startTelemetry(
    config.telemetry,
    { process, prometheus: process === 'api' || config.telemetry.prometheus },
    log,
  );
}
