import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { DatabaseUrlVar } from './infra';
import { ROOT } from './paths';

export interface AppInfo {
  name: 'order-service' | 'inventory-service' | 'payment-service' | 'saga-orchestrator';
  port: number;
  databaseUrlVar: DatabaseUrlVar;
}

/** docs/ARCHITECTURE.md, "Services, ports, databases". */
export const APPS: readonly AppInfo[] = [
  { name: 'order-service', port: 3001, databaseUrlVar: 'ORDER_DATABASE_URL' },
  { name: 'inventory-service', port: 3002, databaseUrlVar: 'INVENTORY_DATABASE_URL' },
  { name: 'payment-service', port: 3003, databaseUrlVar: 'PAYMENT_DATABASE_URL' },
  { name: 'saga-orchestrator', port: 3004, databaseUrlVar: 'ORCHESTRATOR_DATABASE_URL' },
];

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
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return false;
  }
}
