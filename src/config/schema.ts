import { z } from 'zod';
import { parseDuration } from './duration.js';

const boolText = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be a positive duration such as 500ms, 30s, 5m, 12h or 2d',
    });
    return z.NEVER;
  }
  return ms;
});

const url = z.string().refine(
  (text) => {
    try {
      const parsed = new URL(text);
      return parsed.protocol === 'http:' || parsed.protocol === 'https:';
    } catch {
      return false;
    }
  },
  { message: 'must be an http(s) URL' },
);

const positiveInt = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number' })
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, { message: `must be between 1 and ${max}` });

/** Resource names must be valid for every service they name (S3 is the strictest). */
const prefix = z.string().regex(/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/, {
  message: 'must be 3-32 characters of lowercase letters, digits and hyphens, starting with a letter',
});

const host = z.string().regex(/^[A-Za-z0-9.:-]{1,253}$/, { message: 'must be a host name or IP address' });

/** A TCP port; 0 asks the system for a free one. */
const port = z
  .string()
  .regex(/^\d+$/, { message: 'must be a whole number' })
  .transform(Number)
  .refine((n) => n >= 0 && n <= 65_535, { message: 'must be between 0 and 65535' });

/** scanq's OTLP exporters speak protobuf over HTTP (the packages it ships); no gRPC, no JSON. */
const otlpProtocol = z.enum(['http/protobuf'], {
  message: 'must be http/protobuf (scanq exports OTLP over HTTP with protobuf only)',
});

const name = z.string().regex(/^[A-Za-z0-9._/:-]{1,255}$/, { message: 'must be a valid resource name' });

/**
 * Every environment variable scanq reads, its rule, and its default (if a safe one exists).
 * The README's configuration table mirrors this object.
 */
