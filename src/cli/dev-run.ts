/**
 * `scanq dev`, loaded only when that command runs (the demo pulls in what no other process needs:
 * the weak-account seeder's EC2 and IAM clients, the demo targets, the API client).
 */

import { randomBytes } from 'node:crypto';
import { createAwsClients } from '../aws/index.js';
import { type Config, loadConfig } from '../config/index.js';
import { coerceError } from '../lib/errors.js';
import {
  type BootstrapReport,
  bootstrap,
  freePort,
  type LocalAws,
  startLocalAws,
  stopLocalAws,
} from '../local-aws/index.js';
import { commandEnv, configOrExit, EXIT } from './context.js';
import { DEMO_TENANTS, runDemo } from './demo.js';
import { demoToken, waitForApi } from './demo-api.js';
import { DemoError } from './demo-errors.js';
import { DemoConsole } from './demo-progress.js';
import { ServiceGroup } from './demo-services.js';
import { type DemoTargets, startDemoTargets } from './demo-targets.js';
import type { DevOptions } from './dev.js';
import { guardRealAws } from './real-aws.js';

/** Exit code when a signal stopped `dev` before its demo finished (128 + SIGINT). */
const INTERRUPTED = 130;

type Env = Record<string, string | undefined>;

/** What `dev` started, undone in reverse order when it stops. */
class Teardown {
  readonly #steps: { name: string; run: () => Promise<void> }[] = [];

  add(name: string, run: () => Promise<void>): void {
    this.#steps.push({ name, run });
  }

  /** Runs every step, newest first; a failing step is reported and the others still run. */
  async run(say: (line: string) => void): Promise<void> {
    for (const step of this.#steps.reverse()) {
      await step
        .run()
        .catch((error: unknown) => say(`stopping ${step.name} failed: ${coerceError(error).message}`));
    }
    this.#steps.length = 0;
  }
}

/** The endpoint: the configured one (or a `local-aws start`ed one), else a new one, stopped with `dev`. */
async function endpoint(options: DevOptions, c: DemoConsole, teardown: Teardown): Promise<Env> {
  const env = commandEnv();
  const configured = loadConfig(env);
  if (configured.local) {
    c.line(`local AWS endpoint: ${configured.endpoints.sqs ?? 'configured'} (configured; left running)`);
    return env;
  }
  const local: LocalAws = await startLocalAws({
    profile: options.profile,
    mode: configured.moto,
    detached: false,
    ...(configured.stateDir ? { stateDir: configured.stateDir } : {}),
    say: (line) => c.note(line),
  });
  const described = local.processes.map((p) => `${p.name} ${p.url} (pid ${p.pid})`).join(', ');
  teardown.add('the local AWS endpoint', async () => {
    await stopLocalAws(local);
    c.line(
      `stopped the local AWS endpoint: ${local.processes.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`,
    );
  });
  c.line(`local AWS endpoint: ${described}`);
  for (const note of local.notes) c.line(`note: ${note}`);
  return { ...env, ...local.env };
}

/** The children's environment: the endpoint, the resources, loopback scans allowed, the dev JWT secret. */
async function serviceEnv(env: Env, report: BootstrapReport, jwtSecret: string): Promise<Env> {
  // A JWKS URL as well as a secret is refused by the API: the dev stack verifies with the secret.
  const { SCANQ_JWT_JWKS_URL: _jwks, ...rest } = env;
  return {
    ...rest,
    // The services' JSON logs would drown the demo; LOG_LEVEL=info shows them.
    LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
    SCANQ_QUEUE_URL: report.queueUrl,
    SCANQ_DLQ_URL: report.dlqUrl,
    SCANQ_BULK_QUEUE_URL: report.bulkQueueUrl,
    SCANQ_TOPIC_ARN: report.topicArn,
    // Capabilities run in tenant sessions locally too (docs/SECURITY.md); an empty value turns them off.
    SCANQ_TENANT_ROLE_ARN: env.SCANQ_TENANT_ROLE_ARN ?? report.tenantRoleArn,
    SCANQ_ALLOW_LOOPBACK: 'true',
    SCANQ_JWT_SECRET: jwtSecret,
    SCANQ_API_HOST: '127.0.0.1',
    SCANQ_API_PORT:
      env.SCANQ_API_PORT && env.SCANQ_API_PORT !== '0' ? env.SCANQ_API_PORT : String(await freePort()),
    // The demo's schedule fires seconds after it is created; the default minute would outlast the demo.
    SCANQ_SCHEDULER_INTERVAL: env.SCANQ_SCHEDULER_INTERVAL ?? '2s',
  };
}

/**
 * Starts the api, `workers` workers, the scheduler and the sweeper (stopped with `dev`) and waits
 * until the API is ready. Returns its URL.
 */
