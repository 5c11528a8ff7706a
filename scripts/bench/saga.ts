/**
 * `npm run bench:saga` — the whole system's benchmark: the four apps as `npm start` runs them
 * (fresh databases and streams, logging at the default level) in each saga mode, and the same
 * saga as one DBOS workflow on the same PostgreSQL, side by side: closed loop (settled sagas/s),
 * fixed rate (latency from the databases' timestamps), CPU per saga of every process, memory,
 * relay lag, invariants. Progress on stderr, the table on stdout, JSON in bench-results/.
 * Exits 1 when an invariant failed or a phase's sagas did not settle in time. See docs/PERFORMANCE.md.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CompareSystem } from '../../tools/system/harness';
import { appEnv, parseBenchArgs, USAGE } from '../../tools/bench/options';
import { profileLines, type ProfileSummary, summariseDir } from '../../tools/bench/profile';
import { benchTable, footnotes, memoryLines } from '../../tools/bench/report';
import { RESULTS_DIR, runName, writeResults } from '../../tools/bench/results';
import { cpuProf, runBench, startSystem, type BenchRun } from '../../tools/bench/run';
import { natsProcess, postgresProcess } from '../../tools/bench/target';
import { ROOT } from '../../tools/devstack/paths';
import { runCommand, withInfra } from '../../tools/system/command';

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function main(): Promise<number> {
  const opts = parseBenchArgs(process.argv.slice(2));
  if (opts === 'help') return (void process.stdout.write(`${USAGE}\n`), 0);
  const run = runName();
  const logDir = join(RESULTS_DIR, 'logs', run);
  const profileDir = opts.profile ? join(RESULTS_DIR, 'profiles', run) : undefined;
  mkdirSync(logDir, { recursive: true });
  log(`run ${run}: app logs in ${logDir}${profileDir ? `, CPU profiles in ${profileDir}` : ''}`);
  return withInfra(log, async (infra, cleanup) => {
    const system = new CompareSystem(infra, log, {
      name: 'bench',
      logLevel: 'info', // the apps' default, as npm start runs them
      env: appEnv(opts), // --retention (a soak's 60 s)
      spawn: (app) => ({
        logFile: join(logDir, `${app}.log`),
        nodeArgs: profileDir ? cpuProf(join(profileDir, app)) : [],
      }),
    });
    const server = infra.adminUrl ?? infra.urls.ORDER_DATABASE_URL;
    const bench: BenchRun = { system, server, shared: [], logDir, profileDir };
    cleanup.add(async (signalled) => Promise.all([bench.dbos?.stop(), system.stop({ signalled })]));
    await startSystem(system, log);
    bench.shared = [await postgresProcess(server), natsProcess()];
    const results = await runBench(bench, opts, log);
    await system.stop(); // the apps exit gracefully: that writes their CPU profiles
    const profiles: Record<string, ProfileSummary> = {};
    if (profileDir) {
      for (const app of [...Object.keys(system.apps), 'dbos-app']) {
        const summary = summariseDir(join(profileDir, app), ROOT);
        if (summary) profiles[app] = summary;
      }
    }
    process.stdout.write(
      `\n${benchTable(results, opts)}\n\n${footnotes()}\n\n${memoryLines(results, opts).join('\n')}\n`,
    );
    if (profileDir) {
      process.stdout.write('\nCPU self time by package (whole life of each process, all phases):\n');
      for (const [app, summary] of Object.entries(profiles))
        process.stdout.write(`${profileLines(app, summary).join('\n')}\n`);
    }
    log(`results in ${writeResults(run, opts, results, profiles)}`);
    return verdict(results);
  });
}

function verdict(results: Awaited<ReturnType<typeof runBench>>): number {
  let failed = false;
  for (const [target, byPhase] of Object.entries(results)) {
    for (const [phase, r] of Object.entries(byPhase)) {
      const { figures, run } = r!;
      if (run.timedOut) log(`${target} ${phase}: ${figures.pending} saga(s) did not settle in time`);
      if (!figures.invariantsHeld) log(`${target} ${phase}: invariants violated (${run.violations.length})`);
      if (figures.asPlanned < figures.settled)
        log(`${target} ${phase}: ${figures.settled - figures.asPlanned} order(s) ended otherwise than planned`);
      if (figures.refused > 0)
        log(`${target} ${phase}: ${figures.refused} POST(s) refused: ${run.placement.refusalSamples.join(' | ')}`);
      if (run.timedOut || !figures.invariantsHeld || figures.failed > 0) failed = true;
    }
  }
  return failed ? 1 : 0;
}

runCommand(log, main, USAGE);
