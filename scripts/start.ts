/**
 * `npm start`: infra (embedded PostgreSQL + NATS unless URLs are set) → migrations → build →
 * the four apps, one process each, logs prefixed by app. Ctrl-C stops the apps, then the servers
 * this command started.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { APPS, appEntry, buildApps, isHealthy } from './lib/apps';
import { ensureInfra, writeDotEnv, type Infra } from './lib/infra';
import { migrateUrls } from './lib/migrate-urls';
import { ROOT } from './lib/paths';
import { isPortOpen, waitFor } from './lib/ports';

const log = (line: string) => console.log(`[passo] ${line}`);
const state: { infra?: Infra; apps?: ChildProcess; appsExited?: Promise<void>; stopping: boolean } = {
  stopping: false,
};

async function stop(code: number): Promise<void> {
  if (state.stopping) return;
  state.stopping = true;
  log('stopping…');
  // On Ctrl-C the terminal already signalled every process of the group; this covers `kill <pid>`.
  if (state.apps?.exitCode === null) state.apps.kill('SIGTERM');
  await state.appsExited;
  await state.infra?.stop();
  process.exit(code);
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
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
  const started = Date.now();
  // concurrently runs in its own node process: it prefixes each app's lines and, on Ctrl-C, waits
  // for every app to finish its graceful shutdown before exiting.
  const bin = join(ROOT, 'node_modules', 'concurrently', 'dist', 'bin', 'index.js');
  const names = APPS.map((app) => app.name).join(',');
  const commands = APPS.map((app) => `PORT=${app.port} node ${appEntry(app.name)}`);
  // Each app picks its own NATS user from the per-app variables (ORDER_NATS_USER, …).
  const env = { ...process.env, ...infra.urls, ...infra.natsEnv, LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty' };
  state.apps = spawn(
    process.execPath,
    [bin, '--names', names, '--prefix-colors', 'cyan,green,yellow,magenta', '--kill-signal', 'SIGTERM', ...commands],
    { cwd: ROOT, env, stdio: 'inherit' },
  );
  state.appsExited = new Promise((done) => state.apps?.once('exit', () => done()));
  let exited = false;
  void state.appsExited.then(() => {
    exited = true;
    if (!state.stopping) void stop(1);
  });
  await waitFor(
    'the four apps',
    async () => {
      if (exited) throw new Error('the apps exited during start (see their logs above)');
      return (await Promise.all(APPS.map((a) => isHealthy(a.port)))).every(Boolean);
    },
    90_000,
  );
  log(`all apps healthy in ${((Date.now() - started) / 1000).toFixed(1)} s:`);
  for (const app of APPS) log(`  ${app.name.padEnd(18)} http://localhost:${app.port}  (/health, /metrics)`);
  log('Ctrl-C stops everything.');
}

main().catch((error: Error) => {
  console.error(`[passo] ${error.message}`);
  void stop(1);
});
