import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { AWS_SOCKET_LIMITS, createAwsClients } from '../../../src/aws/clients.js';
import { loadConfig } from '../../../src/config/index.js';

/** The clients, and a tenant session's, of a config whose endpoint is a local server answering `listener`. */
async function clientsOnLocalServer(listener: RequestListener) {
  const server = createServer(listener);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const config = loadConfig({ AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` });
  const clients = createAwsClients(config);
  const scoped = clients.withCredentials(async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }));
  return {
    port,
    clients,
    scoped,
    close() {
      scoped.destroy();
      clients.destroy();
      server.close();
    },
  };
}

describe('Function: createAwsClients', () => {
  it('gives every client, the tenant-session ones too, a connect and a socket timeout', async () => {
    // Prepare: a local server, so each handler resolves its settings on a real request.
    const local = await clientsOnLocalServer((_, res) => res.end('{}'));
    const { port, clients, scoped } = local;
    const all = [
      clients.sqs,
      clients.dynamodb,
      clients.s3,
      clients.secrets,
      clients.sns,
      clients.sts,
      clients.kms,
    ];

    try {
      // Act: one plain request through each client's handler.
      const configs = [];
      for (const client of [...all, scoped.s3, scoped.secrets]) {
        const handler = client.config.requestHandler;
        const request = {
          protocol: 'http:',
          hostname: '127.0.0.1',
          port,
          method: 'GET',
          path: '/',
          query: {},
          headers: {},
        };
        await handler.handle(request as Parameters<typeof handler.handle>[0]);
        // NodeHttpHandler's settings once resolved (not on the client's config type).
        configs.push((handler as unknown as { httpHandlerConfigs(): object }).httpHandlerConfigs());
      }

      // Assess: none can wait forever on a stalled connection.
      expect(configs).toHaveLength(9);
      for (const settings of configs) expect(settings).toMatchObject(AWS_SOCKET_LIMITS);
      expect(AWS_SOCKET_LIMITS.socketTimeout).toBeGreaterThan(20_000); // above SQS's longest long poll
    } finally {
      local.close();
    }
  });

  it('uploads a whole body under its signed SHA-256, without the redundant CRC32', async () => {
    // Prepare: a local S3 stand-in that keeps each request's headers.
    const seen: Record<string, string | string[] | undefined>[] = [];
    const local = await clientsOnLocalServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      req.on('end', () => res.end());
    });
    const { clients, scoped } = local;
    const body = JSON.stringify({ target: 'h1.example.com', slept: 0 });

    try {
      // Act: one result-sized upload through each S3 client.
      for (const s3 of [clients.s3, scoped.s3]) {
        await s3.send(new PutObjectCommand({ Bucket: 'results', Key: 't1/results/k.json', Body: body }));
      }

      // Assess: S3 can check the body against the signed hash; no CRC32 was computed for it.
      const sha256 = createHash('sha256').update(body).digest('hex');
      expect(seen).toHaveLength(2);
      for (const headers of seen) {
        expect(headers['x-amz-content-sha256']).toBe(sha256);
        expect(headers['x-amz-checksum-crc32']).toBeUndefined();
        expect(headers['x-amz-sdk-checksum-algorithm']).toBeUndefined();
      }
    } finally {
      local.close();
    }
  });
});
