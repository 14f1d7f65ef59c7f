import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coerceError } from '../lib/errors.js';
import { LocalAwsError } from './errors.js';
import { startDynamoDbLocal, startElasticMq } from './load.js';
import { startMoto } from './moto.js';
import { isAlive, type LocalProcess, stopProcess } from './process.js';

export { type BootstrapReport, bootstrap } from './bootstrap/index.js';
export { LocalAwsError } from './errors.js';
export { buildManifest, type Manifest, resourceNames, TABLE } from './manifest.js';
export { freePort, isAlive, type LocalProcess } from './process.js';

/** `default`: everything on moto. `load`: SQS on ElasticMQ, DynamoDB on DynamoDB Local, the rest on moto. */
export type Profile = 'default' | 'load';
export const PROFILES: readonly Profile[] = ['default', 'load'];

/** A running local AWS endpoint set. */
export interface LocalAws {
  readonly profile: Profile;
  readonly processes: readonly LocalProcess[];
  /** Environment variables that point the SDK (and scanq's config) at these emulators. */
  readonly env: Readonly<Record<string, string>>;
  /** What could not be started and what was used instead. */
  readonly notes: readonly string[];
}

export interface StartOptions {
  readonly profile: Profile;
  readonly mode: 'auto' | 'venv' | 'system';
  /** Keep running after this process exits (CLI `local-aws start`). */
  readonly detached: boolean;
  /** Project root (holds requirements-moto.txt and .venv); default the package root. */
  readonly root?: string;
  /** Logs go to `{stateDir}/logs`; default `<project>/.scanq`. */
  readonly stateDir?: string;
  readonly say?: (line: string) => void;
  /**
   * Keep SQS and DynamoDB data in this directory across restarts (ElasticMQ and DynamoDB Local of
   * the `load` profile; moto cannot persist, so the `default` profile refuses it). Default none:
   * every emulator keeps its data in memory, gone when it stops.
   */
  readonly dataDir?: string;
}

/** The project root (holds package.json, requirements-moto.txt, .venv, .scanq). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Default home of the state file and logs. */
export const DEFAULT_STATE_DIR = join(PROJECT_ROOT, '.scanq');

const stateFile = (dir: string) => join(dir, 'local-aws.json');

/** Starts the emulators of a profile; a load-profile piece that fails falls back to moto, with a note. */
export async function startLocalAws(options: StartOptions): Promise<LocalAws> {
  const root = options.root ?? PROJECT_ROOT;
  const say = options.say ?? (() => {});
  const logDir = join(options.stateDir ?? DEFAULT_STATE_DIR, 'logs');
  mkdirSync(logDir, { recursive: true });
  if (options.dataDir && options.profile !== 'load') {
    throw new LocalAwsError(
      'localAws.persist',
      'moto keeps its data in memory only: keeping data across restarts needs --profile load (SQS on ElasticMQ, DynamoDB on DynamoDB Local)',
    );
  }
  const common = { root, detached: options.detached, logDir, say };
  const moto = await startMoto({ ...common, mode: options.mode });
  const processes: LocalProcess[] = [moto];
  const env: Record<string, string> = {
    AWS_ENDPOINT_URL: moto.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  };
  const notes: string[] = [];
  if (options.profile === 'load') {
    const pieces = [
      { name: 'ElasticMQ', variable: 'AWS_ENDPOINT_URL_SQS', start: startElasticMq },
      { name: 'DynamoDB Local', variable: 'AWS_ENDPOINT_URL_DYNAMODB', start: startDynamoDbLocal },
    ];
    for (const piece of pieces) {
      try {
        const started = await piece.start({
          ...common,
          ...(options.dataDir ? { dataDir: options.dataDir } : {}),
        });
        processes.push(started);
        env[piece.variable] = started.url;
      } catch (error) {
        notes.push(
          `${piece.name} unavailable (${coerceError(error).message}); using moto for it${options.dataDir ? ', in memory only' : ''}`,
        );
      }
    }
  }
  if (options.dataDir) {
    notes.push(
      `SQS and DynamoDB data kept in ${options.dataDir}; S3, Secrets Manager, KMS and SNS (moto) start empty each time: run scanq bootstrap after a restart`,
    );
  }
  return { profile: options.profile, processes, env, notes };
}

/** Stops every process of a local endpoint set and waits until they are gone. */
export async function stopLocalAws(aws: Pick<LocalAws, 'processes'>): Promise<void> {
  await Promise.all(aws.processes.map((p) => stopProcess(p.pid)));
}

/** Records a detached endpoint set so `status` and `stop` can find it. */
export function writeState(aws: LocalAws, dir = DEFAULT_STATE_DIR): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(stateFile(dir), `${JSON.stringify(aws, null, 2)}\n`);
}

/** The recorded detached endpoint set, if any. */
export function readState(dir = DEFAULT_STATE_DIR): LocalAws | undefined {
  const file = stateFile(dir);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LocalAws;
  } catch (error) {
    throw new LocalAwsError('localAws.state', `unreadable state file ${file}; delete it`, { cause: error });
  }
}

export function clearState(dir = DEFAULT_STATE_DIR): void {
  rmSync(stateFile(dir), { force: true });
}

/** Which recorded processes are still running. */
export function liveProcesses(aws: LocalAws): LocalProcess[] {
  return aws.processes.filter((p) => isAlive(p.pid));
}

/** `export NAME=value` lines for a shell. */
export function exportLines(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(env).map(([name, value]) => `export ${name}=${value}`);
}
