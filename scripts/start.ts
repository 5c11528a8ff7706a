/**
 * `npm start`: infra (embedded PostgreSQL + NATS unless URLs are set) → migrations → build →
 * the four apps, one process each, supervised (tools/system/supervisor.ts): logs prefixed by app,
 * an app that dies is restarted after a backoff, one that keeps crashing is given up while the
 * servers and the other apps keep running. When every app has been given up there is nothing
 * left to show: it stops everything and exits 1. Ctrl-C, or SIGTERM/SIGHUP to this process or to
 * `npm start`, stops the apps gracefully, then the servers this command started; an app stopping
 * then is not restarted. package.json runs this with `exec node --import tsx`: npm passes a SIGTERM
 * to its child, the `sh -c` that runs the script, which would die without passing it on.
 */
import { APPS, appEntry, buildApps, isHealthy } from '../tools/system/apps';
import { ensureInfra, writeDotEnv, type Infra } from '../tools/devstack/infra';
import { migrateUrls } from '../tools/migrator/migrate-urls';
import { ROOT } from '../tools/devstack/paths';
import { isPortOpen } from '../tools/devstack/ports';
import { Supervisor } from '../tools/system/supervisor';

/** How long the apps may take to become healthy the first time. */
const START_TIMEOUT_MS = 90_000;
const log = (line: string) => console.log(`[passo] ${line}`);
const state: { infra?: Infra; apps?: Supervisor; stopping: boolean } = { stopping: false };

async function stop(code: number): Promise<void> {
  if (state.stopping) return;
  state.stopping = true;
  log('stopping…');
  await state.apps?.stop();
  await state.infra?.stop();
  process.exit(code);
}

function superviseApps(infra: Infra): Supervisor {
  // Each app picks its own NATS user from the per-app variables (ORDER_NATS_USER, …).
  const env = { ...process.env, ...infra.urls, ...infra.natsEnv, LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty' };
  const apps = new Supervisor(
    APPS.map((app) => ({
      name: app.name,
      command: process.execPath,
      args: [appEntry(app.name)],
      cwd: ROOT,
      env: { ...env, PORT: String(app.port) },
      health: () => isHealthy(app.port),
    })),
    { log, giveUpHint: 'fix it and run `npm start` again' },
  );
  apps.on('gaveUp', () => {
    if (APPS.some((app) => apps.state(app.name) !== 'gave-up')) return;
    log('every app has been given up: stopping (see their logs above)');
    void stop(1);
  });
  return apps;
}

async function main(): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(0));
  // A closed terminal (EIO, EPIPE) must not kill us halfway through stopping the apps and servers.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const busy = (await Promise.all(APPS.map(async (app) => ((await isPortOpen(app.port)) ? app : null)))).filter(
    (app) => app !== null,
  );
  if (busy.length > 0) {
    const list = busy.map((app) => `${app.port} (${app.name})`).join(', ');
    throw new Error(`port(s) ${list} already in use — is Passo already running? Stop it or free the port(s).`);
  }
  const infra = (state.infra = await ensureInfra(log));
  await migrateUrls(infra.urls, log);
  // The embedded servers' URLs and NATS users, for the tools (npm run dlq connects as the operator)
  // and for an app started by hand beside these; servers of your own keep your .env untouched.
  if (infra.adminUrl !== undefined || !process.env.NATS_URL) {
    log(`URLs and NATS users written to ${writeDotEnv(infra)} (npm run dlq, npm run outbox read it)`);
  }
  await buildApps(log);
  if (state.stopping) return; // Ctrl-C during the build
  const started = Date.now();
  const apps = (state.apps = superviseApps(infra));
  apps.start();
  const waits = await Promise.allSettled(APPS.map((app) => apps.waitHealthy(app.name, START_TIMEOUT_MS)));
  if (state.stopping) return;
  const givenUp = APPS.filter((app) => apps.state(app.name) === 'gave-up').map((app) => app.name);
  const failed = waits.find((wait, i) => wait.status === 'rejected' && !givenUp.includes(APPS[i].name));
  if (failed?.status === 'rejected') throw failed.reason;
  const healthy = APPS.filter((app) => !givenUp.includes(app.name));
  const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
  if (givenUp.length === 0) log(`all apps healthy in ${took}:`);
  else log(`${healthy.length} of ${APPS.length} apps healthy in ${took} (given up: ${givenUp.join(', ')}):`);
  for (const app of healthy) log(`  ${app.name.padEnd(18)} http://localhost:${app.port}  (/health, /metrics)`);
  log('An app that dies is restarted. Ctrl-C stops everything.');
}

main().catch((error: Error) => {
  console.error(`[passo] ${error.message}`);
  void stop(1);
});
