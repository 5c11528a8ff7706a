import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppInfo } from '../../tools/system/apps';
import { migrate, resolveService, type ServiceName } from '../../tools/migrator/migrator';
import type * as NatsServer from '../../tools/devstack/nats';
import type { NatsUser } from '../../tools/devstack/nats-users';
import { ensureDatabase, withDatabase } from '../../tools/devstack/pg-admin';
import type * as PostgresServer from '../../tools/devstack/postgres';
import { openDatabase } from '../../tools/system/system-database';
import { freePort } from './app-process';
import type { TestDatabase } from './databases';

export interface PrivateServers {
  pg: typeof PostgresServer;
  /** Only with `nats: true`; its URL and users below are then set too. */
  nats: typeof NatsServer;
  natsUrl: string;
  /** Each app's own NATS user, as `NATS_USER`/`NATS_PASSWORD` (over the suite server's). */
  appEnv: Partial<Record<AppInfo['name'], Record<string, string>>>;
  admin: NatsUser;
  database(service: ServiceName): Promise<TestDatabase>;
  close(): Promise<void>;
}

/**
 * An embedded PostgreSQL (and, with `nats`, a nats-server) of the calling test file's own, on free
 * ports and a scratch folder: a test may stop them without touching the suite's shared servers.
 */
export async function privateServers({ nats: withNats = false } = {}): Promise<PrivateServers> {
  const saved = { ...process.env };
  const stateDir = mkdtempSync(join(tmpdir(), 'passo-private-'));
  chmodSync(stateDir, 0o755); // the server runs as `postgres` when we are root
  process.env.PASSO_PG_PORT = String(await freePort());
  process.env.PASSO_NATS_PORT = String(await freePort());
  process.env.PASSO_STATE_DIR = stateDir;
  let pg!: typeof PostgresServer;
  let nats!: typeof NatsServer;
  jest.isolateModules(() => {
    // The modules read their ports and folder once, at load: these copies keep this file's.
    /* eslint-disable @typescript-eslint/no-require-imports */
    pg = require('../../tools/devstack/postgres') as typeof PostgresServer;
    nats = require('../../tools/devstack/nats') as typeof NatsServer;
    /* eslint-enable @typescript-eslint/no-require-imports */
  });
  process.env = saved;
  const quiet = () => undefined;
  await pg.ensurePostgres(quiet);
  const users = withNats ? (await nats.ensureNats(quiet)).users : undefined;
  const appEnv = Object.fromEntries(
    Object.entries(users?.apps ?? {}).map(([app, { user, password }]) => [
      app,
      { NATS_USER: user, NATS_PASSWORD: password },
    ]),
  );
  const opened: TestDatabase[] = [];
  let count = 0;
  return {
    pg,
    nats,
    natsUrl: nats.embeddedNatsUrl(),
    appEnv,
    admin: users?.admin ?? { user: '', password: '' },
    async database(service) {
      const url = withDatabase(pg.embeddedPgUrl('postgres'), `passo_private_${service}_${++count}`);
      await ensureDatabase(url);
      await migrate(resolveService(service), url, { log: quiet });
      // Its pool hears the errors of idle clients while the server is down; the whole server goes at the end.
      const db = { name: url, ...openDatabase(url, { keep: true }) };
      opened.push(db);
      return db;
    },
    async close() {
      await Promise.all(opened.map((db) => db.drop().catch(quiet)));
      if (withNats) await nats.stopNats(quiet);
      await pg.stopPostgres(quiet, 'immediate');
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
