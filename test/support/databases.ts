import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { migrate, SERVICES, type ServiceName } from '../../scripts/lib/migrator';
import { dropDatabase, ensureDatabase, quoteIdent, withDatabase } from '../../scripts/lib/pg-admin';

export interface TestDatabase {
  name: string;
  url: string;
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
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
  const url = withDatabase(testServerUrl(), name);
  const pool = new Pool({ connectionString: url, max: 4 });
  return {
    name,
    url,
    query: async <R>(sql: string, params: unknown[] = []) => (await pool.query(sql, params)).rows as R[],
    drop: async () => {
      await pool.end();
      await dropDatabase(url);
    },
  };
}
