import { ScanqError } from '../lib/errors.js';
import { type ResourceNames, resourceNames } from '../local-aws/manifest.js';
import { ENV_SCHEMA, type EnvName, type ParsedEnv } from './schema.js';

export { parseDuration } from './duration.js';
export { ENV_SCHEMA } from './schema.js';

/** AWS services scanq talks to; each may have its own endpoint. */
export const SERVICES = [
  'sqs',
  'dynamodb',
  's3',
  'secretsManager',
  'sns',
  'sts',
  'kms',
  'iam',
  'ec2',
] as const;
export type Service = (typeof SERVICES)[number];

const SERVICE_ENDPOINT_VARS: Record<Service, EnvName> = {
  sqs: 'AWS_ENDPOINT_URL_SQS',
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  s3: 'AWS_ENDPOINT_URL_S3',
  secretsManager: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  sns: 'AWS_ENDPOINT_URL_SNS',
  sts: 'AWS_ENDPOINT_URL_STS',
  kms: 'AWS_ENDPOINT_URL_KMS',
  iam: 'AWS_ENDPOINT_URL_IAM',
  ec2: 'AWS_ENDPOINT_URL_EC2',
};

/** The one typed configuration object, built once at start-up and passed down. */
export interface Config {
  readonly region: string;
  /** Endpoint per service; `undefined` means the real AWS endpoint. */
  readonly endpoints: Readonly<Record<Service, string | undefined>>;
  /** True when any service points at a non-AWS endpoint (moto, ElasticMQ, LocalStack…). */
  readonly local: boolean;
  /**
   * Static credentials for local endpoints: from the environment, else `test`/`test`. Undefined
   * against real AWS, where the SDK's default provider chain (roles, SSO, env) is used.
   */
  readonly localCredentials:
    | { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string }
    | undefined;
  readonly prefix: string;
  readonly resources: ResourceNames & {
    readonly queueUrl: string | undefined;
    readonly dlqUrl: string | undefined;
    readonly topicArn: string | undefined;
    /** The bulk lane's queue (SCANQ_BULK_QUEUE_URL); looked up by name when unset. */
    readonly bulkQueueUrl: string | undefined;
  };
  readonly producer: {
    /** Send `MessageGroupId = tenant` (SQS fair queues). Default true. */
    readonly messageGroupId: boolean;
    /** Rule 4: a passed job may be rescanned after this long. Default 12 h. */
    readonly rescanAfterMs: number;
    /** Rule 6: any job older than this may be re-inserted. Default 2 days. */
    readonly safetyNetAfterMs: number;
    /** Job items expire (DynamoDB TTL) this long after their last write. Default 7 days. */
    readonly jobTtlMs: number;
  };
  readonly sweeper: {
    readonly intervalMs: number;
    /** A `JQ` job untouched for this long is presumed to have lost its message. Default 5 m. */
    readonly lostEnqueueAfterMs: number;
  };
  readonly worker: {
    /** Jobs run at once per worker process. Default 8. */
    readonly concurrency: number;
    /**
     * Hard per-tenant cap inside one worker for tenants whose profile sets no `limits.maxInFlight`.
     * 0 (default) = none: the lanes keep a flood behind other tenants' work (docs/WORKER.md).
     */
    readonly tenantMaxInFlight: number;
    /** On SIGTERM, how long in-flight jobs may run before they are released. Default 25 s. */
    readonly drainTimeoutMs: number;
    /** How long fetched credentials stay cached. Default 5 m. */
    readonly credentialsTtlMs: number;
    /** How long tenant profiles (limits) stay cached. Default 60 s. */
    readonly profileTtlMs: number;
    /** Delay of a message deferred because its tenant is at its cap. Default 2 s. */
    readonly deferDelayMs: number;
    /** Base and cap of the exponential backoff of transient failures. Defaults 2 s and 5 m. */
    readonly retryBaseMs: number;
    readonly retryMaxMs: number;
    /**
     * Tenant sessions (docs/SECURITY.md): capabilities run with credentials of this role assumed
     * per tenant with a tenant-scoped session policy (SCANQ_TENANT_ROLE_ARN; unset = off, they use
     * the worker's own credentials), for `sessionMs` (SCANQ_TENANT_SESSION_DURATION, 15m-12h,
     * default 1 h; the role's maximum session duration applies).
     */
    readonly tenantSession: { readonly roleArn: string | undefined; readonly sessionMs: number };
  };
  /**
   * The two lanes (docs/WORKER.md): a tenant's jobs go to the jobs queue while it is within its
   * burst budget, a token bucket whose defaults a profile's `limits.laneRatePerSecond` and
   * `limits.laneBurst` override; the excess goes to the bulk queue.
   */
  readonly lanes: {
    /** Jobs per second a tenant's bucket refills (SCANQ_LANE_RATE). Default 20. */
    readonly ratePerSecond: number;
    /** Jobs a tenant may send to the jobs queue at once (SCANQ_LANE_BURST). Default 40. */
    readonly burst: number;
    /** A worker's receives include the bulk queue at least once in this many (SCANQ_BULK_EVERY). Default 4. */
    readonly bulkEvery: number;
  };
  /** Scan targets on loopback are allowed (dev, tests). Default false. */
  readonly allowLoopback: boolean;
  /**
   * Let the commands that create or change resources (`bootstrap`, `dev`, `bench`, `chaos`, `fuzz`)
   * act on real AWS endpoints (`--allow-real-aws` does the same per run). Default false.
   */
  readonly allowRealAws: boolean;
  readonly scheduler: {
    /** How often the scheduler looks for due schedules (SCANQ_SCHEDULER_INTERVAL). Default 60 s. */
    readonly intervalMs: number;
  };
  /** The `external` capability and its callback (all optional: unset = not offered). */
  readonly external: {
    /** Where hand-offs are POSTed (SCANQ_EXTERNAL_SCANNER_URL). */
    readonly scannerUrl: string | undefined;
    /** Public base of the API the scanner calls back (SCANQ_CALLBACK_BASE_URL). */
    readonly callbackBaseUrl: string | undefined;
    /** HMAC-SHA256 key of callback tokens, ≥ 32 bytes (SCANQ_CALLBACK_SECRET). Never logged. */
    readonly callbackSecret: string | undefined;
    /** How long a hand-off may take before the job fails; also the token lifetime. Default 1 h. */
    readonly deadlineMs: number;
  };
  /** Attempts of every AWS SDK call (its own retries, with backoff). Default 3. */
  readonly awsMaxAttempts: number;
  /** Shards of the sweeper/scheduler index keys, so one status is not one hot partition. */
  readonly indexShards: number;
  readonly moto: 'auto' | 'venv' | 'system';
  /** Where `local-aws start` records its processes and logs; default `<project>/.scanq`. */
  readonly stateDir: string | undefined;
  readonly logLevel: ParsedEnv['LOG_LEVEL'];
  readonly api: {
    /** Listen address of `scanq api` (SCANQ_API_HOST, SCANQ_API_PORT). Defaults 127.0.0.1 and 8080. */
    readonly host: string;
    readonly port: number;
    /** Requests per second per tenant when its profile sets no `limits.ratePerSecond`. Default 50. */
    readonly ratePerSecond: number;
  };
  /**
   * The status server of `worker`, `scheduler` and `sweeper` (`/healthz`, `/readyz`), for probes
   * and health checks: SCANQ_STATUS_HOST (default 127.0.0.1) and SCANQ_STATUS_PORT (default
   * unset: no server).
   */
  readonly status: { readonly host: string; readonly port: number | undefined };
  /** Metrics and traces (src/telemetry). Off by default: no OpenTelemetry SDK is loaded. */
  readonly telemetry: TelemetryConfig;
  /**
   * How API bearer tokens are verified: an HS256 secret (≥ 32 bytes) or a JWKS URL, plus the
   * expected issuer and audience when set. Neither set: `scanq api` refuses to start. Never logged.
   */
  readonly auth: {
    readonly jwtSecret: string | undefined;
    readonly jwksUrl: string | undefined;
    readonly issuer: string | undefined;
    readonly audience: string | undefined;
  };
  /** The ops board (`/board`, docs/BOARD.md). */
  readonly board: BoardConfig;
}

