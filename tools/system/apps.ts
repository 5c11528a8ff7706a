import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { type DatabaseUrlVar, SERVICES, type ServiceSpec } from '../services/services';
import { ROOT } from '../devstack/paths';

export interface AppInfo {
  name: ServiceSpec['app'];
  port: number;
  databaseUrlVar: DatabaseUrlVar;
}

/** The apps as `npm start` runs them: the services' table (tools/services/services.ts), by app. */
export const APPS: readonly AppInfo[] = SERVICES.map(({ app, port, urlEnv }) => ({
  name: app,
  port,
  databaseUrlVar: urlEnv,
}));

/** Where `nest build <app>` puts an app's entry point (see nest-cli.json and tsconfig.app.json). */
export function appEntry(app: AppInfo['name']): string {
  return join(ROOT, 'dist', 'apps', app, 'apps', app, 'src', 'main.js');
}

/** Compiles every app with the Nest CLI (swc: about a second each). */
export async function buildApps(log: (line: string) => void): Promise<void> {
  const nest = join(ROOT, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js');
  const started = Date.now();
  await Promise.all(
    APPS.map(
      ({ name }) =>
        new Promise<void>((done, fail) => {
          let output = '';
          const child = spawn(process.execPath, [nest, 'build', name], {
            cwd: ROOT,
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          child.stdout.on('data', (c: Buffer) => (output += c.toString()));
          child.stderr.on('data', (c: Buffer) => (output += c.toString()));
          child.on('close', (code) => (code === 0 ? done() : fail(new Error(`nest build ${name} failed:\n${output}`))));
        }),
    ),
  );
  log(`build: ${APPS.length} apps compiled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export async function isHealthy(port: number): Promise<boolean> {
  return isOk(await healthStatus(port));
}

export const isOk = (status: number | undefined) => status !== undefined && status >= 200 && status < 300;

/** What GET /health answers (503 while the database or NATS is down), or undefined: no answer within 2 s. */
export async function healthStatus(port: number): Promise<number | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.status;
  } catch {
    return undefined;
  }
}
