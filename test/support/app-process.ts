import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { AppInfo } from '../../tools/system/apps';
import { spawnRunApp } from '../../tools/system/app-processes';
import { freePort } from '../../tools/devstack/ports';
import { SERVICES } from '../../tools/services/services';
import { testNatsUsersEnv } from './databases';
import { eventually } from './eventually';

export interface AppProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the app wrote, for assertions and for failure messages. */
  output(): string;
  /** Exit code, or the signal that ended the process (Nest re-raises SIGTERM after a graceful stop). */
  exited: Promise<number | NodeJS.Signals | null>;
  stop(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals | null>;
}

export { freePort };

/** The app's own NATS user, under its per-app names (as `.env` gives them): its permissions, not the operator's. */
export function appNatsEnv(name: AppInfo['name']): Record<string, string> {
  const spec = SERVICES.find((s) => s.app === name)!;
  const users = testNatsUsersEnv();
  return { [spec.natsUserEnv]: users[spec.natsUserEnv], [spec.natsPasswordEnv]: users[spec.natsPasswordEnv] };
}

/**
 * Spawns a built app (test global setup builds them) with exactly the env given, plus PATH and
 * the app's own NATS user (`NATS_USER`/`NATS_PASSWORD` in `env` win over it).
 */
export async function spawnApp(name: AppInfo['name'], env: Record<string, string>): Promise<AppProcess> {
  const port = Number(env.PORT ?? (await freePort()));
  const defaults = {
    LOG_LEVEL: 'warn',
    // Its own streams and consumer groups: never a developer's running system's (or another test's).
    PASSO_TOPOLOGY_PREFIX: `t${randomUUID().slice(0, 8)}`,
    ...appNatsEnv(name),
  };
  // The one way the tools spawn an app (tools/system/app-processes.ts): cwd outside the project,
  // so a developer's .env (from `npm run infra`) does not leak into tests.
  const app = spawnRunApp(name, port, { ...defaults, ...env }, () => undefined, { keepOutput: true });
  return {
    url: app.url,
    port,
    child: app.child,
    output: app.output,
    exited: app.exited,
    stop: async (signal = 'SIGTERM') => {
      if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill(signal);
      return app.exited;
    },
  };
}

/** Spawns an app and waits until it answers HTTP (not necessarily healthy). */
export async function startApp(name: AppInfo['name'], env: Record<string, string>): Promise<AppProcess> {
  const app = await spawnApp(name, env);
  let exitCode: number | NodeJS.Signals | null | undefined;
  void app.exited.then((code) => (exitCode = code));
  try {
    await eventually(async () => {
      if (exitCode !== undefined) throw new Error(`${name} exited (${exitCode}):\n${app.output()}`);
      const response = await fetch(`${app.url}/health`, { signal: AbortSignal.timeout(2_000) });
      return response.status > 0;
    }, 30_000);
  } catch (error) {
    await app.stop('SIGKILL');
    throw new Error(`${name} did not start: ${(error as Error).message}\n${app.output()}`, { cause: error });
  }
  return app;
}