/** What the ops board reads and how people sign in to it. */
export interface BoardConfig {
  /**
   * The operator tenant (SCANQ_OPERATOR_TENANT): its `admin` users see every tenant's counts, the
   * queues and the DLQ. Default unset: nobody is an operator.
   */
  readonly operatorTenant: string | undefined;
  /**
   * Prometheus `/metrics` URLs of the workers and the sweeper (SCANQ_BOARD_METRICS_URLS), read by the
   * overview besides the API's own metrics. Default none.
   */
  readonly metricsUrls: readonly string[];
  /**
   * OIDC authorization code flow with PKCE for the board's sign-in: set when SCANQ_OIDC_AUTHORIZATION_URL,
   * SCANQ_OIDC_TOKEN_URL and SCANQ_OIDC_CLIENT_ID are all set. Default unset (a pasted token only).
   */
  readonly oidc:
    | {
        readonly authorizationUrl: string;
        readonly tokenUrl: string;
        readonly clientId: string;
        /** Space-separated (SCANQ_OIDC_SCOPES). Default `openid`. */
        readonly scopes: string;
        /** Which token of the answer is the API bearer token (SCANQ_OIDC_TOKEN). Default `access_token`. */
        readonly token: 'access_token' | 'id_token';
      }
    | undefined;
}

