import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times (100 on every Linux seen; asked once). */
const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, in seconds: the process's own CPU. */
  cpu: number;
  /** cutime + cstime, in seconds: CPU of its children that exited and were waited for. */
  reapedChildrenCpu: number;
}

/** Parses one /proc/<pid>/stat line (the command may hold spaces and parentheses: split after the last ")"). */
export function parseStat(line: string, ticks = TICKS): ProcStat {
  const pid = Number(line.slice(0, line.indexOf(' ')));
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state) of proc(5): ppid is 4, utime 14, stime 15, cutime 16, cstime 17.
  const at = (field: number) => Number(fields[field - 3]);
  return { pid, ppid: at(4), cpu: (at(14) + at(15)) / ticks, reapedChildrenCpu: (at(16) + at(17)) / ticks };
}

export function readStat(pid: number): ProcStat | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // gone
  }
}

/** CPU seconds of one process so far (undefined once it is gone). */
export function processCpu(pid: number): number | undefined {
  return readStat(pid)?.cpu;
}

/**
 * CPU seconds of a process and everything below it: its own, its reaped children's, and every
 * live descendant's (PostgreSQL's backends come and go; an exited one is in the postmaster's
 * cutime once reaped, a live one is read directly, so the difference of two readings is exact).
 */
export function treeCpu(root: number): number | undefined {
  const stats = new Map<number, ProcStat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) stats.set(stat.pid, stat);
  }
  if (!stats.has(root)) return undefined;
  return sumTree(root, [...stats.values()]);
}

/** Pure part of treeCpu, for the tests. */
export function sumTree(root: number, stats: readonly ProcStat[]): number {
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  let total = 0;
  const visit = (pid: number) => {
    const s = byPid.get(pid);
    if (!s) return;
    total += s.cpu + s.reapedChildrenCpu;
    for (const child of children.get(pid) ?? []) visit(child.pid);
  };
  visit(root);
  return total;
}

/** Resident set size in MiB (VmRSS), or undefined once the process is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
