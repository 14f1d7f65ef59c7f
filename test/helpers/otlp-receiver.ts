import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { track } from '../../src/lib/lifecycle.js';

/*
 * An OTLP/HTTP receiver for tests: accepts `POST /v1/traces` in protobuf (what scanq's exporter
 * sends), decodes ExportTraceServiceRequest with a small reader of the protobuf wire format (the
 * field numbers of opentelemetry-proto's trace.proto and common.proto), and keeps the spans.
 * `POST /v1/metrics` is accepted and counted.
 */

export type AttributeValue = string | number | boolean | bigint | readonly AttributeValue[] | undefined;

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  /** 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly links: readonly { readonly traceId: string; readonly spanId: string }[];
  /** 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
  readonly statusMessage: string;
  /** Attributes of the span's events (exceptions recorded), flattened. */
  readonly eventAttributes: readonly Readonly<Record<string, AttributeValue>>[];
  readonly service: string;
}

type Field = { readonly no: number; readonly wire: number; readonly value: bigint | Buffer };

/** The fields of one protobuf message, in order (repeated fields appear once per element). */
function fields(buffer: Buffer): Field[] {
  const out: Field[] = [];
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buffer[at++];
      if (byte === undefined) throw new Error('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (at < buffer.length) {
    const tag = Number(varint());
    const no = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) out.push({ no, wire, value: varint() });
    else if (wire === 1) {
      out.push({ no, wire, value: buffer.subarray(at, at + 8) });
      at += 8;
    } else if (wire === 2) {
      const length = Number(varint());
      out.push({ no, wire, value: buffer.subarray(at, at + length) });
      at += length;
    } else if (wire === 5) {
      out.push({ no, wire, value: buffer.subarray(at, at + 4) });
      at += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const bytesOf = (f: Field | undefined) => (f && Buffer.isBuffer(f.value) ? f.value : Buffer.alloc(0));
const textOf = (f: Field | undefined) => bytesOf(f).toString('utf8');
const numberOf = (f: Field | undefined) => (f && typeof f.value === 'bigint' ? Number(f.value) : 0);
const first = (all: Field[], no: number) => all.find((f) => f.no === no);
const every = (all: Field[], no: number) => all.filter((f) => f.no === no);

function anyValue(buffer: Buffer): AttributeValue {
  const f = fields(buffer)[0];
  if (!f) return undefined;
  switch (f.no) {
    case 1:
      return textOf(f);
    case 2:
      return numberOf(f) !== 0;
    case 3:
      return typeof f.value === 'bigint' ? BigInt.asIntN(64, f.value) : undefined;
    case 4:
      return bytesOf(f).readDoubleLE(0);
    case 5:
      return every(fields(bytesOf(f)), 1).map((v) => anyValue(bytesOf(v)));
    default:
      return bytesOf(f).toString('hex');
  }
}

function attributes(list: Field[]): Record<string, AttributeValue> {
  return Object.fromEntries(
    list.map((kv) => {
      const inner = fields(bytesOf(kv));
      return [textOf(first(inner, 1)), anyValue(bytesOf(first(inner, 2)))];
    }),
  );
}

/** Decodes an ExportTraceServiceRequest into its spans. */
export function decodeTraces(body: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const rs of every(fields(body), 1)) {
    const rsFields = fields(bytesOf(rs));
    const resource = attributes(every(fields(bytesOf(first(rsFields, 1))), 1));
    const service = String(resource['service.name'] ?? '');
    for (const ss of every(rsFields, 2)) {
      for (const s of every(fields(bytesOf(ss)), 2)) {
        const f = fields(bytesOf(s));
        const parent = bytesOf(first(f, 4)).toString('hex');
        const status = fields(bytesOf(first(f, 15)));
        spans.push({
          traceId: bytesOf(first(f, 1)).toString('hex'),
          spanId: bytesOf(first(f, 2)).toString('hex'),
          parentSpanId: parent === '' ? undefined : parent,
          name: textOf(first(f, 5)),
          kind: numberOf(first(f, 6)),
          attributes: attributes(every(f, 9)),
          links: every(f, 13).map((l) => {
            const lf = fields(bytesOf(l));
            return {
              traceId: bytesOf(first(lf, 1)).toString('hex'),
              spanId: bytesOf(first(lf, 2)).toString('hex'),
            };
          }),
          statusCode: numberOf(first(status, 3)),
          statusMessage: textOf(first(status, 2)),
          eventAttributes: every(f, 11).map((e) => attributes(every(fields(bytesOf(e)), 3))),
          service,
        });
      }
    }
  }
  return spans;
}

export interface OtlpReceiver {
  /** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly url: string;
  readonly spans: ReceivedSpan[];
  /** Raw bodies of every request (traces and metrics), for a search for secrets. */
  readonly bodies: Buffer[];
  metricsRequests(): number;
  close(): Promise<void>;
}

/** Starts the receiver on a free loopback port. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const bodies: Buffer[] = [];
  let metrics = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let body = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      bodies.push(body);
      const contentType = String(request.headers['content-type'] ?? '');
      if (request.method !== 'POST' || !contentType.startsWith('application/x-protobuf')) {
        response.writeHead(415).end();
        return;
      }
      if (request.url === '/v1/traces') spans.push(...decodeTraces(body));
      else if (request.url === '/v1/metrics') metrics++;
      else {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const untrack = track(`otlp receiver ${port}`, async () => {
    server.closeAllConnections();
    server.close();
  });
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    bodies,
    metricsRequests: () => metrics,
    async close() {
      untrack();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