/** Where metrics and traces go. Every field is validated from SCANQ_METRICS* and the standard OTEL_* variables. */
export interface TelemetryConfig {
  /**
   * `/metrics` (Prometheus text) on the status server of worker, scheduler and sweeper
   * (SCANQ_METRICS; needs SCANQ_STATUS_PORT). Default false. The API always serves `/metrics`.
   */
  readonly prometheus: boolean;
  /** Tenants with their own `tenant` label value; the rest are `other` (SCANQ_METRICS_TENANTS). Default 20. */
  readonly tenantLabels: number;
  /** `service.name` of spans and metrics (OTEL_SERVICE_NAME). Default `scanq-{process}`. */
  readonly serviceName: string | undefined;
  /** Extra resource attributes (OTEL_RESOURCE_ATTRIBUTES). */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /** OTLP/HTTP protobuf trace export URL; undefined = no traces (no OTLP endpoint, or disabled). */
  readonly tracesUrl: string | undefined;
  /** OTLP/HTTP protobuf metrics export URL; undefined = no OTLP metrics. */
  readonly metricsUrl: string | undefined;
  /** OTLP metrics export interval (OTEL_METRIC_EXPORT_INTERVAL). Default 60 s. */
  readonly metricsIntervalMs: number;
  /** OTEL_TRACES_SAMPLER and its ratio (OTEL_TRACES_SAMPLER_ARG, default 1). */
  readonly sampler: { readonly name: ParsedEnv['OTEL_TRACES_SAMPLER']; readonly ratio: number };
}

