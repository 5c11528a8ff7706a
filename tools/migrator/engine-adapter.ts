// Fixes for @prisma/adapter-pg 7.10 as the schema engine's database driver, found while driving
// the WebAssembly engine with it:
//  - PostgreSQL's one-byte `"char"` columns (pg_class.relkind, pg_constraint.contype, …) make
//    the adapter throw "Unsupported column type char", and the engine wants them typed as
//    Character, which the adapter never produces: every command that reads a database's schema
//    (diff from a database, introspection) fails without this.
//  - executeScript splits a migration on every ";" (even inside strings or function bodies) and
//    runs the pieces one by one. We send the script whole instead, as Prisma's native engine
//    does: PostgreSQL then runs it as one implicit transaction, so a failing migration leaves
//    nothing half-applied.
import type * as AdapterPg from '@prisma/adapter-pg';
import type {
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
  SqlQueryable,
  SqlResultSet,
  Transaction,
} from '@prisma/driver-adapter-utils';
import type * as Pg from 'pg';

const PG_CHAR = 18;
const PG_TEXT = 25;
const COLUMN_TYPE_CHARACTER = 6; // ColumnTypeEnum.Character
// Appended to a "char" column's name by the pg client, removed again by the adapter wrapper,
// so the column survives adapter-pg as text and reaches the engine typed Character.
const CHAR_MARK = '\u0000"char"';

type QueryFn = (...args: unknown[]) => unknown;

function markCharColumns(result: unknown): unknown {
  for (const r of Array.isArray(result) ? result : [result]) {
    const fields = (r as { fields?: { name: string; dataTypeID: number }[] } | undefined)?.fields;
    for (const field of fields ?? []) {
      if (field.dataTypeID !== PG_CHAR) continue;
      field.dataTypeID = PG_TEXT;
      field.name += CHAR_MARK;
    }
  }
  return result;
}

/** A pg Client class whose query results carry "char" columns as marked text columns. */
export function charMarkingClient(pg: typeof Pg): typeof Pg.Client {
  class CharMarkingClient extends pg.Client {}
  const query = pg.Client.prototype.query as QueryFn;
  // Both call styles reach here: pg-pool passes a callback, adapter-pg awaits a promise.
  const patched: QueryFn = function (this: Pg.Client, ...args) {
    const cb = args.findIndex((a) => typeof a === 'function');
    if (cb >= 0) {
      const done = args[cb] as (error: unknown, result: unknown) => void;
      args[cb] = (error: unknown, result: unknown) => done(error, error ? result : markCharColumns(result));
      return query.apply(this, args);
    }
    const out = query.apply(this, args);
    // Not `instanceof Promise`: under jest, pg lives in another realm (see schema-engine.ts).
    const thenable = typeof (out as Promise<unknown> | undefined)?.then === 'function';
    return thenable ? (out as Promise<unknown>).then(markCharColumns) : out;
  };
  CharMarkingClient.prototype.query = patched as typeof pg.Client.prototype.query;
  return CharMarkingClient;
}

function unmarkCharColumns(result: SqlResultSet): SqlResultSet {
  result.columnNames.forEach((name, i) => {
    if (!name.endsWith(CHAR_MARK)) return;
    result.columnNames[i] = name.slice(0, -CHAR_MARK.length);
    result.columnTypes[i] = COLUMN_TYPE_CHARACTER;
  });
  return result;
}

/** `target` with some members replaced; every other method stays bound to `target`. */
function override<T extends object>(target: T, members: Partial<T>): T {
  return new Proxy(target, {
    get(t, key) {
      if (Object.hasOwn(members, key)) return members[key as keyof T];
      const value: unknown = Reflect.get(t, key, t);
      return typeof value === 'function' ? (value as QueryFn).bind(t) : value;
    },
  });
}

function fixQueryable<T extends SqlQueryable>(q: T): T {
  return override<SqlQueryable>(q, {
    queryRaw: async (query) => unmarkCharColumns(await q.queryRaw(query)),
  }) as T;
}

type PgAdapter = SqlDriverAdapter & { underlyingDriver(): Pg.Pool; onError(error: unknown): never };

function fixAdapter(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const pg = adapter as PgAdapter;
  return override(fixQueryable(adapter), {
    startTransaction: async (isolationLevel) =>
      fixQueryable<Transaction>(await adapter.startTransaction(isolationLevel)),
    executeScript: async (script) => {
      // onError turns the pg error into the adapter's DriverAdapterError, as the original does.
      await pg
        .underlyingDriver()
        .query(script)
        .catch((error: unknown) => pg.onError(error));
    },
  });
}

/** PrismaPg on `pool` (built with charMarkingClient), with the fixes above. */
export function fixedPrismaPg(adapterPg: typeof AdapterPg, pool: Pg.Pool): SqlMigrationAwareDriverAdapterFactory {
  const factory = new adapterPg.PrismaPg(pool);
  return override<SqlMigrationAwareDriverAdapterFactory>(factory, {
    connect: async () => fixAdapter(await factory.connect()),
    // A shadow database is never used: it is broken in adapter-pg 7.10 (see ENVIRONMENT.md).
    connectToShadowDb: () => Promise.reject(new Error('shadow databases are not supported here')),
  });
}
