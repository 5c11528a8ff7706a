import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedNatsUrl, ensureNats, stopNats } from './nats';
import { adminFromEnv, natsUsersEnv, natsUsersEnvFrom, type NatsUser } from './nats-users';
import { ROOT } from './paths';
import { SERVICES, type DatabaseUrlVar } from '../services/services';
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
  /**
   * The NATS users' variables (NATS_ADMIN_USER/PASSWORD, each app's <APP>_NATS_USER/PASSWORD):
   * the embedded server's generated ones, or those set in the environment with NATS_URL.
   */
  natsEnv: Record<string, string>;
  /** The operator's NATS user (tools and tests connect as it), when known. */
  natsAdmin?: NatsUser;
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
    let natsEnv = natsUsersEnvFrom(process.env);
    if (!natsUrl && nats) {
      const server = await ensureNats(log);
      servers.push(server);
      natsUrl = embeddedNatsUrl();
      natsEnv = natsUsersEnv(server.users);
    }
    return { urls: { ...db, NATS_URL: natsUrl }, adminUrl, natsEnv, natsAdmin: adminFromEnv(natsEnv), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function stopEmbedded(log: (line: string) => void = console.log): Promise<void> {
  await stopNats(log);
  await stopPostgres(log);
}

/** Writes the URLs and NATS users to the git-ignored .env that `nest start <app>` reads (@nestjs/config). */
export function writeDotEnv(infra: Pick<Infra, 'urls' | 'natsEnv'>): string {
  const file = join(ROOT, '.env');
  const lines = [
    ...Object.entries(infra.urls).map(([key, value]) => `${key}=${value}`),
    '# NATS users: the operator (tools) and each app (its own, with its permissions).',
    ...Object.entries(infra.natsEnv).map(([key, value]) => `${key}=${value}`),
    // Human-readable logs for apps started by hand in their own terminals (the talk's set-up).
    'LOG_FORMAT=pretty',
  ];
  writeFileSync(file, `# Written by \`npm run infra\`: the embedded servers' URLs and users.\n${lines.join('\n')}\n`, {
    mode: 0o600,
  });
  return file;
}
