import { connect } from 'node:net';

/** Longest banner kept (characters), so a chatty service cannot bloat assets. */
export const MAX_BANNER = 256;

/** What one TCP connect attempt found. `aborted`: the scan was stopped before it finished. */
export type PortState = 'open' | 'closed' | 'filtered' | 'aborted';

export interface PortProbe {
  readonly port: number;
  readonly state: PortState;
  readonly banner?: string;
  /** Guessed from the banner (`http`, `ssh`, `smtp`, …). */
  readonly service?: string;
  /** The banner answered our HTTP request rather than arriving unprompted. */
  readonly probed?: boolean;
}

export interface ProbeOptions {
  /** Address to connect to (already through the target policy). */
  readonly address: string;
  readonly family: 4 | 6;
  readonly port: number;
  /** Connect timeout; no answer in time = `filtered`. */
  readonly timeoutMs: number;
  /** How long an open port may stay silent before we give up (or send the HTTP probe). */
  readonly bannerMs: number;
  /** Send `HEAD / HTTP/1.0` to a silent open port, so web servers on any port are recognized. */
  readonly probeHttp: boolean;
  /** Host header of that probe. */
  readonly hostHeader: string;
  readonly signal: AbortSignal;
}

/** Printable text of what a service sent: control characters dropped, trimmed, bounded. Pure. */
export function cleanBanner(data: Buffer): string {
  return (
    data
      .subarray(0, MAX_BANNER * 4)
      .toString('latin1')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we drop
      .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/g, '')
      .trim()
      .slice(0, MAX_BANNER)
  );
}

const SERVICES: readonly [RegExp, string][] = [
  [/^HTTP\/\d/, 'http'],
  [/^SSH-/, 'ssh'],
  [/^220[ -].*\b(E?SMTP|Postfix|Exim|Sendmail)\b/i, 'smtp'],
  [/^220[ -]/, 'ftp'],
  [/^\+OK/, 'pop3'],
  [/^\* OK/, 'imap'],
  [/^-ERR|^-NOAUTH/, 'redis'],
];

/** The service a banner announces, when it is one of the common ones. Pure. */
export function guessService(banner: string): string | undefined {
  return SERVICES.find(([pattern]) => pattern.test(banner))?.[1];
}

/**
 * One TCP connect: `closed` when refused, `filtered` when unanswered within `timeoutMs`, `open`
 * otherwise with the first bytes the service sends within `bannerMs` (or its answer to an HTTP
 * probe). Never rejects; an abort ends it at once (`aborted`, or `open` if it had connected).
 */
export function probePort(options: ProbeOptions): Promise<PortProbe> {
  const { port, signal } = options;
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve({ port, state: 'aborted' });
      return;
    }
    const socket = connect({ host: options.address, port, family: options.family });
    let connected = false;
    let probed = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const open = (data?: Buffer): PortProbe => {
      const banner = data ? cleanBanner(data) : '';
      const service = banner ? guessService(banner) : undefined;
      return {
        port,
        state: 'open',
        ...(banner ? { banner } : {}),
        ...(service ? { service } : {}),
        ...(banner && probed ? { probed } : {}),
      };
    };
    const done = (result: PortProbe) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = () => done(connected ? open() : { port, state: 'aborted' });
    const onQuiet = () => {
      if (!options.probeHttp || probed) return done(open());
      probed = true;
      socket.write(`HEAD / HTTP/1.0\r\nHost: ${options.hostHeader}\r\nUser-Agent: scanq-portscan\r\n\r\n`);
      timer = setTimeout(() => done(open()), options.bannerMs);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(() => done({ port, state: 'filtered' }), options.timeoutMs);
    socket.once('connect', () => {
      connected = true;
      clearTimeout(timer);
      if (options.bannerMs === 0) return done(open());
      timer = setTimeout(onQuiet, options.bannerMs);
    });
    socket.on('data', (chunk: Buffer) => done(open(chunk)));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (connected) return done(open());
      const unanswered = error.code === 'ETIMEDOUT' || error.code === 'EHOSTUNREACH';
      done({ port, state: unanswered ? 'filtered' : 'closed' });
    });
    socket.on('close', () => done(connected ? open() : { port, state: 'closed' }));
  });
}
