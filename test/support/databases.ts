import { randomBytes } from 'node:crypto';
import { natsConnectOptions, type NatsCredentials } from '../../libs/outbox/src/nats/nats-connect';
import type { ConnectionOptions } from 'nats';
import { Client } from 'pg';
import { eventually } from './eventually';
import { adminFromEnv } from '../../tools/devstack/nats-users';
import { migrate, SERVICES, type ServiceName } from '../../tools/migrator/migrator';
import { dropDatabase, ensureDatabase, quoteIdent, withDatabase } from '../../tools/devstack/pg-admin';
import { openDatabase, type SystemDatabase } from '../../tools/system/system-database';

export interface TestDatabase extends SystemDatabase {
  name: string;
}

export function testServerUrl(): string {
  const url = process.env.PASSO_TEST_PG_URL;
  if (!url) throw new Error('PASSO_TEST_PG_URL is not set: run the tests through jest (its global setup sets it)');
  return url;
}

export function testNatsUrl(): string {
  const url = process.env.PASSO_TEST_NATS_URL;
  if (!url) throw new Error('PASSO_TEST_NATS_URL is not set: run the tests through jest (its global setup sets it)');
  return url;
}

/** The NATS users' variables (NATS_ADMIN_*, each app's <APP>_NATS_*) the global setup resolved. */
export function testNatsUsersEnv(): Record<string, string> {
  const json = process.env.PASSO_TEST_NATS_USERS;
  if (!json) throw new Error('PASSO_TEST_NATS_USERS is not set: run the tests through jest (its global setup sets it)');
  return JSON.parse(json) as Record<string, string>;
}

/** The operator's user: what tests connect as (the bus refuses anonymous clients). */
export function testNatsAdmin(): NatsCredentials {
  const admin = adminFromEnv(testNatsUsersEnv());
  if (!admin) throw new Error('no NATS operator user: set NATS_ADMIN_USER and NATS_ADMIN_PASSWORD with NATS_URL');
  return admin;
}

/** Connection options of a test client, as the operator. */
export function testNatsOptions(name = 'passo-tests'): ConnectionOptions {
  return natsConnectOptions(testNatsUrl(), name, testNatsAdmin());
}

export const templateName = (service: ServiceName) => `passo_test_template_${service}`;

/** Global setup: one freshly migrated template per service, so each test's database is a fast copy. */
export async function prepareTemplates(log: (line: string) => void): Promise<void> {
  for (const spec of SERVICES) {
    const url = withDatabase(testServerUrl(), templateName(spec.name));
    await dropDatabase(url);
    await ensureDatabase(url);
    await migrate(spec, url, { log });
  }
}

/** A new database of the service's schema (migrated), private to the calling test. */
export async function testDatabase(service: ServiceName): Promise<TestDatabase> {
  const name = `passo_t_${service}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: testServerUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(templateName(service))}`);
  } finally {
    await admin.end();
  }
  return { name, ...openDatabase(withDatabase(testServerUrl(), name), { max: 4 }) };
}

/**
 * Until `count` sessions of `db` wait on a lock (a test holds it). Read on `db`'s own connection,
 * not the locker's: inside the locker's transaction the statistics views are a snapshot.
 */
export async function waitingOnLocks(db: TestDatabase, count = 1): Promise<void> {
  await eventually(async () => {
    const [{ n }] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    return n >= count;
  });
}
