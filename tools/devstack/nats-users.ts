import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import type { ConnectionOptions } from 'nats';
import { natsConnectOptions } from '../../libs/outbox/src/nats/nats-connect';
import { ROOT } from './paths';
import { SERVICES, type ServiceSpec } from '../services/services';

/**
 * The bus's users (docs/ARCHITECTURE.md, "Messaging": the bus is not open). Their names and permissions live
 * in deploy/nats-server.conf, one file for docker-compose and the embedded default; this module
 * gives them passwords and names the variables that carry them.
 */
export const NATS_CONFIG_TEMPLATE = join(ROOT, 'deploy', 'nats-server.conf');

/** The operator: full permissions, for the dead-letter CLI, compare and the tests. */
export const NATS_ADMIN = { user: 'passo-admin', userEnv: 'NATS_ADMIN_USER', passwordEnv: 'NATS_ADMIN_PASSWORD' };

export interface NatsUser {
  user: string;
  password: string;
}

export type AppName = ServiceSpec['app'];

export interface NatsUsers {
  admin: NatsUser;
  apps: Record<AppName, NatsUser>;
}

/** The variables an app or a tool reads its user from: NATS_ADMIN_*, and each app's `<APP>_NATS_*`. */
export function natsUsersEnv(users: NatsUsers): Record<string, string> {
  const env: Record<string, string> = {
    [NATS_ADMIN.userEnv]: users.admin.user,
    [NATS_ADMIN.passwordEnv]: users.admin.password,
  };
  for (const spec of SERVICES) {
    env[spec.natsUserEnv] = users.apps[spec.app].user;
    env[spec.natsPasswordEnv] = users.apps[spec.app].password;
  }
  return env;
}

/** Those of the variables that are set (a NATS server of your own: NATS_URL and its users from env). */
export function natsUsersEnvFrom(env: NodeJS.ProcessEnv): Record<string, string> {
  const names = [
    NATS_ADMIN.userEnv,
    NATS_ADMIN.passwordEnv,
    ...SERVICES.flatMap((s) => [s.natsUserEnv, s.natsPasswordEnv]),
  ];
  return Object.fromEntries(names.filter((name) => env[name]).map((name) => [name, env[name] as string]));
}

/** The operator's user from such variables (NATS_ADMIN_USER defaults to passo-admin). */
export function adminFromEnv(env: Record<string, string | undefined>): NatsUser | undefined {
  const password = env[NATS_ADMIN.passwordEnv];
  return password ? { user: env[NATS_ADMIN.userEnv] || NATS_ADMIN.user, password } : undefined;
}

// Letters and digits only, starting with a letter: safe in a config file and in a shell.
const newPassword = () => `p${randomBytes(24).toString('hex')}`;

/**
 * The embedded server's users: random passwords generated once into `<dir>/users.json` (mode
 * 0600, git-ignored with the state folder) and kept across restarts, so a running app's
 * credentials stay valid.
 */
export function embeddedNatsUsers(dir: string): NatsUsers {
  const file = join(dir, 'users.json');
  const stored = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
  const passwords: Record<string, string> = {};
  for (const user of [NATS_ADMIN.user, ...SERVICES.map((s) => s.app)]) passwords[user] = stored[user] || newPassword();
  if (JSON.stringify(passwords) !== JSON.stringify(stored)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, `${JSON.stringify(passwords, null, 2)}\n`, { mode: 0o600 });
  }
  const apps = Object.fromEntries(SERVICES.map((s) => [s.app, { user: s.app, password: passwords[s.app] }]));
  return { admin: { user: NATS_ADMIN.user, password: passwords[NATS_ADMIN.user] }, apps } as NatsUsers;
}

/**
 * Writes `<dir>/nats-server.conf`: the template with the passwords defined on top (where
 * docker-compose passes them as environment variables). Returns its path, and whether it changed.
 */
export function writeNatsConfig(
  dir: string,
  users: NatsUsers,
  { storeDir }: { storeDir?: string } = {},
): { path: string; changed: boolean } {
  const variables = Object.entries(natsUsersEnv(users))
    .filter(([name]) => name.endsWith('_PASSWORD'))
    .map(([name, value]) => `${name}: "${value}"`);
  const text = [
    '# Written by Passo (tools/devstack/nats-users.ts) from deploy/nats-server.conf: edit that file.',
    ...variables,
    '',
    readFileSync(NATS_CONFIG_TEMPLATE, 'utf8'),
    // In the file, not as -js on the command line: a reload (SIGHUP) re-reads only the file, and
    // a file without this block would shut JetStream down.
    ...(storeDir ? [`jetstream { store_dir: ${JSON.stringify(storeDir)} }`, ''] : []),
  ].join('\n');
  const path = join(dir, 'nats-server.conf');
  const changed = !existsSync(path) || readFileSync(path, 'utf8') !== text;
  mkdirSync(dir, { recursive: true });
  if (changed) writeFileSync(path, text, { mode: 0o600 });
  return { path, changed };
}

/**
 * How an operator tool connects: as NATS_ADMIN_USER / NATS_ADMIN_PASSWORD from the environment,
 * else from the project's `.env` (written by `npm run infra`).
 */
export function operatorNatsOptions(servers: string, name: string): ConnectionOptions {
  const dotEnv = join(ROOT, '.env');
  const fromFile = existsSync(dotEnv) ? parseEnv(readFileSync(dotEnv, 'utf8')) : {};
  const admin = adminFromEnv(process.env) ?? adminFromEnv(fromFile);
  return natsConnectOptions(servers, name, admin);
}
