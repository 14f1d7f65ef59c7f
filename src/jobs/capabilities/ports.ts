/**
 * Port lists for scans: naabu-style specs (`80,443,8000-8100`), host:port targets, and the default
 * list scanned when a job names no ports. Pure.
 */

/** Scanned when a job names no ports: the services most often exposed (nmap's top ports, web alternates). */
export const DEFAULT_PORTS: readonly number[] = [
  21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993, 995, 1723, 3306, 3389, 5432, 5900, 6379,
  8000, 8080, 8443, 9200, 27017,
];

/** Ports a spec may name at most (every TCP port). */
export const MAX_PORTS = 65_535;

/** `80,443,8000-8100` → the sorted, unique ports, or the reason the spec is malformed. */
export function parsePortSpec(spec: string): { ports: number[] } | { error: string } {
  const ports = new Set<number>();
  for (const part of spec.split(',').map((p) => p.trim())) {
    const range = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    if (!range) return { error: `"${part}" is not a port or a range like 1-1024` };
    const low = Number(range[1]);
    const high = range[2] === undefined ? low : Number(range[2]);
    if (low < 1 || high > 65_535 || low > high) {
      return { error: `"${part}" must be within 1-65535, low to high` };
    }
    for (let port = low; port <= high; port++) ports.add(port);
  }
  return { ports: [...ports].sort((a, b) => a - b) };
}

/** A `host` target split into host and optional port: `example.com:8080`, `[::1]:22`, `10.0.0.1`. */
export function splitHostPort(target: string): { host: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(target);
  if (bracketed?.[1]) {
    return { host: bracketed[1], ...(bracketed[2] ? { port: Number(bracketed[2]) } : {}) };
  }
  const colons = target.split(':').length - 1;
  if (colons === 1) {
    const at = target.lastIndexOf(':');
    return { host: target.slice(0, at), port: Number(target.slice(at + 1)) };
  }
  // None, or a bare IPv6 address.
  return { host: target };
}

/** `host:port` as an authority: IPv6 hosts in brackets. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
