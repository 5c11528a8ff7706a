import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedNatsUrl, ensureNats, stopNats } from './nats';
import { ROOT } from './paths';
import { SERVICES, type DatabaseUrlVar } from './services';
import { embeddedPgUrl, ensurePostgres, stopPostgres, type RunningServer } from './postgres';

/** Each service's URL variable and its database, from the migrator's table of services. */
export const DATABASES = Object.fromEntries(SERVICES.map((spec) => [spec.urlEnv, spec.database])) as Record<
  DatabaseUrlVar,
  string
>;
export type { DatabaseUrlVar };
export type InfraUrls = Record<DatabaseUrlVar, string> & { NATS_URL: string };

export interface Infra {
  urls: InfraUrls;
  /** A superuser URL on the embedded server (tests create their own databases with it). */
  adminUrl?: string;
  /** Stops only the servers this call started; reused or configured ones are left alone. */
  stop(): Promise<void>;
}

const urlVars = Object.keys(DATABASES) as DatabaseUrlVar[];

/**
 * Uses the servers named by the environment, or brings up the embedded ones: PostgreSQL on
 * 127.0.0.1:54329 and `nats-server -js` on 127.0.0.1:4222 (reused when already running).
 */
export async function ensureInfra(
  log: (line: string) => void = console.log,
  { postgres = true, nats = true }: { postgres?: boolean; nats?: boolean } = {},
): Promise<Infra> {
  const configured = postgres ? urlVars.filter((name) => process.env[name]) : urlVars;
  if (configured.length > 0 && configured.length < urlVars.length) {
    const missing = urlVars.filter((name) => !process.env[name]);
    throw new Error(`Set all four database URLs or none (embedded default). Missing: ${missing.join(', ')}`);
  }
  const servers: RunningServer[] = [];
  const stop = async () => {
    for (const server of servers.reverse()) await server.stop();
  };
  try {
    let adminUrl: string | undefined;
    const db = {} as Record<DatabaseUrlVar, string>;
    if (configured.length === 0) {
      servers.push(await ensurePostgres(log));
      adminUrl = embeddedPgUrl('postgres');
      for (const name of urlVars) db[name] = embeddedPgUrl(DATABASES[name]);
    } else {
      for (const name of urlVars) db[name] = process.env[name] ?? '';
    }
    let natsUrl = process.env.NATS_URL ?? '';
    if (!natsUrl && nats) {
      servers.push(await ensureNats(log));
      natsUrl = embeddedNatsUrl();
    }
    return { urls: { ...db, NATS_URL: natsUrl }, adminUrl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function stopEmbedded(log: (line: string) => void = console.log): Promise<void> {
  await stopNats(log);
  await stopPostgres(log);
}

/** Writes the URLs to the git-ignored .env that `nest start <app>` reads (@nestjs/config). */
export function writeDotEnv(urls: InfraUrls): string {
  const file = join(ROOT, '.env');
  // Human-readable logs for apps started by hand in their own terminals (the talk's set-up).
  const lines = [...Object.entries(urls).map(([key, value]) => `${key}=${value}`), 'LOG_FORMAT=pretty'];
  writeFileSync(file, `# Written by \`npm run infra\`: the embedded servers' URLs.\n${lines.join('\n')}\n`);
  return file;
}
