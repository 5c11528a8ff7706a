import type { SqlExecutor } from '../sql';
import { joinUnitOfWork, LAST_STATEMENT, runInUnitOfWork, type TransactionRunner, unitOfWorkOf } from './unit-of-work';

/** A transaction runner that records whether its transaction committed (resolved) or rolled back. */
function fakeDb() {
  const outcomes: string[] = [];
  const tx: SqlExecutor = { $executeRawUnsafe: async () => 0 };
  const db: TransactionRunner<SqlExecutor> = {
    async $transaction(fn) {
      try {
        const result = await fn(tx);
        outcomes.push('commit');
        return result;
      } catch (error) {
        outcomes.push('rollback');
        throw error;
      }
    },
  };
  return { db, tx, outcomes };
}

describe('UnitOfWork', () => {
  it('is joined only by code of the client that opened it, inside it', async () => {
    const { db, tx } = fakeDb();
    const other = fakeDb();
    expect(joinUnitOfWork(db)).toBeUndefined();
    await runInUnitOfWork(db, async () => {
      await joinUnitOfWork(db)!.step(async (joined) => expect(joined).toBe(tx));
      expect(joinUnitOfWork(db)?.tx).toBe(tx);
      expect(joinUnitOfWork(other.db)).toBeUndefined();
      expect(unitOfWorkOf(tx)).toBe(joinUnitOfWork(db));
      expect(unitOfWorkOf(other.tx)).toBeUndefined();
    });
    expect(joinUnitOfWork(db)).toBeUndefined();
  });

  it('rolls back with the first failed step even when the work caught it, and later steps fail with it', async () => {
    const { db, outcomes } = fakeDb();
    const first = new Error('first');
    const later = jest.fn();
    const flush = jest.fn(async () => undefined);
    const run = runInUnitOfWork(db, async () => {
      const unit = joinUnitOfWork(db)!;
      unit.beforeCommit({}, flush);
      await unit.step(() => Promise.reject(first)).catch(() => undefined);
      await expect(unit.step(later)).rejects.toBe(first);
      await unit.step(() => Promise.reject(new Error('second'))).catch(() => undefined);
    });
    await expect(run).rejects.toBe(first);
    expect(later).not.toHaveBeenCalled();
    expect(flush).not.toHaveBeenCalled();
    expect(outcomes).toEqual(['rollback']);
  });

  it('rolls back when a step fails with undefined (a failure is a failure, whatever is thrown)', async () => {
    const { db, outcomes } = fakeDb();
    const run = runInUnitOfWork(db, async () => {
      await joinUnitOfWork(db)!
        .step(() => Promise.reject(undefined))
        .catch(() => undefined);
    });
    await expect(run).rejects.toBeUndefined();
    expect(outcomes).toEqual(['rollback']);
  });

  it('runs each owner’s flush once, in registration order, inside the transaction before it commits', async () => {
    const { db, outcomes } = fakeDb();
    const order: string[] = [];
    const [a, b] = [{}, {}];
    await runInUnitOfWork(db, async () => {
      const unit = joinUnitOfWork(db)!;
      await unit.step(async () => undefined); // flushes come from code that wrote in the transaction
      unit.beforeCommit(a, async () => void order.push(`a ${outcomes.length}`));
      unit.beforeCommit(b, async () => void order.push(`b ${outcomes.length}`));
      unit.beforeCommit(a, async () => void order.push('a again'));
    });
    expect(order).toEqual(['a 0', 'b 0']);
    expect(outcomes).toEqual(['commit']);
  });

  it('sends every owner’s write at commit as one last statement, parameters numbered in turn, counts checked in SQL', async () => {
    const { db, outcomes } = fakeDb();
    const sent: { sql: string; values: unknown[] }[] = [];
    const tx = {
      $executeRawUnsafe: async () => 0,
      $queryRawUnsafe: async (sql: string, ...values: unknown[]) => (sent.push({ sql, values }), [{ w0: 2, w1: 1 }]),
    };
    const runner: TransactionRunner<SqlExecutor> = { $transaction: (fn) => db.$transaction(() => fn(tx)) };
    await runInUnitOfWork(runner, async () => {
      const unit = joinUnitOfWork(runner)!;
      await unit.step(async () => undefined);
      unit.writeAtCommit({}, () => ({
        statement: (first) => `INSERT a VALUES ($${first}, $${first + 1}) RETURNING 1`,
        values: ['a1', 'a2'],
        expect: { rows: 2, mismatch: () => new Error('never') },
      }));
      unit.writeAtCommit({}, () => undefined); // nothing to write
      unit.writeAtCommit({}, () => ({
        statement: (first) => `INSERT b VALUES ($${first}) RETURNING 1`,
        values: ['b1'],
        then: (rows) => `SELECT 'told' FROM ${rows}`,
      }));
    });
    expect(sent).toEqual([
      {
        sql:
          `${LAST_STATEMENT} WITH w0 AS (INSERT a VALUES ($1, $2) RETURNING 1), w1 AS (INSERT b VALUES ($4) RETURNING 1) ` +
          'SELECT CASE WHEN (SELECT count(*) FROM w0) = $3::int THEN $3::int ' +
          "ELSE ('passo commit check failed: w0 returned ' || (SELECT count(*) FROM w0))::int END AS w0, " +
          "(SELECT count(*) FROM w1)::int AS w1, (SELECT 'told' FROM w1) AS t1",
        values: ['a1', 'a2', 2, 'b1'],
      },
    ]);
    expect(outcomes).toEqual(['commit']);
  });

  it('fails the unit with the write’s own error when its check fails in SQL, however the driver wraps it', async () => {
    const { db, outcomes } = fakeDb();
    // As Prisma 7 with adapter-pg reports a PostgreSQL error of a raw query.
    const raised = Object.assign(new Error('Raw query failed.'), {
      meta: {
        driverAdapterError: Object.assign(new Error('DriverAdapterError'), {
          cause: { message: 'invalid input syntax for type integer: "passo commit check failed: w1 returned 0"' },
        }),
      },
    });
    const tx = { $executeRawUnsafe: async () => 0, $queryRawUnsafe: () => Promise.reject(raised) };
    const runner: TransactionRunner<SqlExecutor> = { $transaction: (fn) => db.$transaction(() => fn(tx)) };
    const refused = new Error('already processed');
    const mismatch = jest.fn((_returned: number) => refused);
    const run = runInUnitOfWork(runner, async () => {
      const unit = joinUnitOfWork(runner)!;
      await unit.step(async () => undefined);
      unit.writeAtCommit({}, () => ({ statement: () => 'INSERT a DEFAULT VALUES RETURNING 1', values: [] }));
      unit.writeAtCommit({}, () => ({
        statement: () => 'INSERT b DEFAULT VALUES RETURNING 1',
        values: [],
        expect: { rows: 1, mismatch },
      }));
    });
    await expect(run).rejects.toBe(refused);
    expect(mismatch).toHaveBeenCalledWith(0);
    expect(outcomes).toEqual(['rollback']);
  });

  it('fails the unit with the database’s error when the statement fails otherwise', async () => {
    const { db, outcomes } = fakeDb();
    const broken = new Error('Connection terminated unexpectedly');
    const tx = { $executeRawUnsafe: async () => 0, $queryRawUnsafe: () => Promise.reject(broken) };
    const runner: TransactionRunner<SqlExecutor> = { $transaction: (fn) => db.$transaction(() => fn(tx)) };
    const run = runInUnitOfWork(runner, async () => {
      const unit = joinUnitOfWork(runner)!;
      await unit.step(async () => undefined);
      unit.writeAtCommit({}, () => ({
        statement: () => 'INSERT a DEFAULT VALUES RETURNING 1',
        values: [],
        expect: { rows: 1, mismatch: () => new Error('not this one') },
      }));
    });
    await expect(run).rejects.toBe(broken);
    expect(outcomes).toEqual(['rollback']);
  });

  it('begins no transaction for work that joins no step (a batch of ignored messages)', async () => {
    const { db, outcomes } = fakeDb();
    await expect(runInUnitOfWork(db, async () => 'ignored')).resolves.toBe('ignored');
    expect(outcomes).toEqual([]);
  });

  it('begins one transaction at the first step and shares it with every later step', async () => {
    const { db, outcomes } = fakeDb();
    const seen: SqlExecutor[] = [];
    await runInUnitOfWork(db, async () => {
      const unit = joinUnitOfWork(db)!;
      expect(unit.tx).toBeUndefined();
      await unit.step(async (tx) => void seen.push(tx));
      await unit.step(async (tx) => void seen.push(tx));
    });
    expect(seen[0]).toBe(seen[1]);
    expect(outcomes).toEqual(['commit']);
  });

  it('fails the step and the unit, and leaves no unobserved rejection, when the transaction cannot open', async () => {
    const down = new Error('connect ECONNREFUSED');
    const db: TransactionRunner<SqlExecutor> = { $transaction: () => Promise.reject(down) };
    const unobserved: unknown[] = [];
    const record = (reason: unknown) => unobserved.push(reason);
    process.on('unhandledRejection', record);
    try {
      const run = runInUnitOfWork(db, () => joinUnitOfWork(db)!.step(async () => 'never'));
      await expect(run).rejects.toBe(down);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unobserved).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});
