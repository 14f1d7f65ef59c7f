import type { Attributes, Meter } from '@opentelemetry/api';
import { TenantLabels } from './tenant-labels.js';

/** Histogram buckets in seconds, from a fast noop to a long scan. */
const SECONDS_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600,
];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Every metric scanq exports, by its Prometheus name (what `/metrics` shows and what the alert
 * rules and the dashboard may name). Counters get `_total` from the exporter; histograms add
 * `_bucket`, `_sum` and `_count`. A test checks deploy/prometheus and deploy/grafana against this.
 */
export const METRIC_NAMES = {
  jobsEnqueued: 'scanq_jobs_enqueued_total',
  jobsStarted: 'scanq_jobs_started_total',
  jobsFinished: 'scanq_jobs_finished_total',
  jobRetries: 'scanq_job_retries_total',
  jobHandoffs: 'scanq_job_handoffs_total',
  jobReleases: 'scanq_job_releases_total',
  fencedWrites: 'scanq_fenced_writes_total',
  deferrals: 'scanq_job_deferrals_total',
  deadLetters: 'scanq_dead_letters_total',
  jobDuration: 'scanq_job_duration_seconds',
  jobDwell: 'scanq_job_dwell_seconds',
  inFlight: 'scanq_worker_jobs_in_flight',
  credentialsCache: 'scanq_credentials_cache_requests_total',
  queueMessages: 'scanq_queue_messages',
  sweeperActions: 'scanq_sweeper_jobs_total',
  schedulesFired: 'scanq_schedules_fired_total',
  httpRequests: 'scanq_http_requests_total',
  httpDuration: 'scanq_http_request_duration_seconds',
  unknownJobs: 'scanq_unknown_job_messages_total',
} as const;

/** An instrument's OpenTelemetry name: the Prometheus name without the `_total` the exporter adds. */
const otelName = (name: string) => name.replace(/_total$/, '');

/** How an attempt ended, as the worker reports it. */
export type AttemptEndLabel = 'passed' | 'failed' | 'retried' | 'handedOff' | 'released' | 'fenced';

/** The states of a queue's messages the sweeper samples. */
export type QueueState = 'visible' | 'in_flight' | 'delayed';

/**
 * What scanq records, as calls with typed arguments; the tenant label passes the cardinality
 * guard in each call. With telemetry off these are the no-op instruments of the API's default
 * meter (nothing is recorded; no SDK is loaded).
 */
export interface ScanqMetrics {
  /** A job the producer inserted (`accepted`) or the insert rules refused (`refused`, with the reason). */
  jobEnqueued(tenant: string, capability: string, result: 'accepted' | 'refused', reason?: string): void;
  /** A claimed attempt starts; `dwellSeconds` is enqueue → claim. */
  jobStarted(tenant: string, capability: string, dwellSeconds: number | undefined): void;
  /** An attempt ended: passed/failed count as finished, the rest as retries, hand-offs, releases, fenced writes. */
  attemptEnded(tenant: string, capability: string, end: AttemptEndLabel, durationSeconds: number): void;
  /**
   * Jobs running in this worker (+1 at claim, −1 at the attempt's end). No tenant label: a label
   * that moved to `other` between the two calls would leave a series that never comes back to 0.
   */
  inFlight(delta: 1 | -1): void;
  /** A message put back because its tenant is at its cap. */
  deferred(tenant: string): void;
  /** A message parked in the DLQ (`tenant` from its attributes, `unknown` when it had none). */
  deadLettered(tenant: string | undefined): void;
  /** A credentials look-up: from the cache, or fetched from Secrets Manager. */
  credentials(result: 'hit' | 'miss'): void;
  /** A queue's messages by state, sampled by the sweeper. */
  queueDepth(queue: 'jobs' | 'bulk' | 'dlq', state: QueueState, messages: number): void;
  /** Jobs the sweeper acted on: re-sent, expired (async deadline), postponed, skipped. */
  swept(action: 'resent' | 'expired' | 'postponed' | 'skipped', count: number): void;
  /** A schedule fired. */
  scheduleFired(tenant: string): void;
  /** An HTTP request answered by the API (route template, never the raw URL). */
  httpRequest(method: string, route: string, status: number, durationSeconds: number): void;
  /** A message naming a job (or tenant) that does not exist, acknowledged without running anything. */
  unknownJob(tenant: string): void;
}

