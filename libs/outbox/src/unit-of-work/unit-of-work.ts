import { AsyncLocalStorage } from 'node:async_hooks';
import type { SqlExecutor } from '../sql';

/** Prisma's interactive-transaction options (any service's generated client takes them). */
export interface TransactionOptions {
  maxWait?: number;
  timeout?: number;
}

/** A Prisma client able to run an interactive transaction (any service's generated client). */
export interface TransactionRunner<Tx extends SqlExecutor> {
  $transaction<R>(fn: (tx: Tx) => Promise<R>, options?: TransactionOptions): Promise<R>;
}

/**
 * One database transaction shared by every message of a consumed batch. The inbox and the outbox
 * join it instead of opening their own: the batch commits once, its outbox rows go in as one
 * INSERT just before the commit, and its messages are acknowledged together after it.
 *
 * A step that fails leaves the transaction in an unknown state (PostgreSQL aborts it on an SQL
 * error; a use case may have written half its effects), so the first failure is kept: every later
 * step fails with it and the whole batch rolls back, even when a handler caught the error. The
 * transport then runs the batch's messages one by one, each in its own transaction.
 */
export class UnitOfWork<Tx extends SqlExecutor = SqlExecutor> {
  /** The first failure of a step in this unit of work (see `failed`: a step may throw undefined). */
  failure?: unknown;
  private stepFailed = false;
  private readonly flushes = new Map<object, () => Promise<void>>();

  constructor(
    /** The client code must use to join it (the one that opened it, unless told otherwise). */
    readonly db: object,
    readonly tx: Tx,
  ) {}

  /** Runs one use case's effects in the shared transaction (see the class comment on failures). */
  async step<R>(effects: (tx: Tx) => Promise<R>): Promise<R> {
    if (this.stepFailed) throw this.failure;
    try {
      return await effects(this.tx);
    } catch (error) {
      if (!this.stepFailed) [this.stepFailed, this.failure] = [true, error];
      throw error;
    }
  }

  /** Whether a step failed: the unit must then roll back. */
  get failed(): boolean {
    return this.stepFailed;
  }

  /** Registers (once per `owner`) work to run inside the transaction right before it commits. */
  beforeCommit(owner: object, flush: () => Promise<void>): void {
    if (!this.flushes.has(owner)) this.flushes.set(owner, flush);
  }

  /** @internal Runs the registered flushes, in registration order. */
  async flush(): Promise<void> {
    for (const flush of this.flushes.values()) await flush();
  }
}

const current = new AsyncLocalStorage<UnitOfWork>();

/** The unit of work in progress that `db` opened, if the caller runs inside one. */
export function joinUnitOfWork<Tx extends SqlExecutor>(db: TransactionRunner<Tx>): UnitOfWork<Tx> | undefined {
  const unit = current.getStore();
  return unit?.db === db ? (unit as UnitOfWork<Tx>) : undefined;
}

/** The unit of work whose transaction `tx` is, if any. */
export function unitOfWorkOf(tx: SqlExecutor): UnitOfWork | undefined {
  const unit = current.getStore();
  return unit?.tx === tx ? unit : undefined;
}

export interface UnitOfWorkOptions extends TransactionOptions {
  /**
   * The client that code inside joins with (`inbox.handle(db, …)`), when the transaction runs on
   * another client of the same database — one with a pool of its own. Default: `db`.
   */
  joinedAs?: object;
}

/**
 * Runs `work` with one transaction of `db` shared by every inbox and outbox call inside it; rolls
 * back and rejects with the first failed step's error, even if `work` itself resolved.
 */
export function runInUnitOfWork<Tx extends SqlExecutor, R>(
  db: TransactionRunner<Tx>,
  work: () => Promise<R>,
  { joinedAs = db, ...options }: UnitOfWorkOptions = {},
): Promise<R> {
  return db.$transaction(async (tx) => {
    const unit = new UnitOfWork<Tx>(joinedAs, tx);
    const result = await current.run(unit as UnitOfWork, work);
    if (unit.failed) throw unit.failure;
    await unit.flush();
    return result;
  }, options);
}
