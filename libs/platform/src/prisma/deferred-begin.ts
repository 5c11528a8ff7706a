import { LAST_STATEMENT } from '@passo/outbox';
import { Pool, type PoolClient, type PoolConfig } from 'pg';

type QueryConfig = { text?: string };
type Query = (config: unknown, values?: unknown, callback?: unknown) => unknown;

/** What pg answers a BEGIN with, given at once for the BEGIN it holds back (PrismaPg reads rowCount). */
const BEGUN = { command: 'BEGIN', rowCount: null, rows: [], fields: [], oid: 0 };

const textOf = (config: unknown): string | undefined =>
  typeof config === 'string' ? config : (config as QueryConfig | null)?.text;

/** A connection's transaction as the pool sees it. */
interface Transaction {
  /** The BEGIN not written yet (held until the first statement). */
  begin?: unknown;
  /** The COMMIT written with the transaction's last statement, and what it will answer. */
  commit?: Promise<unknown>;
}

const open = new WeakMap<PoolClient, Transaction>();

/**
 * Two round trips of a transaction saved, on a pipelined connection: its BEGIN is held back and
 * written together with its first statement, and its COMMIT is written right behind its last one
 * (a statement marked LAST_STATEMENT), before that statement's answer is back. Each is one
 * wake-up less of the backend and of the app — on this project's machines a wake-up, not the
 * statement, is what a round trip costs. Nothing else changes: the BEGIN still runs first on the
 * same connection, its failure (a broken connection) fails the statement written with it, and a
 * transaction that ends before any statement never reaches the server at all. A last statement
 * that fails aborts the transaction, so the COMMIT behind it rolls back (the ROLLBACK that the
 * caller then sends is answered here); the COMMIT's own failure is the caller's COMMIT's.
 */
function holdBegin(client: PoolClient): void {
  const query = client.query.bind(client) as Query;
  (client as unknown as { query: Query }).query = (config, values, callback) => {
    const text = textOf(config);
    const transaction = open.get(client);
    if (callback !== undefined || typeof values === 'function') {
      // Callback style is not what PrismaPg uses; sent as is, after a held BEGIN.
      if (transaction?.begin !== undefined) {
        void (query(transaction.begin) as Promise<unknown>).catch(() => undefined);
        transaction.begin = undefined;
      }
      return query(config, values, callback);
    }
    if (!transaction) {
      if (text !== 'BEGIN') return query(config, values);
      open.set(client, { begin: config });
      return Promise.resolve(BEGUN);
    }
    if (transaction.commit) return afterCommitWritten(client, transaction.commit, text);
    if (text === 'COMMIT' || text === 'ROLLBACK') {
      open.delete(client);
      if (transaction.begin !== undefined) return Promise.resolve({ ...BEGUN, command: text });
      return query(config, values);
    }
    const begun = transaction.begin === undefined ? undefined : (query(transaction.begin) as Promise<unknown>);
    transaction.begin = undefined;
    const result = query(config, values) as Promise<unknown>;
    if (text?.startsWith(LAST_STATEMENT)) {
      transaction.commit = query('COMMIT') as Promise<unknown>;
      transaction.commit.catch(() => undefined); // observed when the caller commits
    }
    if (!begun) return result;
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
 * After the COMMIT went with the last statement: the caller's COMMIT gets its answer, and its
 * ROLLBACK (the last statement failed, so the server rolled back) an answer of its own — were the
 * statement to have succeeded, its COMMIT stood, which is why what a last statement must satisfy
 * is checked in its SQL. Anything else would run outside the transaction, so it is refused.
 */
function afterCommitWritten(client: PoolClient, commit: Promise<unknown>, text: string | undefined): Promise<unknown> {
  if (text === 'COMMIT' || text === 'ROLLBACK') open.delete(client);
  if (text === 'COMMIT') return commit;
  if (text === 'ROLLBACK')
    return commit.then(
      () => ({ ...BEGUN, command: 'ROLLBACK' }),
      () => ({ ...BEGUN, command: 'ROLLBACK' }),
    );
  return Promise.reject(new Error(`a statement after the transaction's last one (${LAST_STATEMENT}): not run`));
}

/**
 * The apps' pool (PrismaPg's external pool): pipelined connections whose BEGIN waits for the
 * transaction's first statement and whose COMMIT goes with its last (holdBegin). A transaction's
 * state is forgotten when its client goes back.
 */
export function deferredBeginPool(config: PoolConfig): Pool {
  const pool = new Pool({ ...config, pipeline: true });
  pool.on('connect', holdBegin);
  pool.on('release', (_error: Error | undefined, client: PoolClient) => open.delete(client));
  return pool;
}