async function startServices(
  services: ServiceGroup,
  workers: number,
  env: Env,
  s: { readonly console: DemoConsole; readonly teardown: Teardown; readonly check: () => void },
): Promise<string> {
  s.teardown.add('the services', async () => {
    const stopped = await services.stop();
    s.console.line(`stopped: ${stopped.map((x) => `${x.name} (pid ${x.pid}) ${x.how}`).join(', ')}`);
  });
  services.start('api', ['api'], env);
  for (let i = 1; i <= workers; i++) services.start(`worker-${i}`, ['worker'], env);
  services.start('scheduler', ['scheduler'], env);
  services.start('sweeper', ['sweeper'], env);
  s.console.line(
    `services: ${services
      .list()
      .map((x) => `${x.name} (pid ${x.pid})`)
      .join(', ')}`,
  );
  const apiUrl = `http://127.0.0.1:${env.SCANQ_API_PORT ?? ''}`;
  await waitForApi(apiUrl, 60_000, s.check);
  s.console.line(`api: ${apiUrl} is ready`);
  return apiUrl;
}

/** What `serve` shows and watches. */
interface Running {
  readonly config: Config;
  /** The services' environment. */
  readonly env: Env;
  readonly apiUrl: string;
  readonly console: DemoConsole;
  readonly services: ServiceGroup;
}

/** Runs until `stopped` settles or a service dies; shows how to use the stack meanwhile (never the JWT secret). */
async function serve(r: Running, stopped: Promise<void>): Promise<void> {
  const c = r.console;
  const token = await demoToken(r.config, r.env.SCANQ_JWT_SECRET ?? '', DEMO_TENANTS.main);
  const endpoints = Object.entries(r.env).filter(
    ([name, value]) => name.startsWith('AWS_ENDPOINT_URL') && value,
  );
  c.line('\nthe stack is up; Ctrl-C stops every process');
  c.line(`  API    ${r.apiUrl}  (OpenAPI: ${r.apiUrl}/v1/openapi.json)`);
  c.line(`  token  export TOKEN=${token}`);
  c.line(
    `         (admin of ${DEMO_TENANTS.main} for 8 h, signed with this run's JWT secret, which is not shown)`,
  );
  c.line(
    `  CLI    export ${[...endpoints.map(([n, v]) => `${n}=${v}`), `SCANQ_PREFIX=${r.config.prefix}`].join(' ')}`,
  );
  c.line(`         node bin/scanq.js jobs ls --tenant ${DEMO_TENANTS.main}`);
  const died = r.services.failed().then((error) => {
    throw error;
  });
  await Promise.race([stopped, died]);
}

async function runDev(
  options: DevOptions,
  c: DemoConsole,
  stop: AbortSignal,
  teardown: Teardown,
): Promise<number> {
  const services = new ServiceGroup((line) => c.note(line));
  const check = () => {
    if (stop.aborted) throw new DemoError('demo.interrupted', 'interrupted');
    services.check();
  };
  const env = await endpoint(options, c, teardown);
  check();
  const config = loadConfig(env);
  await guardRealAws(config, 'dev', options.allowRealAws);
  const clients = createAwsClients(config);
  teardown.add('the AWS clients', async () => clients.destroy());
  const report = await bootstrap(config, clients);
  c.line(
    `bootstrap: ${report.unchanged ? 'resources already in place' : 'resources created'} (prefix ${config.prefix})`,
  );
  check();
  const jwtSecret = env.SCANQ_JWT_SECRET ?? randomBytes(32).toString('hex');
  const childEnv = await serviceEnv(env, report, jwtSecret);
  const apiUrl = await startServices(services, options.workers, childEnv, { console: c, teardown, check });
  if (options.demo) {
    const targets: DemoTargets = await startDemoTargets();
    teardown.add('the demo targets', () => targets.close());
    await runDemo({
      config,
      clients,
      apiUrl,
      jwtSecret,
      targets,
      console: c,
      check,
      defer: (cleanup) => teardown.add('the seeded account', cleanup),
      timeoutMs: options.timeout,
    });
  }
  if (options.once === true || options.exit === true) return EXIT.ok;
  const stopped = new Promise<void>((resolve) =>
    stop.addEventListener('abort', () => resolve(), { once: true }),
  );
  await serve({ config, env: childEnv, apiUrl, console: c, services }, stopped);
  return EXIT.ok;
}

/** Runs `scanq dev` with parsed options: the stack, the demo, and a teardown of all of it. */
export async function runDevCommand(options: DevOptions): Promise<number> {
  // Bad configuration exits 2 here, before anything is started.
  configOrExit();
  const c = new DemoConsole();
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    // npm forwards the terminal's Ctrl-C too: one stop, however many signals.
    if (stop.signal.aborted) return;
    c.endStatus();
    c.line(`\n${signal}: stopping every process…`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const teardown = new Teardown();
  try {
    return await runDev(options, c, stop.signal, teardown);
  } catch (error) {
    // Once stopping, whatever failed failed because of it (Ctrl-C also stops the endpoint).
    if (stop.signal.aborted) return INTERRUPTED;
    throw error;
  } finally {
    c.endStatus();
    await teardown.run((line) => c.line(line));
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
