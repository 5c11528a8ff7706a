import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../devstack/paths';
import type { BenchOptions } from './options';
import type { ProfileSummary } from './profile';
import type { Results } from './report';

export const RESULTS_DIR = join(ROOT, 'bench-results');

/** The run's name: date, time and the git short sha (with "+dirty" when the tree has changes). */
export function runName(now = new Date()): string {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  };
  const sha = git('rev-parse', '--short', 'HEAD') || 'nogit';
  const dirty = git('status', '--porcelain', '--untracked-files=no') ? '-dirty' : '';
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/:/g, '-');
  return `saga-${stamp}-${sha}${dirty}`;
}

/** Writes the run's figures (not the per-order rows) to bench-results/<run>.json; returns the path. */
export function writeResults(
  run: string,
  opts: BenchOptions,
  results: Results,
  profiles: Record<string, ProfileSummary>,
): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${run}.json`);
  const phases = Object.fromEntries(
    Object.entries(results).map(([target, byPhase]) => [
      target,
      Object.fromEntries(
        Object.entries(byPhase).map(([phase, r]) => [
          phase,
          {
            figures: r!.figures,
            wallSeconds: r!.run.wallSeconds,
            cpuSeconds: r!.run.cpuSeconds,
            benchCpuSeconds: r!.run.benchCpuSeconds,
            refused: r!.run.placement.refused,
            refusalSamples: r!.run.placement.refusalSamples,
            violations: r!.run.violations,
            rss: r!.run.rss,
            tables: r!.run.tables,
          },
        ]),
      ),
    ]),
  );
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGiB: totalmem() / 2 ** 30,
    node: process.version,
  };
  const body = {
    run,
    command: ['npm run bench:saga', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    machine,
    options: opts,
    phases,
    profiles,
  };
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}
