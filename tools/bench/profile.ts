import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The parts of a V8 .cpuprofile this reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { url: string; functionName: string } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface PackageTime {
  name: string;
  ms: number;
  /** Share of the busy time (everything but idle), 0–1. */
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  busyMs: number;
  rows: PackageTime[];
}

const SPECIAL: Record<string, string> = {
  '(garbage collector)': '(gc)',
  '(idle)': '(idle)',
  '(program)': '(program)',
  '(root)': '(program)',
};

/**
 * Who a frame's time belongs to: node_modules/<pkg> or @scope/pkg (the innermost node_modules),
 * "passo:<libs|apps|prisma|scripts>/<name>" for the project's own code (also as built in dist/apps/<app>/),
 * "node:internal" for Node's own JavaScript, "(wasm)", "(gc)", "(idle)", "(program)", and "(native)" for
 * frames without a script (V8 builtins and Node's C++ bindings: socket writes, crypto, JSON).
 */
export function packageOf(url: string, functionName: string, root: string): string {
  if (url === '') return SPECIAL[functionName] ?? '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  if (url.startsWith('wasm:')) return '(wasm)'; // Prisma's query compiler, in the apps
  let path = url;
  if (url.startsWith('file://')) {
    try {
      path = fileURLToPath(url);
    } catch {
      return '(other)';
    }
  }
  const modules = path.lastIndexOf(`${sep}node_modules${sep}`);
  if (modules >= 0) {
    const [first, second] = path.slice(modules + '/node_modules/'.length).split(sep);
    return first.startsWith('@') ? `${first}/${second}` : first;
  }
  const inside = relative(root, path);
  if (inside.startsWith('..') || inside === path) return '(other)';
  const parts = inside.split(sep);
  const own = parts[0] === 'dist' && parts[1] === 'apps' ? parts.slice(3) : parts;
  return `passo:${own.slice(0, 2).join('/')}`;
}

/** Self time by package: each sample's time (its timeDelta, µs) goes to its node's frame. */
export function summariseProfile(profile: CpuProfile, root: string): ProfileSummary {
  const owner = new Map(profile.nodes.map((n) => [n.id, packageOf(n.callFrame.url, n.callFrame.functionName, root)]));
  const byName = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const name = owner.get(id) ?? '(program)';
    byName.set(name, (byName.get(name) ?? 0) + Math.max(0, profile.timeDeltas[i] ?? 0) / 1000);
  });
  const totalMs = [...byName.values()].reduce((a, b) => a + b, 0);
  const idleMs = byName.get('(idle)') ?? 0;
  const busyMs = totalMs - idleMs;
  const rows = [...byName]
    .filter(([name]) => name !== '(idle)')
    .map(([name, ms]) => ({ name, ms, share: busyMs > 0 ? ms / busyMs : 0 }))
    .sort((a, b) => b.ms - a.ms);
  return { totalMs, idleMs, busyMs, rows };
}

/** Top rows of one summary as text lines. */
export function profileLines(title: string, summary: ProfileSummary, top = 10): string[] {
  const s = (ms: number) => (ms / 1000).toFixed(1);
  return [
    `${title}: busy ${s(summary.busyMs)} s of ${s(summary.totalMs)} s profiled (idle ${s(summary.idleMs)} s)`,
    ...summary.rows
      .slice(0, top)
      .map((r) => `  ${(r.share * 100).toFixed(1).padStart(5)} %  ${s(r.ms).padStart(7)} s  ${r.name}`),
  ];
}

/** Every .cpuprofile in `dir` (one per process that exited), merged into one summary. */
export function summariseDir(dir: string, root: string): ProfileSummary | undefined {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return undefined;
  }
  if (files.length === 0) return undefined;
  const summaries = files.map((f) =>
    summariseProfile(JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile, root),
  );
  const byName = new Map<string, number>();
  for (const summary of summaries) for (const r of summary.rows) byName.set(r.name, (byName.get(r.name) ?? 0) + r.ms);
  const totalMs = summaries.reduce((a, b) => a + b.totalMs, 0);
  const idleMs = summaries.reduce((a, b) => a + b.idleMs, 0);
  const busyMs = totalMs - idleMs;
  const rows = [...byName]
    .map(([name, ms]) => ({ name, ms, share: busyMs > 0 ? ms / busyMs : 0 }))
    .sort((a, b) => b.ms - a.ms);
  return { totalMs, idleMs, busyMs, rows };
}
