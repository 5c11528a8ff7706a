import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildApps } from '../system/apps';
import type { CompareSystem } from '../system/harness';
import { planWorkload } from '../compare/workload';
import { DbosTarget } from './dbos-target';
import { phaseFigures } from './figures';
import { BENCH_MIX } from './mix';
import type { BenchOptions, Phase } from './options';
import { PassoTarget } from './passo-target';
import { runPhase } from './phase';
import type { Results } from './report';
import type { MeasuredProcess, SagaTarget } from './target';

export interface BenchRun {
  system: CompareSystem;
  /** Server URL for the DBOS baseline's databases. */
  server: string;
  shared: readonly MeasuredProcess[];
  logDir: string;
  profileDir?: string;
  /** Set once DBOS runs, so an interrupt can stop it. */
  dbos?: DbosTarget;
}

/**
 * DBOS first (so a Passo phase that times out cannot blur it; its process is stopped before
 * Passo's phases), then each saga mode: closed loop, then fixed rate. A phase that times out
 * leaves sagas in flight that would blur what follows: the later Passo phases are skipped.
 */
export async function runBench(bench: BenchRun, opts: BenchOptions, log: (line: string) => void): Promise<Results> {
  const results: Results = {};
  const tag = randomBytes(2).toString('hex');
  const count = (phase: Phase) => (phase === 'closed' ? opts.orders : opts.rate * opts.durationS);
  const phases = async (target: SagaTarget): Promise<boolean> => {
    for (const kind of opts.phases) {
      const workload = planWorkload(
        'choreography',
        count(kind),
        `${target.name.slice(0, 4)}${kind[0]}${tag}`,
        BENCH_MIX,
      );
      log(
        `${target.name} ${kind}: ${workload.orders.length} orders${kind === 'closed' ? `, ${opts.concurrency} in flight` : ` at ${opts.rate}/s`}`,
      );
      const run = await runPhase(
        target,
        { kind, workload, concurrency: opts.concurrency, rate: opts.rate, timeoutMs: opts.timeoutMs },
        log,
      );
      (results[target.name] ??= {})[kind] = { run, figures: phaseFigures(run) };
      for (const v of run.violations) log(`${target.name} ${kind}: invariant violated: ${v}`);
      if (run.timedOut) return false;
    }
    return true;
  };
  if (opts.dbos) {
    const nodeArgs = bench.profileDir ? cpuProf(join(bench.profileDir, 'dbos-app')) : [];
    bench.dbos = new DbosTarget(bench.server, bench.shared, join(bench.logDir, 'dbos-app.log'), nodeArgs);
    try {
      await bench.dbos.start();
      await phases(bench.dbos);
    } finally {
      await bench.dbos.stop();
    }
  }
  const readers = await PassoTarget.readersOf(bench.system);
  try {
    for (const mode of opts.modes) {
      if (!(await phases(new PassoTarget(mode, bench.system, bench.shared, readers)))) {
        log(`${mode}: timed out; the later modes are skipped (its sagas in flight would blur them)`);
        break;
      }
    }
  } finally {
    for (const client of readers.values()) await client.end().catch(() => undefined);
  }
  return results;
}

/** node flags that write a CPU profile into `dir` when the process exits. */
export function cpuProf(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

export async function startSystem(system: CompareSystem, log: (line: string) => void): Promise<void> {
  await system.createDatabases();
  await buildApps(log);
  await system.startApps();
}
