import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';

/** The demo's scan targets, served by `scanq dev` itself on 127.0.0.1. */
export interface DemoTargets {
  /** A web server that sends none of the usual security headers. */
  readonly web: { readonly port: number; readonly url: string };
  /** A TCP service that announces itself with an SSH-style banner. */
  readonly banner: { readonly port: number };
  close(): Promise<void>;
}

const PAGE = (title: string) =>
  `<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>\n`;

async function listen(server: Server, sockets: Set<Socket>): Promise<number> {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  return address && typeof address === 'object' ? address.port : 0;
}

/** Starts the targets on free loopback ports. */
export async function startDemoTargets(): Promise<DemoTargets> {
  const sockets = new Set<Socket>();
  const web = createHttpServer((request, response) => {
    const title = request.url?.startsWith('/admin') ? 'Acme admin console' : 'Acme intranet';
    // Deliberately no Content-Security-Policy, X-Frame-Options or X-Content-Type-Options.
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', server: 'demo-httpd/1.0' });
    response.end(request.method === 'HEAD' ? undefined : PAGE(title));
  });
  const banner = createTcpServer((socket) => {
    socket.end('SSH-2.0-OpenSSH_7.4 demo\r\n');
  });
  const webPort = await listen(web, sockets);
  const bannerPort = await listen(banner, sockets);
  return {
    web: { port: webPort, url: `http://127.0.0.1:${webPort}/` },
    banner: { port: bannerPort },
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all([web, banner].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
