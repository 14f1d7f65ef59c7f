import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { duplicateKey } from './body-shape.js';
import { type ErrorBody, RequestValidationError } from './errors.js';

/**
 * The edges of the HTTP server, where requests are refused before any route runs: Node's HTTP
 * parser, Fastify's router, the JSON body parser. Each answers with the error envelope and an
 * `x-request-id`, like every other refusal, and never echoes what it refused.
 */

/** Longest path parameter (URL-encoded): a job key is up to 1024 characters. */
export const MAX_PARAM_LENGTH = 3 * 1024;

/** The JSON body of an error. */
export function errorBody(
  request: Pick<FastifyRequest, 'id'>,
  code: string,
  message: string,
  fields?: readonly unknown[],
): ErrorBody {
  return {
    error: { code, message, ...(fields ? { fields: fields as ErrorBody['error']['fields'] } : {}) },
    requestId: request.id,
  };
}

/**
 * Refusals Fastify's router makes before any route runs (a path that is not valid percent-encoded
 * UTF-8, a path parameter over the length limit): the same envelope and `x-request-id` as every
 * other error, and never the path itself.
 */
export function frameworkError(
  error: Error & { code?: string },
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const long = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
  const [status, code, message] = long
    ? [414, 'request.uriTooLong', `a path segment is longer than ${MAX_PARAM_LENGTH} characters`]
    : [400, 'request.badUrl', 'the URL is not valid (malformed percent-encoding)'];
  reply.header('x-request-id', request.id);
  return reply
    .code(status)
    .send(errorBody(request, code, message, long ? undefined : [{ field: '(path)', message }]));
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers too large, bad chunked
 * encoding, garbage): answered on the socket with the error envelope and a fresh `x-request-id`,
 * then the connection is closed, as Node itself does.
 */
export function clientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'request.headersTooLarge', 'the request line and headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request.timeout', 'the request took too long to arrive']
        : [400, 'request.malformed', 'the request is not valid HTTP/1.1'];
  const requestId = randomUUID();
  const body = JSON.stringify({ error: { code, message }, requestId } satisfies ErrorBody);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `x-request-id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON bodies: valid UTF-8 (an invalid byte would otherwise become U+FFFD, and two different
 * inputs one identity), then Fastify's own parser (prototype-poisoning checks), then no key twice
 * in one object (JSON.parse would keep the last one silently). Each refusal is a 400 naming the
 * field.
 */
export function installJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, raw, done) => {
    let text: string;
    try {
      text = UTF8.decode(raw as Buffer);
    } catch {
      const invalid = [{ field: '(body)', message: 'must be valid UTF-8' }];
      done(new RequestValidationError(invalid, 'request.invalidUtf8'), undefined);
      return;
    }
    parse(request, text, (error: Error | null, value?: unknown) => {
      if (error) return done(error, undefined);
      const twice = duplicateKey(text);
      if (twice === undefined) return done(null, value);
      const duplicate = [{ field: twice, message: 'appears twice in one object' }];
      return done(new RequestValidationError(duplicate, 'request.duplicateKey'), undefined);
    });
  });
}
