import { Pool, type PoolClient, type PoolConfig } from 'pg';

type QueryConfig = { text?: string };
type Query = (config: unknown, values?: unknown, callback?: unknown) => unknown;

/** What pg answers a BEGIN with, given at once for the BEGIN it holds back (PrismaPg reads rowCount). */
const BEGUN = { command: 'BEGIN', rowCount: null, rows: [], fields: [], oid: 0 };

const textOf = (config: unknown): string | undefined =>
  typeof config === 'string' ? config : (config as QueryConfig | null)?.text;

const held = new WeakMap<PoolClient, unknown>();

/**
 * A BEGIN is held back and written together with the transaction's first statement, on a
 * pipelined connection: one round trip instead of two, and one wake-up less of the backend and of
 * the app per transaction — on this project's machines a wake-up, not the statement, is what a
 * round trip costs. Nothing else changes: the BEGIN still runs first on the same connection, its
 * failure (a broken connection) fails the statement written with it, and a transaction that ends
 * before any statement (COMMIT or ROLLBACK right after BEGIN) never reaches the server at all.
 */
function holdBegin(client: PoolClient): void {
  const query = client.query.bind(client) as Query;
  (client as unknown as { query: Query }).query = (config, values, callback) => {
    const text = textOf(config);
    const begin = held.get(client);
    if (callback !== undefined || typeof values === 'function') {
      // Callback style is not what PrismaPg uses; sent as is, after a held BEGIN.
      if (begin !== undefined) {
        held.delete(client);
        void (query(begin) as Promise<unknown>).catch(() => undefined);
      }
      return query(config, values, callback);
    }
    if (text === 'BEGIN' && begin === undefined) {
      held.set(client, config);
      return Promise.resolve(BEGUN);
    }
    if (begin === undefined) return query(config, values);
    held.delete(client);
    if (text === 'COMMIT' || text === 'ROLLBACK') {
      return Promise.resolve({ ...BEGUN, command: text });
    }
    const begun = query(begin) as Promise<unknown>;
    const result = query(config, values) as Promise<unknown>;
    // The statement's own outcome, unless the BEGIN before it failed (then both did).
    return begun.then(
      () => result,
      (error: unknown) => {
        result.catch(() => undefined);
        throw error;
      },
    );
  };
}

/**
 * The apps' pool (PrismaPg's external pool): pipelined connections whose BEGIN waits for the
 * transaction's first statement (holdBegin). A held BEGIN is forgotten when its client goes back.
 */
export function deferredBeginPool(config: PoolConfig): Pool {
  const pool = new Pool({ ...config, pipeline: true });
  pool.on('connect', holdBegin);
  pool.on('release', (_error: Error | undefined, client: PoolClient) => held.delete(client));
  return pool;
}