/** `base` + `/v1/{signal}` per the OTLP exporter spec (a signal-specific endpoint is used as is). */
function otlpUrl(specific: string | undefined, base: string | undefined, signal: string): string | undefined {
  if (specific) return specific;
  if (!base) return undefined;
  return `${base.replace(/\/+$/, '')}/v1/${signal}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function telemetryConfig(e: ParsedEnv): TelemetryConfig {
  const disabled = e.OTEL_SDK_DISABLED;
  const metricsExporters = (e.OTEL_METRICS_EXPORTER ?? 'otlp').split(',');
  const tracesUrl =
    disabled || e.OTEL_TRACES_EXPORTER === 'none'
      ? undefined
      : otlpUrl(e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, e.OTEL_EXPORTER_OTLP_ENDPOINT, 'traces');
  const metricsUrl =
    disabled || !metricsExporters.includes('otlp')
      ? undefined
      : otlpUrl(e.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, e.OTEL_EXPORTER_OTLP_ENDPOINT, 'metrics');
  const resourceAttributes = Object.fromEntries(
    (e.OTEL_RESOURCE_ATTRIBUTES ?? '')
      .split(',')
      .filter((pair) => pair.includes('='))
      .map((pair) => {
        const at = pair.indexOf('=');
        return [safeDecode(pair.slice(0, at).trim()), safeDecode(pair.slice(at + 1).trim())];
      }),
  );
  return {
    prometheus: e.SCANQ_METRICS,
    tenantLabels: e.SCANQ_METRICS_TENANTS,
    serviceName: e.OTEL_SERVICE_NAME,
    resourceAttributes,
    tracesUrl,
    metricsUrl,
    metricsIntervalMs: e.OTEL_METRIC_EXPORT_INTERVAL ?? 60_000,
    sampler: { name: e.OTEL_TRACES_SAMPLER, ratio: e.OTEL_TRACES_SAMPLER_ARG ?? 1 },
  };
}

/** Rules between variables, checked after each variable passed its own. */
function crossChecks(e: ParsedEnv): string[] {
  const problems: string[] = [];
  if (e.SCANQ_METRICS && e.SCANQ_STATUS_PORT === undefined)
    problems.push(
      'SCANQ_METRICS: needs SCANQ_STATUS_PORT (worker, scheduler and sweeper serve /metrics on their status server)',
    );
  const oidc = [e.SCANQ_OIDC_AUTHORIZATION_URL, e.SCANQ_OIDC_TOKEN_URL, e.SCANQ_OIDC_CLIENT_ID];
  if (oidc.some((v) => v !== undefined) && !oidc.every((v) => v !== undefined))
    problems.push(
      'SCANQ_OIDC_AUTHORIZATION_URL, SCANQ_OIDC_TOKEN_URL, SCANQ_OIDC_CLIENT_ID: set all three for the board sign-in, or none',
    );
  return problems;
}

/** Bad configuration: one line per variable and the rule it breaks. */
export class ConfigError extends ScanqError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('config.invalid', `invalid configuration:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function parseEnv(env: Env): ParsedEnv {
  const problems: string[] = [];
  const parsed: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(ENV_SCHEMA)) {
    const raw = env[name];
    const result = schema.safeParse(raw === '' ? undefined : raw);
    if (result.success) parsed[name] = result.data;
    else problems.push(...result.error.issues.map((issue) => `${name}: ${issue.message}`));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const crossed = crossChecks(parsed as ParsedEnv);
  if (crossed.length > 0) throw new ConfigError(crossed);
  return parsed as ParsedEnv;
}

/**
 * Validates the environment once and returns the typed configuration.
 * @throws ConfigError listing every problem, one per variable.
 */
export function loadConfig(env: Env): Config {
  const e = parseEnv(env);
  const endpoints = Object.fromEntries(
    SERVICES.map((service) => [service, e[SERVICE_ENDPOINT_VARS[service]] ?? e.AWS_ENDPOINT_URL]),
  ) as Record<Service, string | undefined>;
  const local = Object.values(endpoints).some((endpoint) => endpoint !== undefined);
  const names = resourceNames(e.SCANQ_PREFIX);
  return {
    region: e.AWS_REGION,
    endpoints,
    local,
    localCredentials: local
      ? {
          accessKeyId: e.AWS_ACCESS_KEY_ID ?? 'test',
          secretAccessKey: e.AWS_SECRET_ACCESS_KEY ?? 'test',
          ...(e.AWS_SESSION_TOKEN ? { sessionToken: e.AWS_SESSION_TOKEN } : {}),
        }
      : undefined,
    prefix: e.SCANQ_PREFIX,
    resources: {
      ...names,
      table: e.SCANQ_TABLE ?? names.table,
      resultsBucket: e.SCANQ_RESULTS_BUCKET ?? names.resultsBucket,
      uploadsBucket: e.SCANQ_UPLOADS_BUCKET ?? names.uploadsBucket,
      quarantineBucket: e.SCANQ_QUARANTINE_BUCKET ?? names.quarantineBucket,
      kmsKey: e.SCANQ_KMS_KEY_ID ?? names.kmsKey,
      secretsPrefix: e.SCANQ_SECRETS_PREFIX ?? names.secretsPrefix,
      queueUrl: e.SCANQ_QUEUE_URL,
      dlqUrl: e.SCANQ_DLQ_URL,
      topicArn: e.SCANQ_TOPIC_ARN,
      bulkQueueUrl: e.SCANQ_BULK_QUEUE_URL,
    },
    producer: {
      messageGroupId: e.SCANQ_MESSAGE_GROUP_ID,
      rescanAfterMs: e.SCANQ_RESCAN_AFTER,
      safetyNetAfterMs: e.SCANQ_SAFETY_NET_AFTER,
      jobTtlMs: e.SCANQ_JOB_TTL,
    },
    sweeper: { intervalMs: e.SCANQ_SWEEP_INTERVAL, lostEnqueueAfterMs: e.SCANQ_LOST_ENQUEUE_AFTER },
    worker: {
      concurrency: e.SCANQ_WORKER_CONCURRENCY,
      tenantMaxInFlight: e.SCANQ_TENANT_MAX_IN_FLIGHT,
      drainTimeoutMs: e.SCANQ_DRAIN_TIMEOUT,
      credentialsTtlMs: e.SCANQ_CREDENTIALS_TTL,
      profileTtlMs: e.SCANQ_PROFILE_TTL,
      deferDelayMs: e.SCANQ_DEFER_DELAY,
      retryBaseMs: e.SCANQ_RETRY_BASE,
      retryMaxMs: e.SCANQ_RETRY_MAX,
      tenantSession: { roleArn: e.SCANQ_TENANT_ROLE_ARN, sessionMs: e.SCANQ_TENANT_SESSION_DURATION },
    },
    lanes: { ratePerSecond: e.SCANQ_LANE_RATE, burst: e.SCANQ_LANE_BURST, bulkEvery: e.SCANQ_BULK_EVERY },
    allowLoopback: e.SCANQ_ALLOW_LOOPBACK,
    allowRealAws: e.SCANQ_ALLOW_REAL_AWS,
    scheduler: { intervalMs: e.SCANQ_SCHEDULER_INTERVAL },
    external: {
      scannerUrl: e.SCANQ_EXTERNAL_SCANNER_URL,
      callbackBaseUrl: e.SCANQ_CALLBACK_BASE_URL,
      callbackSecret: e.SCANQ_CALLBACK_SECRET,
      deadlineMs: e.SCANQ_EXTERNAL_DEADLINE,
    },
    awsMaxAttempts: e.SCANQ_AWS_MAX_ATTEMPTS,
    indexShards: e.SCANQ_INDEX_SHARDS,
    moto: e.SCANQ_MOTO,
    stateDir: e.SCANQ_STATE_DIR,
    logLevel: e.LOG_LEVEL,
    status: { host: e.SCANQ_STATUS_HOST, port: e.SCANQ_STATUS_PORT },
    api: { host: e.SCANQ_API_HOST, port: e.SCANQ_API_PORT, ratePerSecond: e.SCANQ_API_RATE_LIMIT },
    telemetry: telemetryConfig(e),
    auth: {
      jwtSecret: e.SCANQ_JWT_SECRET,
      jwksUrl: e.SCANQ_JWT_JWKS_URL,
      issuer: e.SCANQ_JWT_ISSUER,
      audience: e.SCANQ_JWT_AUDIENCE,
    },
    board: {
      operatorTenant: e.SCANQ_OPERATOR_TENANT,
      metricsUrls: e.SCANQ_BOARD_METRICS_URLS,
      oidc:
        e.SCANQ_OIDC_AUTHORIZATION_URL && e.SCANQ_OIDC_TOKEN_URL && e.SCANQ_OIDC_CLIENT_ID
          ? {
              authorizationUrl: e.SCANQ_OIDC_AUTHORIZATION_URL,
              tokenUrl: e.SCANQ_OIDC_TOKEN_URL,
              clientId: e.SCANQ_OIDC_CLIENT_ID,
              scopes: e.SCANQ_OIDC_SCOPES,
              token: e.SCANQ_OIDC_TOKEN,
            }
          : undefined,
    },
  };
}
