/**
 * `npm start`: infra (embedded PostgreSQL + NATS unless URLs are set) → migrations → build →
 * the four apps, one process each, logs prefixed by app. Ctrl-C stops the apps, then the servers
 * this command started.
 */
import { concurrently, type ConcurrentlyResult } from 'concurrently';
import { APPS, appEntry, buildApps, isHealthy } from './lib/apps';
import { ensureInfra, type Infra } from './lib/infra';
import { migrateUrls } from './lib/migrate-urls';
import { ROOT } from './lib/paths';
import { waitFor } from './lib/ports';

const log = (line: string) => console.log(`[passo] ${line}`);
const state: { infra?: Infra; apps?: ConcurrentlyResult; stopping: boolean } = { stopping: false };

async function stop(code: number): Promise<void> {
  if (state.stopping) return;
  state.stopping = true;
  log('stopping…');
  state.apps?.commands.forEach((command) => command.kill('SIGTERM'));
  await state.apps?.result.catch(() => undefined);
  await state.infra?.stop();
  process.exit(code);
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  const infra = (state.infra = await ensureInfra(log));
  await migrateUrls(infra.urls, log);
  await buildApps(log);
  const started = Date.now();
  state.apps = concurrently(
    APPS.map((app) => ({
      name: app.name,
      command: `node ${appEntry(app.name)}`,
      env: { ...infra.urls, PORT: String(app.port), LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty' },
    })),
    { cwd: ROOT, prefix: 'name', prefixColors: ['cyan', 'green', 'yellow', 'magenta'], killSignal: 'SIGTERM' },
  );
  state.apps.result.catch(() => undefined);
  await waitFor(
    'the four apps',
    async () => (await Promise.all(APPS.map((a) => isHealthy(a.port)))).every(Boolean),
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
