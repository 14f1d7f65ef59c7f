import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AWS_SOCKET_LIMITS, createAwsClients } from '../../../src/aws/clients.js';
import { loadConfig } from '../../../src/config/index.js';

describe('Function: createAwsClients', () => {
  it('gives every client, the tenant-session ones too, a connect and a socket timeout', async () => {
    // Prepare: a local server, so each handler resolves its settings on a real request.
    const server = createServer((_, res) => res.end('{}'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const config = loadConfig({ AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` });
    const clients = createAwsClients(config);
    const scoped = clients.withCredentials(async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }));
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
      scoped.destroy();
      clients.destroy();
      server.close();
    }
  });
});
