/**
 * Loopback servers for scan tests: TCP, HTTP and HTTPS on 127.0.0.1 with random ports, each
 * counting the connections it received (to prove a refused target was never connected to).
 */
import { createServer as createHttpServer, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import type { TestCertificate } from './x509.js';

export interface LocalServer {
  readonly port: number;
  /** Connections accepted so far. */
  connections(): number;
}

export class LocalServers {
  readonly #servers: Server[] = [];
  readonly #sockets = new Set<Socket>();

  async #listen(server: Server, onConnection?: (count: number) => void): Promise<LocalServer> {
    let count = 0;
    server.on('connection', (socket: Socket) => {
      count++;
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => {});
      onConnection?.(count);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#servers.push(server);
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('server has no port');
    return { port: address.port, connections: () => count };
  }

  /** A TCP server that sends `banner` on connect (or stays silent). */
  tcp(banner?: string, onConnection?: (count: number) => void): Promise<LocalServer> {
    const server = createTcpServer((socket) => {
      if (banner) socket.write(banner);
    });
    return this.#listen(server, onConnection);
  }

  http(handler: RequestListener): Promise<LocalServer> {
    return this.#listen(createHttpServer(handler));
  }

  https(certificate: TestCertificate, handler: RequestListener): Promise<LocalServer> {
    return this.#listen(createHttpsServer({ key: certificate.key, cert: certificate.cert }, handler));
  }

  /** Ports that were listening a moment ago and are closed now. */
  async closedPorts(n: number): Promise<number[]> {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const server = createTcpServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      if (address && typeof address !== 'string') ports.push(address.port);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    return ports;
  }

  async closeAll(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await Promise.all(this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.#servers.length = 0;
  }
}
