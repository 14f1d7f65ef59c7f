import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { type LatencyProxy, startLatencyProxy } from '../../tools/bench/latency.js';
import { testEnv, testPrefix } from '../helpers/aws.js';
import { eventually } from '../helpers/worker-process.js';

/** A loopback server that records what reaches it and answers with `answer`. */
async function upstream(answer: (body: string, res: import('node:http').ServerResponse) => void) {
  const seen: { method?: string; url?: string; header?: string; body: string; closedEarly: boolean }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    const entry = {
      method: req.method,
      url: req.url,
      header: req.headers['x-test'] as string | undefined,
      body,
      closedEarly: false,
    };
    seen.push(entry);
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      entry.body = body;
      answer(body, res);
    });
    res.on('close', () => {
      if (!res.writableFinished) entry.closedEarly = true;
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, server };
}

describe('Function: startLatencyProxy (the bench latency profile)', () => {
  const closers: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  const track = (proxy: LatencyProxy, server: Server) => {
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    closers.push(() => proxy.close());
  };

  it('forwards method, path, headers and body, and returns status, headers and body', async () => {
    // Prepare
    const up = await upstream((body, res) => {
      res.writeHead(201, { 'x-answer': 'yes' }).end(`echo:${body}`);
    });
    const proxy = await startLatencyProxy(up.url, 5);
    track(proxy, up.server);

    // Act
    const response = await fetch(`${proxy.url}/a/b?c=d`, {
      method: 'POST',
      headers: { 'x-test': 'kept' },
      body: 'payload',
    });

    // Assess
    expect(response.status).toBe(201);
    expect(response.headers.get('x-answer')).toBe('yes');
    expect(await response.text()).toBe('echo:payload');
    expect(up.seen).toMatchObject([{ method: 'POST', url: '/a/b?c=d', header: 'kept', body: 'payload' }]);
    expect(proxy.requests()).toBe(1);
  });

  it('closes the upstream request when its client goes away (a stopped long poll)', async () => {
    // Prepare: an upstream that never answers, like a long poll on an empty queue.
    const up = await upstream(() => {});
    const proxy = await startLatencyProxy(up.url, 1);
    track(proxy, up.server);

    // Act: a client sends, then aborts once the request reached the upstream.
    const client = request(`${proxy.url}/poll`, { method: 'POST' });
    client.on('error', () => {});
    client.end('wait');
    await eventually(async () => (up.seen.length === 1 ? true : undefined), 5_000, 'the forwarded request');
    client.destroy();

    // Assess
    await eventually(async () => (up.seen[0]?.closedEarly ? true : undefined), 5_000, 'the upstream close');
  });

  it('answers 502 when the upstream cannot be reached', async () => {
    // Prepare: a port with nothing listening.
    const gone = await upstream(() => {});
    await new Promise<void>((resolve) => gone.server.close(() => resolve()));
    const proxy = await startLatencyProxy(gone.url, 1);
    closers.push(() => proxy.close());

    // Act
    const response = await fetch(`${proxy.url}/`);

    // Assess
    expect(response.status).toBe(502);
  });

  it('refuses an https upstream (the local endpoints are plain http)', async () => {
    await expect(startLatencyProxy('https://127.0.0.1:1', 1)).rejects.toThrow(/not an http:\/\/ endpoint/);
  });

  it('carries the AWS SDK to the local endpoint: SQS send and receive through the proxy', async () => {
    // Prepare
    const endpoint = testEnv().AWS_ENDPOINT_URL_SQS ?? testEnv().AWS_ENDPOINT_URL ?? '';
    const proxy = await startLatencyProxy(endpoint, 5);
    closers.push(() => proxy.close());
    const sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: proxy.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    closers.push(() => sqs.destroy());

    // Act
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${testPrefix('lat')}-q` }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'through the proxy' }));
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));

    // Assess
    expect(received.Messages?.map((m) => m.Body)).toEqual(['through the proxy']);
    expect(proxy.requests()).toBe(3);
  });
});
