import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';

/** The content type of Prometheus's text exposition format. */
export const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/** A process's state as probes see it. */
export type ProcessState = 'starting' | 'ready' | 'draining';

/** The status server of a long-running process (worker, scheduler, sweeper). */
export interface StatusServer {
  /** The port it listens on (useful when asked for port 0). */
  readonly port: number;
  /** Sets what `/readyz` answers: 200 only when `ready`. */
  set(state: ProcessState): void;
  close(): Promise<void>;
}

/**
 * Serves `GET /healthz` (200 while the process answers: liveness) and `GET /readyz` (200 when the
 * process is `ready`, 503 while `starting` or `draining`: readiness), each a small JSON body.
 * Anything else is 404 (405 for other methods). Binds `host` (default loopback: probes from a
 * kubelet need `0.0.0.0`).
 */
export async function startStatusServer(options: {
  readonly host: string;
  readonly port: number;
  readonly log: Logger;
  /** The process's metrics as Prometheus text; without it `/metrics` is 404. */
  readonly metrics?: () => Promise<string>;
}): Promise<StatusServer> {
  const metrics = options.metrics;
  let state: ProcessState = 'starting';
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const reply = (status: number, body: Record<string, string>) => {
      response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : JSON.stringify(body));
    };
    const known = path === '/healthz' || path === '/readyz' || (path === '/metrics' && metrics);
    if (!known) return reply(404, { error: 'not found' });
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return reply(405, { error: 'method not allowed' });
    if (path === '/metrics' && metrics) {
      metrics().then(
        (text) => {
          response.writeHead(200, { 'content-type': PROMETHEUS_TEXT, 'cache-control': 'no-store' });
          response.end(request.method === 'HEAD' ? undefined : text);
        },
        (error: unknown) => {
          options.log.warn({ error }, 'metrics collection failed');
          reply(500, { error: 'metrics collection failed' });
        },
      );
      return;
    }
    if (path === '/healthz') return reply(200, { status: 'ok' });
    return reply(state === 'ready' ? 200 : 503, { status: state });
  });
  server.requestTimeout = 5_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  options.log.info({ host: options.host, port }, 'status server listening');
  return {
    port,
    set(next) {
      state = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
