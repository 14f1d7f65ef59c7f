/**
 * A stand-in for an outside scanner (nuclei behind an HTTP front), for tests and the demo. It takes
 * the `external` capability's hand-off (`POST /` with `{ target, callbackUrl, outputUrl, … }`),
 * answers 202, writes nuclei-style JSONL to the presigned `outputUrl`, and calls `callbackUrl` —
 * retrying while the callback answers 409 (the worker has not recorded the hand-off yet).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { track } from '../../src/lib/lifecycle.js';

/** What the scanner does with a hand-off. */
export type StubMode =
  /** write the output, then call back `done` */
  | 'callback'
  /** call back `done` without writing anything */
  | 'no-output'
  /** call back `failed` */
  | 'fail'
  /** record the hand-off and do nothing (the test calls back itself) */
  | 'hold';

/** A hand-off as received. */
export interface Handoff {
  readonly target: string;
  readonly callbackUrl: string;
  readonly outputUrl: string;
  readonly outputHeaders: Record<string, string>;
  readonly asyncRef: string;
  readonly deadline: string;
  readonly templates?: string[];
}

export interface StubScannerOptions {
  /** Mode per target. Default `callback` for every target. */
  readonly modeFor?: (target: string) => StubMode;
  /** The JSONL written for a target. Default `sampleNucleiOutput`. */
  readonly output?: (target: string) => string;
  /** 409 answers retried before giving up. Default 100. */
  readonly maxRetries?: number;
  /** How long a "scan" takes before the output is written. Default 300 ms. */
  readonly scanMs?: number;
}

export interface StubScanner {
  readonly url: string;
  readonly handoffs: Handoff[];
  /** HTTP status of every callback attempt, in order, per asyncRef. */
  readonly callbacks: Map<string, number[]>;
  /** Settles when every hand-off received so far has been fully processed. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Nuclei-style JSONL for a target: two matches of one template (grouped into one risk), a high and
 * an `unknown` severity finding, and one line that is not JSON (counted as bad, not fatal).
 */
export function sampleNucleiOutput(target: string): string {
  const base = target.includes('://') ? target.replace(/\/+$/, '') : `https://${target}`;
  const line = (id: string, name: string, severity: string, path: string) =>
    JSON.stringify({
      'template-id': id,
      info: { name, severity },
      host: target,
      'matched-at': `${base}${path}`,
      type: 'http',
    });
  return [
    line('http-missing-security-headers', 'Missing security headers', 'info', '/'),
    line('http-missing-security-headers', 'Missing security headers', 'info', '/login'),
    line('git-config', 'Git config file disclosure', 'high', '/.git/config'),
    line('tech-detect', 'Technology detection', 'unknown', '/'),
    'this line is not JSON',
    '',
  ].join('\n');
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new Error('hand-off body too large');
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function isHandoff(value: unknown): value is Handoff {
  const v = value as Partial<Handoff> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.target === 'string' &&
    typeof v.callbackUrl === 'string' &&
    typeof v.outputUrl === 'string' &&
    typeof v.asyncRef === 'string'
  );
}

/** Starts the stub scanner on a free loopback port. */
export async function startStubScanner(options: StubScannerOptions = {}): Promise<StubScanner> {
  const handoffs: Handoff[] = [];
  const callbacks = new Map<string, number[]>();
  const pending = new Set<Promise<void>>();
  const modeFor = options.modeFor ?? (() => 'callback');
  const output = options.output ?? sampleNucleiOutput;
  const maxRetries = options.maxRetries ?? 100;
  const scanMs = options.scanMs ?? 300;

  async function callBack(handoff: Handoff, body: object): Promise<void> {
    const statuses: number[] = [];
    callbacks.set(handoff.asyncRef, statuses);
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      const response = await fetch(handoff.callbackUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      await response.body?.cancel();
      statuses.push(response.status);
      if (response.status !== 409) return;
      await sleep(Math.min(1_000, 50 * 2 ** Math.min(attempt, 5)));
    }
  }

  async function process(handoff: Handoff): Promise<void> {
    const mode = modeFor(handoff.target);
    if (mode === 'hold') return;
    await sleep(scanMs);
    if (mode === 'callback') {
      const put = await fetch(handoff.outputUrl, {
        method: 'PUT',
        headers: handoff.outputHeaders,
        body: output(handoff.target),
      });
      await put.body?.cancel();
      if (!put.ok) throw new Error(`output upload failed: HTTP ${put.status}`);
    }
    await callBack(
      handoff,
      mode === 'fail' ? { status: 'failed', error: 'scanner crashed on target' } : { status: 'done' },
    );
  }

  const server: Server = createServer((request, response) => {
    if (request.method !== 'POST') {
      response.writeHead(405).end();
      return;
    }
    readJson(request).then(
      (body) => {
        if (!isHandoff(body)) {
          response.writeHead(400).end();
          return;
        }
        handoffs.push(body);
        response.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}');
        const work = process(body).catch(() => {});
        pending.add(work);
        void work.finally(() => pending.delete(work));
      },
      () => response.writeHead(400).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    await Promise.allSettled([...pending]);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const untrack = track(`stub scanner :${port}`, close);
  return {
    url: `http://127.0.0.1:${port}/`,
    handoffs,
    callbacks,
    async idle() {
      await Promise.allSettled([...pending]);
    },
    async close() {
      await close();
      untrack();
    },
  };
}
