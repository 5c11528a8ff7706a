import { randomUUID } from 'node:crypto';
import type { AppInfo } from '../../tools/system/apps';
import { type ReadyOptions, type RunningApp, spawnRunApp, waitReady } from '../../tools/system/app-processes';
import { freePort } from '../../tools/devstack/ports';
import { SERVICES } from '../../tools/services/services';
import { testNatsUsersEnv } from './databases';
import { deleteTestStreams } from './test-streams';

/** A built app a test started (`output()`: everything it wrote, for assertions and failure messages). */
export type AppProcess = RunningApp;

export { freePort };

/** The app's own NATS user, under its per-app names (as `.env` gives them): its permissions, not the operator's. */
export function appNatsEnv(name: AppInfo['name']): Record<string, string> {
  const spec = SERVICES.find((s) => s.app === name)!;
  const users = testNatsUsersEnv();
  return { [spec.natsUserEnv]: users[spec.natsUserEnv], [spec.natsPasswordEnv]: users[spec.natsPasswordEnv] };
}

/** What every app a test starts runs with, under what the test gives: quiet, as its own NATS user. */
export const testAppEnv = (name: AppInfo['name']) => ({ LOG_LEVEL: 'warn', ...appNatsEnv(name) });

/** A test's app is started once it answers HTTP at all (healthy or not: some tests check its 503s). */
export const TEST_READY: ReadyOptions = { until: 'answering', timeoutMs: 30_000 };

/**
 * Spawns a built app (test global setup builds them) with exactly the env given, plus PATH and
 * the app's own NATS user (`NATS_USER`/`NATS_PASSWORD` in `env` win over it).
 */
export async function spawnApp(name: AppInfo['name'], env: Record<string, string>): Promise<AppProcess> {
  const port = Number(env.PORT ?? (await freePort()));
  // Its own streams and consumer groups: never a developer's running system's (or another test's).
  const defaults = { PASSO_TOPOLOGY_PREFIX: `t${randomUUID().slice(0, 8)}`, ...testAppEnv(name) };
  // The one way the tools spawn an app (tools/system/app-processes.ts): cwd outside the project,
  // so a developer's .env (from `npm run infra`) does not leak into tests.
  const app = spawnRunApp(name, port, { ...defaults, ...env }, () => undefined, { keepOutput: true });
  // A prefix chosen here is this process's alone: its streams go once it has exited.
  if (env.PASSO_TOPOLOGY_PREFIX === undefined)
    void app.exited.then(() => deleteTestStreams(defaults.PASSO_TOPOLOGY_PREFIX));
  return app;
}

/** Spawns an app and waits until it answers HTTP (not necessarily healthy). */
export async function startApp(name: AppInfo['name'], env: Record<string, string>): Promise<AppProcess> {
  const app = await spawnApp(name, env);
  await waitReady(app, TEST_READY);
  return app;
}
