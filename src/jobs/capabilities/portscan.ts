import { z } from 'zod';
import type { CapabilityDefinition, Emit } from '../capability.js';
import { PermanentError } from '../errors.js';
import { type ResolvedTarget, type Resolver, resolveTarget } from './policy.js';
import { DEFAULT_PORTS, joinHostPort, MAX_PORTS, parsePortSpec, splitHostPort } from './ports.js';
import { type PortProbe, probePort } from './tcp-probe.js';

/** Bounds of the scan settings a job may ask for, with their defaults. */
export const PORTSCAN_LIMITS = {
  concurrency: { default: 100, max: 1_000 },
  timeoutMs: { default: 1_000, min: 50, max: 10_000 },
  bannerMs: { default: 500, max: 5_000 },
} as const;

/** Hard limit of one portscan attempt (also its lease): 10 minutes. */
export const PORTSCAN_TIMEOUT_MS = 10 * 60_000;

const L = PORTSCAN_LIMITS;
const fields = z.strictObject({
  /** Ports to scan. */
  ports: z.array(z.number().int().min(1).max(65_535)).min(1).max(MAX_PORTS).optional(),
  /** naabu-style spec: `1-1024`, `22,80,8000-8100`. Joined with `ports`. */
  range: z
    .string()
    .max(4_000)
    .superRefine((spec, ctx) => {
      const parsed = parsePortSpec(spec);
      if ('error' in parsed) ctx.addIssue({ code: 'custom', message: parsed.error });
    })
    .optional(),
  /** Connects at once. Default 100, at most 1000. */
  concurrency: z.number().int().min(1).max(L.concurrency.max).default(L.concurrency.default),
  /** Per-port connect timeout (ms). Default 1000, 50 … 10000. */
  timeoutMs: z.number().int().min(L.timeoutMs.min).max(L.timeoutMs.max).default(L.timeoutMs.default),
  /** How long to wait for a banner (ms), twice when probing HTTP. Default 500, 0 … 5000. */
  bannerMs: z.number().int().min(0).max(L.bannerMs.max).default(L.bannerMs.default),
  /** Send `HEAD /` to silent open ports so web servers on any port are recognized. Default true. */
  probeHttp: z.boolean().default(true),
});

export type PortscanInput = z.output<typeof fields>;

/** The ports a job scans: `ports` ∪ `range`, else the target's own port, else `DEFAULT_PORTS`. Pure. */
export function portsOf(input: Pick<PortscanInput, 'ports' | 'range'>, targetPort?: number): number[] {
  const ranged = input.range ? parsePortSpec(input.range) : { ports: [] };
  const named = [...(input.ports ?? []), ...('ports' in ranged ? ranged.ports : [])];
  if (named.length > 0) return [...new Set(named)].sort((a, b) => a - b);
  return targetPort ? [targetPort] : [...DEFAULT_PORTS];
}

/** Worst case of a scan: every batch of `concurrency` ports waits the connect timeout plus two banner windows. */
export function worstCaseMs(input: PortscanInput, portCount: number): number {
  return Math.ceil(portCount / input.concurrency) * (input.timeoutMs + 2 * input.bannerMs);
}

const schema = fields.superRefine((input, ctx) => {
  const worst = worstCaseMs(input, portsOf(input).length);
  if (worst > PORTSCAN_TIMEOUT_MS) {
    ctx.addIssue({
      code: 'custom',
      message: `worst case ${Math.ceil(worst / 1000)} s exceeds the ${PORTSCAN_TIMEOUT_MS / 1000} s limit: fewer ports, more concurrency or shorter timeouts`,
    });
  }
});

/** Runs `probe` over `ports` with at most `concurrency` at once; starts nothing once `signal` aborted. */
export async function scanPorts(
  ports: readonly number[],
  concurrency: number,
  probe: (port: number) => Promise<PortProbe>,
  signal: AbortSignal,
): Promise<PortProbe[]> {
  const results: PortProbe[] = [];
  let next = 0;
  const runner = async () => {
    while (!signal.aborted) {
      const port = ports[next++];
      if (port === undefined) return;
      results.push(await probe(port));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ports.length) }, runner));
  return results.sort((a, b) => a.port - b.port);
}

/** Emits the host and its open ports; the result document, shaped like naabu's output. */
function report(resolved: ResolvedTarget, input: PortscanInput, probes: readonly PortProbe[], emit: Emit) {
  const ip = resolved.address;
  const open = probes.filter((p) => p.state === 'open');
  emit.asset({ type: 'host', value: resolved.host, attributes: { ip, openPorts: open.map((p) => p.port) } });
  const found = open.map(({ port, banner, service, probed }) => ({
    port,
    protocol: 'tcp',
    ...(banner ? { banner } : {}),
    ...(service ? { service } : {}),
    ...(probed ? { probed } : {}),
  }));
  for (const entry of found) {
    emit.asset({
      type: 'port',
      value: joinHostPort(resolved.host, entry.port),
      attributes: { ip, ...entry },
    });
  }
  const count = (state: PortProbe['state']) => probes.filter((p) => p.state === state).length;
  return {
    host: resolved.host,
    ip,
    ports: found,
    scanned: probes.length,
    closed: count('closed'),
    filtered: count('filtered'),
    timeout_ms: input.timeoutMs,
    concurrency: input.concurrency,
  };
}

/**
 * `portscan`: TCP connect scan of one host (target `host` or `host:port`). The host passes the
 * target policy first and every connect goes to the address it allowed. Emits the host and one
 * `port` asset per open port; the result is shaped like naabu's (`host`, `ip`, `ports`).
 * @param options.resolve resolver for the policy; default the system's.
 */
export function createPortscan(options: { resolve?: Resolver } = {}): CapabilityDefinition<PortscanInput> {
  return {
    name: 'portscan',
    description: 'TCP connect scan of a host: open ports and their banners',
    targetKind: 'host',
    input: schema,
    timeoutMs: PORTSCAN_TIMEOUT_MS,
    maxAttempts: 3,
    match: (asset) => asset.type === 'host' || asset.type === 'ip',
    async run(ctx, input, emit) {
      const target = splitHostPort(ctx.target);
      if (target.host.includes('/')) {
        throw new PermanentError('portscan scans one host: enqueue one job per address of a CIDR', {
          code: 'portscan.cidr',
        });
      }
      const ports = portsOf(input, target.port);
      const resolved = await resolveTarget(target.host, ctx.scope, {
        signal: ctx.signal,
        ...(options.resolve ? { resolve: options.resolve } : {}),
      });
      const probes = await scanPorts(
        ports,
        input.concurrency,
        (port) =>
          probePort({
            address: resolved.address,
            family: resolved.family,
            port,
            timeoutMs: input.timeoutMs,
            bannerMs: input.bannerMs,
            probeHttp: input.probeHttp,
            hostHeader: resolved.host,
            signal: ctx.signal,
          }),
        ctx.signal,
      );
      // A stopped scan is not a result: partial port lists would read as "closed".
      ctx.signal.throwIfAborted();
      ctx.log.info(
        { scanned: ports.length, open: probes.filter((p) => p.state === 'open').length },
        'portscan finished',
      );
      return { kind: 'done', result: report(resolved, input, probes, emit) };
    },
  };
}

/** The built-in `portscan` (system resolver). */
export const portscan = createPortscan();
