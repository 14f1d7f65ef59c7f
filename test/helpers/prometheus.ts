import { execFileSync } from 'node:child_process';

/** Where a Prometheus binary is, or undefined when it is not on PATH. */
export function which(binary: 'prometheus' | 'promtool'): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a test that needs Prometheus's own tools may be skipped: only outside CI. In CI
 * (`CI` set) `.ci/run` installs Debian's `prometheus` (scripts/ensure-prometheus.sh), so a
 * missing binary there is a failure, never a skip.
 */
export function skipWithout(binary: 'prometheus' | 'promtool'): boolean {
  return which(binary) === undefined && !process.env.CI;
}
