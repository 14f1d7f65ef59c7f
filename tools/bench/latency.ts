/**
 * The AWS-like latency profile of the benchmark: an HTTP proxy in front of each local endpoint that
 * holds every request for a fixed delay before forwarding it. On loopback an AWS call takes ~4 ms,
 * so a one-at-a-time baseline already looks fast; in a region a call takes tens of ms, and what wins
 * is doing fewer calls and overlapping them. Every process of the run (producer, baseline, workers)
 * reaches the emulators only through these proxies.
 *
 * The proxies run in the bench process (their CPU is part of the machine figures; ~0.1 ms per
 * request). A client that goes away (a stopped worker's long poll) closes its upstream request too,
 * so the emulator does not hand a message to a receive nobody reads.
 */
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Endpoint } from './endpoint.js';

/** Default delay of `--latency` without a value, per request: an in-region AWS call's order. */
export const DEFAULT_LATENCY_MS = 10;

/** A running delay proxy. */
export interface LatencyProxy {
  /** `http://127.0.0.1:PORT`, to use in place of the upstream endpoint. */
  readonly url: string;
  /** Requests forwarded so far. */
  requests(): number;
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port that forwards to `upstream` after `delayMs` per request. */
export async function startLatencyProxy(upstream: string, delayMs: number): Promise<LatencyProxy> {
  const target = new URL(upstream);
  if (target.protocol !== 'http:') throw new Error(`latency proxy: ${upstream} is not an http:// endpoint`);
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  let forwarded = 0;
  const server: Server = createServer((req, res) => {
    const timer = setTimeout(() => {
      forwarded++;
      const out = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on('error', () => {
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      });
      res.on('close', () => {
        if (!res.writableFinished) out.destroy();
      });
      req.pipe(out);
    }, delayMs);
    res.on('close', () => clearTimeout(timer));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => forwarded,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}

/**
 * The same endpoint seen through delay proxies: one proxy per distinct endpoint URL in its
 * environment (`AWS_ENDPOINT_URL*`), the environment rewritten to them. `close` stops the proxies,
 * then the endpoint.
 */
export async function withLatency(endpoint: Endpoint, delayMs: number): Promise<Endpoint> {
  const urls = [
    ...new Set(
      Object.entries(endpoint.env)
        .filter(([name]) => name.startsWith('AWS_ENDPOINT_URL'))
        .map(([, url]) => url),
    ),
  ];
  const proxies = new Map<string, LatencyProxy>();
  try {
    for (const url of urls) proxies.set(url, await startLatencyProxy(url, delayMs));
  } catch (error) {
    await Promise.all([...proxies.values()].map((p) => p.close()));
    throw error;
  }
  const env = Object.fromEntries(
    Object.entries(endpoint.env).map(([name, value]) => [
      name,
      name.startsWith('AWS_ENDPOINT_URL') ? (proxies.get(value)?.url ?? value) : value,
    ]),
  );
  return {
    ...endpoint,
    env,
    notes: [...endpoint.notes, `latency profile: every AWS call held ${delayMs} ms by a proxy`],
    close: async () => {
      await Promise.all([...proxies.values()].map((p) => p.close()));
      await endpoint.close();
    },
  };
}
