/**
 * The capability against a loopback HTTP server, with no AWS and no worker: `run` gets a context
 * like the one a worker hands it. Copy this next to your own capability.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AssetRecord, RiskRecord, RunContext } from 'scanq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpStatus } from '../src/index.js';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader('server', 'example/1.2.3');
    res.statusCode = req.url === '/missing' ? 404 : 200;
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/**
 * The parts of a worker's context this capability reads (loopback allowed, as in local runs); the
 * rest (tenant files and table, AWS endpoints, log, publish) it never touches.
 */
function context(target: string, signal = new AbortController().signal): RunContext {
  const read = {
    tenant: 'example',
    key: `#job#${target}#http-status`,
    target,
    attempt: 1,
    signal,
    scope: { allowLoopback: true, allowedScopes: [] },
  } satisfies Partial<RunContext>;
  return read as unknown as RunContext;
}

function collect() {
  const assets: AssetRecord[] = [];
  const risks: RiskRecord[] = [];
  return { assets, risks, emit: { asset: (a: AssetRecord) => assets.push(a), risk: (r: RiskRecord) => risks.push(r) } };
}

describe('Capability: http-status', () => {
  it('reports the status and server, and a version disclosed in the Server header', async () => {
    const found = collect();
    const outcome = await httpStatus.run(context(`${base}/`), httpStatus.input.parse({}), found.emit);
    expect(outcome).toEqual({ kind: 'done', result: { url: `${base}/`, status: 200, server: 'example/1.2.3' } });
    expect(found.assets).toEqual([{ type: 'url', value: `${base}/`, attributes: { status: 200 } }]);
    expect(found.risks.map((r) => r.name)).toEqual(['server-version-disclosed']);
  });

  it('reports a status it did not expect as a medium risk', async () => {
    const found = collect();
    await httpStatus.run(context(`${base}/missing`), httpStatus.input.parse({}), found.emit);
    expect(found.risks.find((r) => r.name === 'unexpected-status')).toMatchObject({ severity: 'medium', evidence: { status: 404 } });
  });

  it('refuses loopback when the scope does not allow it, before connecting', async () => {
    const ctx: RunContext = { ...context(`${base}/`), scope: { allowLoopback: false, allowedScopes: [] } };
    await expect(httpStatus.run(ctx, {}, collect().emit)).rejects.toMatchObject({ code: 'policy.loopback' });
  });

  it('validates its input: unknown fields are refused at enqueue', () => {
    expect(httpStatus.input.safeParse({ expect: 200 }).success).toBe(true);
    expect(httpStatus.input.safeParse({ expected: 200 }).success).toBe(false);
  });
});
