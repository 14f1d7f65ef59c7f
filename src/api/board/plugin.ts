import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { BoardConfig } from '../../config/index.js';

/** The board's files: hand-written HTML, CSS and ES modules, served as they are (no build step). */
export const BOARD_STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Every file under `dir` by its path relative to it (`pages/jobs.js`), read once. */
function loadFiles(dir: string): Map<string, { body: Buffer; type: string }> {
  const files = new Map<string, { body: Buffer; type: string }>();
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const type = TYPES[extname(entry.name)];
        if (type) files.set(relative(dir, path).split('\\').join('/'), { body: readFileSync(path), type });
      }
    }
  };
  walk(dir);
  return files;
}

const origin = (url: string | undefined) => (url ? new URL(url).origin : '');

/**
 * Security headers of every board file: scripts, styles and requests from this origin only (plus the
 * identity provider's token endpoint when OIDC is on), no framing, no referrer (an authorization
 * code in the URL must not leak), no sniffing, no caching of a stale page.
 */
export function boardHeaders(board: BoardConfig): Record<string, string> {
  const connect = ["'self'", origin(board.oidc?.tokenUrl)].filter((s) => s !== '').join(' ');
  return {
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      `connect-src ${connect}`,
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; '),
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'cache-control': 'no-cache',
  };
}

/**
 * Serves the ops board at `/board/` from memory: `/board` redirects to `/board/`, `/board/` is
 * `index.html`, `/board/{file}` one of the files found at start (nothing else is reachable, so no
 * path can leave the folder). No token is needed for the files: everything they show comes from
 * the API, which checks the token on every call.
 */
export function registerBoard(app: FastifyInstance, board: BoardConfig, dir = BOARD_STATIC_DIR): void {
  const files = loadFiles(dir);
  const headers = boardHeaders(board);
  const send = (reply: FastifyReply, name: string) => {
    const file = files.get(name);
    if (!file) {
      return reply.code(404).type('text/plain; charset=utf-8').headers(headers).send('not found');
    }
    return reply.code(200).type(file.type).headers(headers).send(file.body);
  };
  const config = { rateLimit: false } as const;
  app.get('/board', { config }, (_request, reply) => reply.redirect('/board/', 302));
  app.get('/board/', { config }, (_request, reply) => send(reply, 'index.html'));
  app.get<{ Params: { '*': string } }>('/board/*', { config }, (request, reply) =>
    send(reply, request.params['*']),
  );
}
