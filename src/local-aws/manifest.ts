/**
 * The one definition of every AWS resource scanq needs. `bootstrap` creates it on a local
 * endpoint; `terraform/` must declare the same names and shapes (test/unit/terraform.test.ts).
 */

/** Names of every resource, derived from one prefix so tests and deployments can isolate. */
export interface ResourceNames {
  readonly table: string;
  readonly queue: string;
  readonly dlq: string;
  /** The bulk lane: a tenant's jobs beyond its burst budget (same DLQ as the jobs queue). */
  readonly bulkQueue: string;
  readonly resultsBucket: string;
  readonly uploadsBucket: string;
  readonly quarantineBucket: string;
  readonly topic: string;
  /** KMS key reference: an alias, usable wherever AWS takes a key id. */
  readonly kmsKey: string;
  /** Secrets Manager names start with this: `{secretsPrefix}/{tenant}/account/{accountId}`. */
  readonly secretsPrefix: string;
}

/** Derives every resource name from a prefix (validated by the config schema). */
export function resourceNames(prefix: string): ResourceNames {
  return {
    table: `${prefix}-data`,
    queue: `${prefix}-jobs`,
    dlq: `${prefix}-jobs-dlq`,
    bulkQueue: `${prefix}-bulk`,
    resultsBucket: `${prefix}-results`,
    uploadsBucket: `${prefix}-uploads`,
    quarantineBucket: `${prefix}-quarantine`,
    topic: `${prefix}-events`,
    kmsKey: `alias/${prefix}`,
    secretsPrefix: prefix,
  };
}

/** Attribute and index names of the single table; the code and terraform both use these. */
export const TABLE = {
  partitionKey: 'tenant',
  sortKey: 'key',
  ttlAttribute: 'expiresAt',
  indexes: {
    /**
     * Open (non-terminal) jobs across tenants by `openKey` = `open#shard` and `sweepAt`, the time
     * the sweeper should look at the job next. Sparse: the finish removes both attributes. Set at
     * insert and left alone by claims and renewals, so a job writes this index twice (insert and
     * finish); keys only, because the sweeper reads the few jobs it acts on from the table.
     */
    byOpen: {
      name: 'by-open',
      partitionKey: 'openKey',
      sortKey: 'sweepAt',
      projection: 'KEYS_ONLY',
    },
    /** Enabled schedules by `dueKey` = `due#shard` and `nextRun`, for the scheduler. */
    byDue: { name: 'by-due', partitionKey: 'dueKey', sortKey: 'nextRun', projection: 'ALL' },
  },
} as const;

export interface IndexSpec {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly projection: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  readonly nonKeyAttributes?: readonly string[];
}

export interface QueueSpec {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** Redrive to this queue (by manifest name) after `maxReceiveCount` receives. */
  readonly deadLetter?: { readonly queue: string; readonly maxReceiveCount: number };
}

export interface BucketSpec {
  readonly name: string;
  readonly versioning: boolean;
  readonly encryption: 'aws:kms';
  readonly blockPublicAccess: boolean;
}

export interface Manifest {
  readonly table: {
    readonly name: string;
    readonly partitionKey: string;
    readonly sortKey: string;
    readonly indexes: readonly IndexSpec[];
    readonly ttlAttribute: string;
    readonly pointInTimeRecovery: boolean;
    readonly encryption: boolean;
  };
  readonly queues: readonly QueueSpec[];
  readonly buckets: readonly BucketSpec[];
  readonly kmsKey: { readonly alias: string; readonly rotation: boolean; readonly description: string };
  readonly topic: { readonly name: string };
}

/** Defaults of the jobs queue; capabilities with longer timeouts extend visibility per message. */
export const QUEUE_DEFAULTS = {
  visibilityTimeoutSeconds: 60,
  waitTimeSeconds: 20,
  retentionSeconds: 4 * 86_400,
  dlqRetentionSeconds: 14 * 86_400,
  maxReceiveCount: 5,
} as const;

/** Builds the manifest for a set of names. Pure. */
export function buildManifest(names: ResourceNames): Manifest {
  const bucket = (name: string): BucketSpec => ({
    name,
    versioning: true,
    encryption: 'aws:kms',
    blockPublicAccess: true,
  });
  return {
    table: {
      name: names.table,
      partitionKey: TABLE.partitionKey,
      sortKey: TABLE.sortKey,
      indexes: Object.values(TABLE.indexes),
      ttlAttribute: TABLE.ttlAttribute,
      pointInTimeRecovery: true,
      encryption: true,
    },
    queues: [
      {
        name: names.dlq,
        attributes: { MessageRetentionPeriod: String(QUEUE_DEFAULTS.dlqRetentionSeconds) },
      },
      {
        name: names.queue,
        attributes: {
          VisibilityTimeout: String(QUEUE_DEFAULTS.visibilityTimeoutSeconds),
          ReceiveMessageWaitTimeSeconds: String(QUEUE_DEFAULTS.waitTimeSeconds),
          MessageRetentionPeriod: String(QUEUE_DEFAULTS.retentionSeconds),
        },
        deadLetter: { queue: names.dlq, maxReceiveCount: QUEUE_DEFAULTS.maxReceiveCount },
      },
      {
        name: names.bulkQueue,
        attributes: {
          VisibilityTimeout: String(QUEUE_DEFAULTS.visibilityTimeoutSeconds),
          ReceiveMessageWaitTimeSeconds: String(QUEUE_DEFAULTS.waitTimeSeconds),
          MessageRetentionPeriod: String(QUEUE_DEFAULTS.retentionSeconds),
        },
        deadLetter: { queue: names.dlq, maxReceiveCount: QUEUE_DEFAULTS.maxReceiveCount },
      },
    ],
    buckets: [bucket(names.resultsBucket), bucket(names.uploadsBucket), bucket(names.quarantineBucket)],
    kmsKey: {
      alias: names.kmsKey,
      rotation: true,
      description: 'scanq: tenant credentials and object encryption',
    },
    topic: { name: names.topic },
  };
}
