import { z } from 'zod';
import type { AssetRecord, CapabilityDefinition, Emit, RunContext } from '../capability.js';
import {
  extractTitle,
  type Finding,
  HEADER_CHECKS,
  headerFindings,
  headerValue,
  redirectLocation,
  type TlsFacts,
  tlsFindings,
} from './http-facts.js';
import { classifyNetworkError, type FetchedResponse, fetchOnce, probeError } from './http-fetch.js';
import { type ResolvedTarget, type Resolver, resolveTarget, TargetPolicyError } from './policy.js';
import { splitHostPort } from './ports.js';

/** Ports that speak HTTP by convention; the TLS ones get `https://`. */
export const HTTP_PORTS: ReadonlySet<number> = new Set([80, 443, 8000, 8080, 8443]);
const TLS_PORTS: ReadonlySet<number> = new Set([443, 8443]);

function portFacts(asset: AssetRecord): { port: number; banner: string; service: string } {
  const a = asset.attributes ?? {};
  const port = typeof a.port === 'number' ? a.port : (splitHostPort(asset.value).port ?? 0);
  return {
    port,
    banner: typeof a.banner === 'string' ? a.banner : '',
    service: typeof a.service === 'string' ? a.service : '',
  };
}

/** Cascade: an open port whose number, banner or guessed service says HTTP. Pure. */
export function speaksHttp(asset: AssetRecord): boolean {
  if (asset.type !== 'port') return false;
  const { port, banner, service } = portFacts(asset);
  return HTTP_PORTS.has(port) || /^HTTP\//.test(banner) || service === 'http';
}

/** Cascade: the URL to probe for a port asset (`https://` on 443/8443 unless it answered plain HTTP). Pure. */
export function urlForPort(asset: AssetRecord): string {
  const { port, banner } = portFacts(asset);
  const scheme = TLS_PORTS.has(port) && !/^HTTP\//.test(banner) ? 'https' : 'http';
  return `${scheme}://${asset.value}/`;
}

const schema = z.strictObject({
  /** Redirects followed at most. Default 5, 0 … 10. */
  maxRedirects: z.number().int().min(0).max(10).default(5),
  /** Per-request timeout (ms). Default 10000, 100 … 30000. */
  timeoutMs: z.number().int().min(100).max(30_000).default(10_000),
  /** When an `https://` target answers in plain HTTP (a `host:port` target), probe it over `http://`. Default true. */
  fallbackHttp: z.boolean().default(true),
});

export type HttpProbeInput = z.output<typeof schema>;

/** One step of the redirect chain. */
interface Hop {
  readonly url: string;
  readonly status_code?: number;
  readonly location?: string;
  /** The next hop was refused by the target policy (its code). */
  readonly refused?: string;
  /** The next hop failed (its network code). */
  readonly error?: string;
}

interface Reached {
  readonly response: FetchedResponse;
  readonly ip: string;
}

type Deps = { readonly resolve?: Resolver };

function policyCheck(ctx: RunContext, url: URL, deps: Deps): Promise<ResolvedTarget> {
  return resolveTarget(url.hostname, ctx.scope, {
    signal: ctx.signal,
    ...(deps.resolve ? { resolve: deps.resolve } : {}),
  });
}

async function request(ctx: RunContext, input: HttpProbeInput, url: URL, target: ResolvedTarget) {
  try {
    return await fetchOnce(url, target, {
      timeoutMs: input.timeoutMs,
      signal: ctx.signal,
      now: () => new Date(),
    });
  } catch (error) {
    ctx.signal.throwIfAborted();
    throw error;
  }
}

/** The first request: policy refusals and network errors fail the job; a plaintext answer may fall back to http. */
async function first(ctx: RunContext, input: HttpProbeInput, url: URL, deps: Deps) {
  const target = await policyCheck(ctx, url, deps);
  try {
    return { url, reached: { response: await request(ctx, input, url, target), ip: target.address } };
  } catch (error) {
    if (!(url.protocol === 'https:' && input.fallbackHttp && classifyNetworkError(error).plaintext)) {
      throw probeError(url, error);
    }
    const plain = new URL(url.href);
    const port = url.port || '443';
    plain.protocol = 'http:';
    plain.port = port;
    try {
      return {
        url: plain,
        reached: { response: await request(ctx, input, plain, target), ip: target.address },
      };
    } catch (again) {
      throw probeError(plain, again);
    }
  }
}

