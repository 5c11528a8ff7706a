import { Pool } from 'pg';
import type { QueryFn } from '../audit';
import { dropDatabase } from '../devstack/pg-admin';

/** One service's database in a system: the URL its app is given, and how the harness reads it. */
export interface SystemDatabase {
  url: string;
  query: QueryFn;
  /** Closes the harness's connections, then removes the database (unless opened with `keep`). Once only. */
  drop(): Promise<void>;
}

/**
 * Reads `url` through a small pool of its own. The pool has an 'error' listener: its idle clients
 * emit one when their server goes away (a test stops PostgreSQL under a running system; the
 * forced DROP that follows `pool.end()` can terminate a session not yet gone), and unheard it
 * would crash whatever runs then. A query still reports its own errors.
 */
export function openDatabase(url: string, { max = 2, keep = false }: { max?: number; keep?: boolean } = {}) {
  const pool = new Pool({ connectionString: url, max }).on('error', () => undefined);
  let dropped: Promise<void> | undefined;
  const database: SystemDatabase = {
    url,
    query: async <R>(sql: string, params: unknown[] = []) => (await pool.query(sql, params)).rows as R[],
    drop: () =>
      (dropped ??= (async () => {
        await pool.end();
        if (!keep) await dropDatabase(url);
      })()),
  };
  return database;
}
