import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** The API's Prometheus metrics, in a registry of its own (so two servers in one process never clash). */
export interface ApiMetrics {
  readonly registry: Registry;
  /** Requests by method, route template (never the raw URL) and status. */
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route'>;
  /** Jobs by enqueue result: `accepted` or `rejected` (the insert rules said no). */
  readonly jobsEnqueued: Counter<'result'>;
}

/** Creates the metrics; process metrics (CPU, memory, event loop) are included. */
export function createApiMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'scanq_api_' });
  return {
    registry,
    requests: new Counter({
      name: 'scanq_http_requests_total',
      help: 'HTTP requests answered, by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'scanq_http_request_duration_seconds',
      help: 'HTTP request duration, by method and route',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    jobsEnqueued: new Counter({
      name: 'scanq_jobs_enqueued_total',
      help: 'Jobs submitted through the API, by result (accepted or rejected by the insert rules)',
      labelNames: ['result'],
      registers: [registry],
    }),
  };
}
