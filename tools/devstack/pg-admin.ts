// Server-level PostgreSQL chores for the migrator: create databases, scratch databases, and
// serialise migration runners.
import { randomBytes } from 'node:crypto';
import { Client, DatabaseError } from 'pg';

/** Our own advisory lock key ("passomig"); not Prisma's 72707369, which it never releases. */
export const MIGRATION_LOCK_KEY = '8097880544616737127';

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The database name a connection URL points at. */
export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!name) throw new Error(`database URL has no database name: ${redact(url)}`);
  return name;
}

/** The same server and credentials, another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid URL>';
  }
}

function pgCode(error: unknown): string | undefined {
  return error instanceof DatabaseError ? error.code : undefined;
}

/** Runs `fn` on a client connected to the server's maintenance database. */
async function withAdminClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  let lastError: unknown;
  // Some hosted servers forbid connecting to `postgres`; template1 always exists.
  for (const admin of ['postgres', 'template1']) {
    const client = new Client({ connectionString: withDatabase(url, admin) });
    try {
      await client.connect();
    } catch (error) {
      lastError = error;
      await client.end().catch(() => undefined);
      if (pgCode(error) === '3D000' || pgCode(error) === '42501') continue;
      throw error;
    }
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }
  throw lastError;
}

/** Creates the URL's database when it does not exist; returns whether it created it. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseName(url);
  return withAdminClient(url, async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
      return true;
    } catch (error) {
      // Another runner created it between our check and our CREATE.
      if (pgCode(error) === '42P04' || pgCode(error) === '23505') return false;
      throw error;
    }
  });
}

export async function dropDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  await withAdminClient(url, (client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
}

/** Creates a uniquely named empty database on `serverUrl`'s server, runs fn, drops it. */
export async function withScratchDatabase<T>(
  serverUrl: string,
  prefix: string,
  fn: (url: string) => Promise<T>,
): Promise<T> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const url = withDatabase(serverUrl, name);
  await ensureDatabase(url);
  try {
    return await fn(url);
  } finally {
    await dropDatabase(url);
  }
}

/**
 * Holds our session advisory lock on `url`'s database while fn runs, so concurrent migration
 * runners take turns (advisory locks are per database, so services do not wait on each other).
 */
export async function withMigrationLock<T>(url: string, fn: () => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    try {
      return await fn();
    } finally {
      // Closing the session releases it too, so a failed unlock must not hide fn's error.
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    await client.end();
  }
}