/** Builds the instruments on `meter`; `tenantLimit` is N of the tenant guard (SCANQ_METRICS_TENANTS). */
export function createMetrics(meter: Meter, tenantLimit: number): ScanqMetrics {
  const tenants = new TenantLabels(tenantLimit);
  const counter = (name: string, description: string) => meter.createCounter(otelName(name), { description });
  const enqueued = counter(
    METRIC_NAMES.jobsEnqueued,
    'Jobs the producer inserted or the insert rules refused',
  );
  const started = counter(METRIC_NAMES.jobsStarted, 'Attempts claimed and started');
  const finished = counter(METRIC_NAMES.jobsFinished, 'Jobs finished (terminal write won), by status');
  const retries = counter(METRIC_NAMES.jobRetries, 'Attempts ended by a transient failure, retried later');
  const handoffs = counter(METRIC_NAMES.jobHandoffs, 'Jobs handed to an outside scanner (JRA)');
  const releases = counter(METRIC_NAMES.jobReleases, 'Attempts released unfinished (drain, shutdown)');
  const fenced = counter(METRIC_NAMES.fencedWrites, 'Writes refused because a newer attempt owns the job');
  const deferrals = counter(METRIC_NAMES.deferrals, 'Messages put back because their tenant was at its cap');
  const deadLetters = counter(METRIC_NAMES.deadLetters, 'Messages parked in the DLQ by a worker');
  const credentials = counter(METRIC_NAMES.credentialsCache, 'Credentials look-ups, by cache result');
  const sweeper = counter(METRIC_NAMES.sweeperActions, 'Open jobs the sweeper acted on, by action');
  const schedules = counter(METRIC_NAMES.schedulesFired, 'Schedule runs fired');
  const unknownJobs = counter(
    METRIC_NAMES.unknownJobs,
    'Messages naming a job or tenant that does not exist, acknowledged by a worker',
  );
  const httpRequests = counter(
    METRIC_NAMES.httpRequests,
    'HTTP requests answered, by method, route and status',
  );
  const duration = meter.createHistogram(METRIC_NAMES.jobDuration, {
    description: 'Attempt duration, claim to end, by how it ended',
    unit: 's',
    advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
  });
  const dwell = meter.createHistogram(METRIC_NAMES.jobDwell, {
    description: 'Dwell: enqueue to claim',
    unit: 's',
    advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
  });
  const httpDuration = meter.createHistogram(METRIC_NAMES.httpDuration, {
    description: 'HTTP request duration, by method and route',
    unit: 's',
    advice: { explicitBucketBoundaries: HTTP_BUCKETS },
  });
  const inFlight = meter.createUpDownCounter(METRIC_NAMES.inFlight, {
    description: 'Jobs running in this worker',
  });
  const queueMessages = meter.createGauge(METRIC_NAMES.queueMessages, {
    description: 'Messages on a queue by state, sampled by the sweeper (approximate on SQS)',
  });
  const job = (tenant: string, capability: string): Attributes => ({
    tenant: tenants.label(tenant),
    capability,
  });
  const ended: Record<AttemptEndLabel, (attributes: Attributes) => void> = {
    passed: (a) => finished.add(1, { ...a, status: 'passed' }),
    failed: (a) => finished.add(1, { ...a, status: 'failed' }),
    retried: (a) => retries.add(1, a),
    handedOff: (a) => handoffs.add(1, a),
    released: (a) => releases.add(1, a),
    fenced: (a) => fenced.add(1, a),
  };
  return {
    jobEnqueued(tenant, capability, result, reason) {
      enqueued.add(1, { ...job(tenant, capability), result, ...(reason ? { reason } : {}) });
    },
    jobStarted(tenant, capability, dwellSeconds) {
      const attributes = job(tenant, capability);
      started.add(1, attributes);
      if (dwellSeconds !== undefined && dwellSeconds >= 0) dwell.record(dwellSeconds, attributes);
    },
    attemptEnded(tenant, capability, end, durationSeconds) {
      const attributes = job(tenant, capability);
      ended[end](attributes);
      duration.record(durationSeconds, { ...attributes, outcome: end });
    },
    inFlight(delta) {
      inFlight.add(delta);
    },
    deferred(tenant) {
      deferrals.add(1, { tenant: tenants.label(tenant) });
    },
    deadLettered(tenant) {
      deadLetters.add(1, { tenant: tenant ? tenants.label(tenant) : 'unknown' });
    },
    credentials(result) {
      credentials.add(1, { result });
    },
    queueDepth(queue, state, messages) {
      queueMessages.record(messages, { queue, state });
    },
    swept(action, count) {
      if (count > 0) sweeper.add(count, { action });
    },
    scheduleFired(tenant) {
      schedules.add(1, { tenant: tenants.label(tenant) });
    },
    httpRequest(method, route, status, durationSeconds) {
      httpRequests.add(1, { method, route, status: String(status) });
      httpDuration.record(durationSeconds, { method, route });
    },
    unknownJob(tenant) {
      unknownJobs.add(1, { tenant: tenants.label(tenant) });
    },
  };
}
