import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import {
  clearState,
  DEFAULT_STATE_DIR,
  exportLines,
  liveProcesses,
  PROFILES,
  type Profile,
  readState,
  startLocalAws,
  stopLocalAws,
  writeState,
} from '../local-aws/index.js';
import { answersHttp, isAlive } from '../local-aws/process.js';
import { configOrExit, EXIT, out, runCommand } from './context.js';
import { UsageError } from './failures.js';

/** `scanq local-aws start|stop|status`: the embedded AWS endpoint for dev, demo and tests. */
export function registerLocalAws(program: Command): void {
  const group = program
    .command('local-aws')
    .description(
      'run the embedded local AWS endpoint (moto; ElasticMQ + DynamoDB Local with --profile load)',
    );

  group
    .command('start')
    .description('start the endpoint in the background and print its URLs and export lines')
    .addOption(new Option('--profile <profile>', 'emulator set').choices(PROFILES).default('default'))
    .option('--json', 'print the endpoint set as JSON')
    .option(
      '--persist [dir]',
      'keep SQS and DynamoDB data across restarts in dir (default .scanq/data); needs --profile load, moto cannot',
    )
    .action((options: { profile: Profile; json?: boolean; persist?: string | true }) =>
      runCommand(async () => {
        const { profile } = options;
        const config = configOrExit({ localState: false });
        if (config.local) {
          out(`an AWS endpoint is configured (${config.endpoints.sqs}): using it, nothing started`);
          return EXIT.ok;
        }
        const existing = readState(config.stateDir);
        if (existing && liveProcesses(existing).length > 0) {
          out(`already running (profile ${existing.profile}); \`scanq local-aws stop\` first to restart`);
          for (const line of exportLines(existing.env)) out(line);
          return EXIT.ok;
        }
        if (options.persist !== undefined && profile !== 'load')
          throw new UsageError(
            'cli.persist',
            'moto keeps its data in memory only: --persist needs --profile load (SQS on ElasticMQ, DynamoDB on DynamoDB Local keep theirs on disk)',
          );
        const dataDir =
          options.persist === undefined
            ? undefined
            : resolve(
                options.persist === true
                  ? join(config.stateDir ?? DEFAULT_STATE_DIR, 'data')
                  : options.persist,
              );
        const aws = await startLocalAws({
          profile,
          mode: config.moto,
          detached: true,
          ...(config.stateDir ? { stateDir: config.stateDir } : {}),
          ...(dataDir ? { dataDir } : {}),
          say: (line) => process.stderr.write(`${line}\n`),
        });
        writeState(aws, config.stateDir);
        if (options.json) {
          out(JSON.stringify(aws, null, 2));
          return EXIT.ok;
        }
        for (const p of aws.processes) out(`${p.name.padEnd(15)} ${p.url}  (pid ${p.pid}, log ${p.log})`);
        for (const note of aws.notes) out(`note: ${note}`);
        out();
        for (const line of exportLines(aws.env)) out(line);
        return EXIT.ok;
      }),
    );

  group
    .command('stop')
    .description('stop the endpoint started by `local-aws start`')
    .action(() =>
      runCommand(async () => {
        const { stateDir } = configOrExit({ localState: false });
        const state = readState(stateDir);
        if (!state) {
          out('not running');
          return EXIT.ok;
        }
        await stopLocalAws(state);
        clearState(stateDir);
        out(`stopped ${state.processes.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`);
        return EXIT.ok;
      }),
    );

  group
    .command('status')
    .description('report whether the endpoint is running and healthy (exit 3 when not)')
    .option('--json', 'print status as JSON')
    .action((options: { json?: boolean }) =>
      runCommand(async () => {
        const state = readState(configOrExit({ localState: false }).stateDir);
        const rows = await Promise.all(
          (state?.processes ?? []).map(async (p) => ({
            ...p,
            alive: isAlive(p.pid),
            healthy: await answersHttp(p.url).catch(() => false),
          })),
        );
        const running = rows.length > 0 && rows.every((r) => r.alive && r.healthy);
        if (options.json)
          out(JSON.stringify({ running, profile: state?.profile, processes: rows, env: state?.env }));
        else if (!state) out('not running');
        else
          for (const r of rows)
            out(
              `${r.name.padEnd(15)} ${r.url}  ${r.alive ? (r.healthy ? 'healthy' : 'not answering') : 'dead'}`,
            );
        return running ? EXIT.ok : EXIT.notRunning;
      }),
    );
}
