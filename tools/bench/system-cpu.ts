/**
 * CPU time of process trees (the emulators a run started, with their JVM or Python children),
 * from `/proc`. Linux only: elsewhere it answers `undefined` and the report leaves the figure out.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ; 100 on Linux). */
const TICKS_PER_SECOND = 100;

interface Stat {
  readonly pid: number;
  readonly ppid: number;
  /** utime + stime, in ticks. */
  readonly ticks: number;
}

/** Parses `/proc/<pid>/stat`; the command name may hold spaces and parentheses, so fields follow its last `)`. */
export function parseStat(text: string): Stat | undefined {
  const close = text.lastIndexOf(')');
  const pid = Number.parseInt(text, 10);
  if (close < 0 || Number.isNaN(pid)) return undefined;
  // After ")": state(3) ppid(4) … utime(14) stime(15), numbered from 1 over the whole line.
  const fields = text.slice(close + 2).split(' ');
  const ppid = Number(fields[1]);
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ppid) && Number.isFinite(ticks) ? { pid, ppid, ticks } : undefined;
}

function allStats(): Stat[] | undefined {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return undefined;
  }
  return names.flatMap((name) => {
    if (!/^\d+$/.test(name)) return [];
    try {
      const stat = parseStat(readFileSync(`/proc/${name}/stat`, 'utf8'));
      return stat ? [stat] : [];
    } catch {
      // Gone between the listing and the read.
      return [];
    }
  });
}

/** CPU ms used so far by `roots` and every live descendant; undefined without `/proc`. */
export function treeCpuMs(roots: readonly number[]): number | undefined {
  const stats = allStats();
  if (!stats || roots.length === 0) return undefined;
  const children = new Map<number, Stat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  let ticks = 0;
  const seen = new Set<number>();
  const visit = (pid: number) => {
    if (seen.has(pid)) return;
    seen.add(pid);
    ticks += byPid.get(pid)?.ticks ?? 0;
    for (const child of children.get(pid) ?? []) visit(child.pid);
  };
  for (const root of roots) visit(root);
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** CPU ms used so far by the processes `pids` themselves (not their children); undefined without `/proc`. */
export function processesCpuMs(pids: readonly number[]): number | undefined {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      if (!stat) return undefined;
      ticks += stat.ticks;
    } catch {
      return undefined;
    }
  }
  return pids.length > 0 ? (ticks * 1000) / TICKS_PER_SECOND : undefined;
}