/** Follows redirects from the first response; a refused or failing hop ends the chain where it is. */
async function follow(ctx: RunContext, input: HttpProbeInput, start: Reached, deps: Deps) {
  const chain: Hop[] = [];
  let last = start;
  for (let hop = 0; ; hop++) {
    const { response } = last;
    const location = redirectLocation(response.status, response.headers);
    chain.push({ url: response.url.href, status_code: response.status, ...(location ? { location } : {}) });
    if (!location || hop >= input.maxRedirects) return { chain, last };
    let next: URL;
    try {
      next = new URL(location, response.url);
    } catch {
      return { chain, last };
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') return { chain, last };
    next.hash = '';
    try {
      const target = await policyCheck(ctx, next, deps);
      last = { response: await request(ctx, input, next, target), ip: target.address };
    } catch (error) {
      if (error instanceof TargetPolicyError) chain.push({ url: next.href, refused: error.code });
      else chain.push({ url: next.href, error: classifyNetworkError(error).code });
      return { chain, last };
    }
  }
}

function report(emit: Emit, url: URL, findings: readonly Finding[]) {
  for (const f of findings) {
    emit.risk({
      asset: { type: 'url', value: url.href },
      name: f.name,
      severity: f.severity,
      evidence: f.evidence,
    });
  }
}

/** The result document, with httpx's field names. */
function resultOf(
  ctx: RunContext,
  requested: URL,
  reached: Reached,
  facts: { chain: readonly Hop[]; tls: TlsFacts | undefined; missing: readonly string[] },
) {
  const { response } = reached;
  const length = Number(headerValue(response.headers, 'content-length'));
  return {
    input: ctx.target,
    url: requested.href,
    final_url: response.url.href,
    scheme: response.url.protocol.replace(':', ''),
    host: response.url.hostname.replace(/^\[|\]$/g, ''),
    ip: reached.ip,
    port: Number(response.url.port || (response.url.protocol === 'https:' ? 443 : 80)),
    status_code: response.status,
    title: extractTitle(response.body.toString('utf8')) ?? null,
    webserver: headerValue(response.headers, 'server') ?? null,
    content_type: headerValue(response.headers, 'content-type') ?? null,
    content_length: Number.isInteger(length) && length >= 0 ? length : response.body.length,
    ...(facts.tls ? { tls: facts.tls } : {}),
    chain: facts.chain,
    chain_status_codes: facts.chain.flatMap((h) => (h.status_code === undefined ? [] : [h.status_code])),
    security_headers: { checked: HEADER_CHECKS.map((c) => c.header), missing: facts.missing },
  };
}

/**
 * `http-probe`: GET a URL (or `host:port`) through the target policy, following redirects (each
 * hop checked again), and report status, title, server, length, TLS facts and the chain; risks
 * for missing security headers on the final response and for expired, expiring or untrusted
 * certificates.
 * @param options.resolve resolver for the policy; default the system's.
 */
export function createHttpProbe(options: Deps = {}): CapabilityDefinition<HttpProbeInput> {
  return {
    name: 'http-probe',
    description: 'HTTP(S) probe: status, title, server, redirects, TLS facts, missing security headers',
    targetKind: 'url',
    input: schema,
    timeoutMs: 120_000,
    maxAttempts: 3,
    match: speaksHttp,
    cascadeTarget: urlForPort,
    async run(ctx, input, emit) {
      const start = await first(ctx, input, new URL(ctx.target), options);
      const { chain, last } = await follow(ctx, input, start.reached, options);
      const final = last.response;
      // A redirect we stopped at is not the page: its headers say nothing about the site's policy.
      const redirect = final.status >= 300 && final.status < 400;
      const headers = redirect ? [] : headerFindings(final.url, final.status, final.headers);
      // Certificate facts of the final response, or of the first one when the chain left HTTPS.
      const secured = final.tls ? final : start.reached.response.tls ? start.reached.response : undefined;
      const certs = secured?.tls ? tlsFindings(secured.url, secured.tls) : [];
      const result = resultOf(ctx, start.url, last, {
        chain,
        tls: secured?.tls,
        missing: headers.map((f) => String(f.evidence.header)),
      });
      emit.asset({
        type: 'url',
        value: final.url.href,
        attributes: {
          status_code: final.status,
          title: result.title,
          webserver: result.webserver,
          ip: last.ip,
        },
      });
      if (start.url.href !== final.url.href) {
        emit.asset({
          type: 'url',
          value: start.url.href,
          attributes: { redirects_to: final.url.href, ip: start.reached.ip },
        });
      }
      report(emit, final.url, headers);
      if (secured) report(emit, secured.url, certs);
      return { kind: 'done', result };
    },
  };
}

/** The built-in `http-probe` (system resolver). */
export const httpProbe = createHttpProbe();
