import { Pool } from 'pg';
import type { ServiceName } from '../services/services';
import type { AuditDatabases, QueryFn } from './types';

export interface ReadOnlyDatabases {
  databases: AuditDatabases;
  close(): Promise<void>;
}

/** A database that did not answer; names the service, never the URL (it holds the password). */
export class DatabaseUnreachableError extends Error {
  constructor(
    readonly service: ServiceName,
    cause: unknown,
  ) {
    super(`cannot read the ${service} database: ${(cause as Error).message}`, { cause });
    this.name = 'DatabaseUnreachableError';
  }
}

/**
 * One connection per database, every transaction of it read only (the server refuses any write:
 * `cannot execute … in a read-only transaction`), each checked with a first query so an
 * unreachable one is named before the audit starts.
 */
export async function openReadOnly(urls: Record<ServiceName, string>): Promise<ReadOnlyDatabases> {
  const pools = new Map<ServiceName, Pool>();
  const close = async () => {
    await Promise.all([...pools.values()].map((pool) => pool.end()));
  };
  const open = async (service: ServiceName): Promise<QueryFn> => {
    const pool = new Pool({
      connectionString: urls[service],
      max: 1,
      connectionTimeoutMillis: 5_000,
      options: '-c default_transaction_read_only=on',
      application_name: 'passo-audit',
    });
    pool.on('error', () => undefined);
    pools.set(service, pool);
    try {
      await pool.query('SELECT 1');
    } catch (error) {
      throw new DatabaseUnreachableError(service, error);
    }
    return async <R>(sql: string, params: unknown[] = []) => (await pool.query(sql, params)).rows as R[];
  };
  try {
    const databases: AuditDatabases = {
      order: await open('order'),
      inventory: await open('inventory'),
      payment: await open('payment'),
      orchestrator: await open('orchestrator'),
    };
    return { databases, close };
  } catch (error) {
    await close();
    throw error;
  }
}
