import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Command, Option } from 'commander';
import { createAwsClients } from '../aws/index.js';
import { loadConfig } from '../config/index.js';
import { createLogger } from '../lib/logger.js';
import {
  bootstrap,
  type LocalAws,
  PROFILES,
  type Profile,
  startLocalAws,
  stopLocalAws,
} from '../local-aws/index.js';
import { createProducer } from '../producer/index.js';
import { ownContext, putProfile, systemContext, TenantTable } from '../tenancy/index.js';
import { commandEnv, configOrExit, EXIT, out, runCommand } from './context.js';
import { runDemo } from './demo.js';
import { positiveInt } from './signals.js';

const BIN = fileURLToPath(new URL('../../bin/scanq.js', import.meta.url));

interface DevOptions {
  readonly workers: number;
  readonly profile: Profile;
  readonly exit?: boolean;
  readonly demo: boolean;
}

/** Starts `scanq <command>` as a child whose log lines are prefixed with its name. */
function service(
  name: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'inherit', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n'))
      if (line) process.stderr.write(`[${name}] ${line}\n`);
  });
  return child;
}

/** `scanq dev`: the whole stack on one machine, with a demo. */
export function registerDev(program: Command): void {
  program
    .command('dev')
    .description('start the local AWS endpoint, bootstrap, run workers and the sweeper, and run the demo')
    .option('-w, --workers <n>', 'worker processes', positiveInt('--workers', 16), 2)
    .addOption(
      new Option('--profile <profile>', 'local endpoint profile').choices(PROFILES).default('default'),
    )
    .option('--no-demo', 'do not enqueue the demo jobs')
    .option('--exit', 'stop everything after the demo instead of running until Ctrl-C')
    .action((options: DevOptions) =>
      runCommand(async () => {
        const configured = configOrExit({ localState: false });
        let local: LocalAws | undefined;
        const env: Record<string, string | undefined> = { ...commandEnv(), SCANQ_PREFIX: configured.prefix };
        if (!configured.local) {
          process.stderr.write(`starting the local AWS endpoint (profile ${options.profile})…\n`);
          local = await startLocalAws({
            profile: options.profile,
            mode: configured.moto,
            detached: false,
            say: (line) => process.stderr.write(`${line}\n`),
          });
          for (const note of local.notes) process.stderr.write(`note: ${note}\n`);
          Object.assign(env, local.env);
        }
        const config = loadConfig(env);
        const clients = createAwsClients(config);
        const children: ChildProcess[] = [];
        const shutdown = async () => {
          for (const child of children) child.kill('SIGTERM');
          await Promise.all(
            children.map((c) => new Promise((r) => (c.exitCode !== null ? r(0) : c.once('exit', r)))),
          );
          clients.destroy();
          if (local) await stopLocalAws(local);
        };
        try {
          const report = await bootstrap(config, clients);
          out(
            `bootstrap: ${report.unchanged ? 'resources already in place' : 'resources created'} (prefix ${config.prefix})`,
          );
          const serviceEnv = {
            ...env,
            // The services' JSON logs would drown the demo; LOG_LEVEL=info shows them.
            LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
            SCANQ_QUEUE_URL: report.queueUrl,
            SCANQ_DLQ_URL: report.dlqUrl,
            SCANQ_TOPIC_ARN: report.topicArn,
          };
          for (let i = 1; i <= options.workers; i++)
            children.push(service(`worker-${i}`, ['worker'], serviceEnv));
          children.push(service('sweeper', ['sweeper'], serviceEnv));
          out(`running ${options.workers} worker process(es) and the sweeper`);
          if (options.demo) {
            const demoConfig = loadConfig(serviceEnv);
            const producer = await createProducer(demoConfig, {
              clients,
              log: createLogger({ level: 'warn' }),
            });
            for (const tenant of ['acme', 'globex']) {
              const table = new TenantTable(
                { doc: clients.doc, tableName: config.resources.table },
                systemContext(tenant, 'dev'),
              );
              await putProfile(table, { name: `${tenant} (demo)`, authorizedUsers: ['msp-analyst'] });
            }
            await runDemo({
              config: demoConfig,
              clients,
              producer,
              contexts: ['acme', 'globex'].map((t) =>
                ownContext({ tenant: t, user: `demo@${t}`, roles: ['analyst'] }),
              ),
            });
            producer.close();
          }
          if (options.exit) return EXIT.ok;
          out('\nthe stack is up; Ctrl-C stops everything');
          // Only what this command set: never echo credentials from the caller's environment.
          const shown = { ...(local?.env ?? {}), ...pickScanq(serviceEnv) };
          for (const [name, value] of Object.entries(shown)) out(`export ${name}=${value}`);
          await new Promise<void>((resolve) => {
            process.once('SIGINT', resolve);
            process.once('SIGTERM', resolve);
          });
          return EXIT.ok;
        } finally {
          await shutdown();
        }
      }),
    );
}

function pickScanq(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[0].startsWith('SCANQ_') && e[1] !== undefined),
  );
}
