import type { SqlExecutor } from '../sql';
import { joinUnitOfWork, runInUnitOfWork, type TransactionRunner, unitOfWorkOf } from './unit-of-work';

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