export const ENV_SCHEMA = {
  AWS_REGION: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: 'must be an AWS region such as us-east-1' })
    .default('us-east-1'),
  AWS_ENDPOINT_URL: url.optional(),
  AWS_ENDPOINT_URL_SQS: url.optional(),
  AWS_ENDPOINT_URL_DYNAMODB: url.optional(),
  AWS_ENDPOINT_URL_S3: url.optional(),
  AWS_ENDPOINT_URL_SECRETS_MANAGER: url.optional(),
  AWS_ENDPOINT_URL_SNS: url.optional(),
  AWS_ENDPOINT_URL_STS: url.optional(),
  AWS_ENDPOINT_URL_KMS: url.optional(),
  AWS_ENDPOINT_URL_IAM: url.optional(),
  AWS_ENDPOINT_URL_EC2: url.optional(),
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  AWS_SESSION_TOKEN: z.string().min(1).optional(),
  SCANQ_PREFIX: prefix.default('scanq'),
  SCANQ_TABLE: name.optional(),
  SCANQ_QUEUE_URL: url.optional(),
  SCANQ_DLQ_URL: url.optional(),
  SCANQ_BULK_QUEUE_URL: url.optional(),
  SCANQ_RESULTS_BUCKET: name.optional(),
  SCANQ_UPLOADS_BUCKET: name.optional(),
  SCANQ_QUARANTINE_BUCKET: name.optional(),
  SCANQ_TOPIC_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:/, { message: 'must be an SNS topic ARN' })
    .optional(),
  SCANQ_KMS_KEY_ID: name.optional(),
  SCANQ_SECRETS_PREFIX: name.optional(),
  SCANQ_MESSAGE_GROUP_ID: boolText.default(true),
  SCANQ_RESCAN_AFTER: duration.default(12 * 3_600_000),
  SCANQ_SAFETY_NET_AFTER: duration.default(2 * 86_400_000),
  SCANQ_JOB_TTL: duration.default(7 * 86_400_000),
  SCANQ_SWEEP_INTERVAL: duration.default(30_000),
  SCANQ_LOST_ENQUEUE_AFTER: duration.default(5 * 60_000),
  SCANQ_INDEX_SHARDS: positiveInt(64).default(8),
  SCANQ_WORKER_CONCURRENCY: positiveInt(1000).default(8),
  SCANQ_TENANT_MAX_IN_FLIGHT: z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number (0 = no cap)' })
    .transform(Number)
    .default(0),
  SCANQ_DRAIN_TIMEOUT: duration.default(25_000),
  SCANQ_CREDENTIALS_TTL: duration.default(5 * 60_000),
  SCANQ_PROFILE_TTL: duration.default(60_000),
  SCANQ_DEFER_DELAY: duration.default(2_000),
  SCANQ_LANE_RATE: z
    .string()
    .regex(/^\d+(\.\d+)?$/, { message: 'must be a positive number of jobs per second' })
    .transform(Number)
    .refine((n) => n > 0 && n <= 100_000, { message: 'must be a positive number up to 100000' })
    .default(20),
  SCANQ_LANE_BURST: positiveInt(100_000).default(40),
  SCANQ_BULK_EVERY: positiveInt(100).default(4),
  SCANQ_RETRY_BASE: duration.default(2_000),
  SCANQ_RETRY_MAX: duration.default(5 * 60_000),
  SCANQ_ALLOW_LOOPBACK: boolText.default(false),
  SCANQ_ALLOW_REAL_AWS: boolText.default(false),
  SCANQ_SCHEDULER_INTERVAL: duration.default(60_000),
  SCANQ_EXTERNAL_SCANNER_URL: url.optional(),
  SCANQ_CALLBACK_BASE_URL: url.optional(),
  SCANQ_CALLBACK_SECRET: z
    .string()
    .refine((text) => Buffer.byteLength(text, 'utf8') >= 32, { message: 'must be at least 32 bytes' })
    .optional(),
  SCANQ_EXTERNAL_DEADLINE: duration.default(3_600_000),
  SCANQ_AWS_MAX_ATTEMPTS: positiveInt(10).default(3),
  SCANQ_API_HOST: host.default('127.0.0.1'),
  SCANQ_API_PORT: port.default(8080),
  SCANQ_STATUS_HOST: host.default('127.0.0.1'),
  SCANQ_STATUS_PORT: port.optional(),
  SCANQ_API_RATE_LIMIT: z
    .string()
    .regex(/^\d+(\.\d+)?$/, { message: 'must be a positive number of requests per second' })
    .transform(Number)
    .refine((n) => n > 0 && n <= 100_000, { message: 'must be a positive number up to 100000' })
    .default(50),
  SCANQ_JWT_SECRET: z
    .string()
    .refine((text) => Buffer.byteLength(text, 'utf8') >= 32, { message: 'must be at least 32 bytes' })
    .optional(),
  SCANQ_JWT_JWKS_URL: url.optional(),
  SCANQ_JWT_ISSUER: z.string().min(1).max(1024).optional(),
  SCANQ_JWT_AUDIENCE: z.string().min(1).max(1024).optional(),
  SCANQ_STATE_DIR: z.string().min(1).optional(),
  SCANQ_MOTO: z.enum(['auto', 'venv', 'system'], { message: 'must be auto, venv or system' }).default('auto'),
  SCANQ_METRICS: boolText.default(false),
  SCANQ_METRICS_TENANTS: z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number of tenants (0 = every tenant is labelled other)' })
    .transform(Number)
    .refine((n) => n <= 1000, { message: 'must be at most 1000' })
    .default(20),
  OTEL_SDK_DISABLED: boolText.default(false),
  OTEL_SERVICE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,128}$/, {
      message: 'must be 1-128 letters, digits, dots, hyphens or underscores',
    })
    .optional(),
  OTEL_RESOURCE_ATTRIBUTES: z
    .string()
    .regex(/^[^=,]+=[^,]*(,[^=,]+=[^,]*)*$/, { message: 'must be key=value pairs separated by commas' })
    .optional(),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none'], { message: 'must be otlp or none' }).optional(),
  OTEL_METRICS_EXPORTER: z
    .string()
    .regex(/^(otlp|prometheus|none)(,(otlp|prometheus|none))*$/, {
      message: 'must be a comma-separated list of otlp, prometheus, none',
    })
    .optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: url.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url.optional(),
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: url.optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol.optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol.optional(),
  OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: otlpProtocol.optional(),
  OTEL_EXPORTER_OTLP_HEADERS: z
    .string()
    .regex(/^[^=,]+=[^,]*(,[^=,]+=[^,]*)*$/, { message: 'must be key=value pairs separated by commas' })
    .optional(),
  OTEL_METRIC_EXPORT_INTERVAL: z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number of milliseconds' })
    .transform(Number)
    .refine((n) => n >= 1000 && n <= 3_600_000, { message: 'must be between 1000 and 3600000 ms' })
    .optional(),
  OTEL_TRACES_SAMPLER: z
    .enum(
      [
        'always_on',
        'always_off',
        'traceidratio',
        'parentbased_always_on',
        'parentbased_always_off',
        'parentbased_traceidratio',
      ],
      {
        message:
          'must be always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio',
      },
    )
    .default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: z
    .string()
    .regex(/^(0(\.\d+)?|1(\.0+)?)$/, { message: 'must be a ratio between 0 and 1' })
    .transform(Number)
    .optional(),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  /** The tenant-session role a worker assumes for each tenant's capabilities; unset = off. */
  SCANQ_TENANT_ROLE_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, {
      message: 'must be an IAM role ARN such as arn:aws:iam::123456789012:role/scanq-tenant-session',
    })
    .optional(),
  SCANQ_TENANT_SESSION_DURATION: duration
    .refine((ms) => ms >= 900_000 && ms <= 43_200_000, { message: 'must be between 15m and 12h' })
    .default(3_600_000),
  SCANQ_OPERATOR_TENANT: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/, { message: 'must be a tenant id' })
    .optional(),
  SCANQ_BOARD_METRICS_URLS: z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== ''),
    )
    .pipe(z.array(url).max(64, { message: 'must list at most 64 URLs' }))
    .default([]),
  SCANQ_OIDC_AUTHORIZATION_URL: url.optional(),
  SCANQ_OIDC_TOKEN_URL: url.optional(),
  SCANQ_OIDC_CLIENT_ID: z
    .string()
    .regex(/^[\x21-\x7e]{1,256}$/, { message: 'must be 1-256 printable characters' })
    .optional(),
  SCANQ_OIDC_SCOPES: z
    .string()
    .regex(/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/, {
      message: 'must be scope names separated by single spaces',
    })
    .default('openid'),
  SCANQ_OIDC_TOKEN: z
    .enum(['access_token', 'id_token'], { message: 'must be access_token or id_token' })
    .default('access_token'),
} as const;

export type EnvName = keyof typeof ENV_SCHEMA;
export type ParsedEnv = { [K in EnvName]: z.output<(typeof ENV_SCHEMA)[K]> };
