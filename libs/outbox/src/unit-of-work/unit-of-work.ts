import { AsyncLocalStorage } from 'node:async_hooks';
import type { Envelope } from '@passo/contracts';
import type { RawQueryExecutor, SqlExecutor } from '../sql';

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
 * Begins a statement that is its transaction's last: only COMMIT or ROLLBACK follows it, so a pool
 * may write the COMMIT right behind it, in the same round trip (the platform's pool does; to any
 * other it is a comment). Whatever such a statement's result must satisfy is checked in its SQL:
 * a failed check then aborts the transaction before that COMMIT, which rolls it back.
 */
export const LAST_STATEMENT = '/* passo:last-statement */';

/** The text a failed CommitWrite check raises in SQL, with the write's index and its count. */
const CHECK_FAILED = 'passo commit check failed:';
const CHECK_FAILED_PATTERN = /passo commit check failed: w(\d+) returned (\d+)/;

/**
 * A data-modifying statement owed at commit (`writeAtCommit`): the unit sends all of them as one
 * statement, each as a CTE, so a batch's inbox records and outbox rows cost one round trip. That
 * statement is the transaction's last (LAST_STATEMENT).
 */
export interface CommitWrite {
  /** The statement, ending in `RETURNING` (anything), its parameters numbered from `$first`. */
  statement(first: number): string;
  values: readonly unknown[];
  /**
   * A scalar subquery over the statement's rows (named `name`), evaluated once: a NOTIFY if it
   * wrote any, say. Of a type Prisma can read (pg_notify's void cast to text).
   */
  then?(name: string): string;
  /**
   * How many rows the statement must return. Checked in SQL (see LAST_STATEMENT): another count
   * aborts the transaction, and the unit fails with what `mismatch` makes of the count.
   */
  expect?: { rows: number; mismatch(returned: number): Error };
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
  /** The shared transaction, once a step began it (messages that write nothing never do). */
  tx?: Tx;
  private stepFailed = false;
  private readonly flushes = new Map<object, (tx: Tx) => Promise<void>>();
  private readonly writes = new Map<object, () => CommitWrite | undefined>();
  private readonly committed = new Map<object, () => void | Promise<void>>();
  private transaction?: { tx: Promise<Tx>; end: (commit: boolean) => void; settled: Promise<void> };

  constructor(
    /** The client code must use to join it (the one that runs it, unless told otherwise). */
    readonly db: object,
    private readonly runner: TransactionRunner<Tx> = db as TransactionRunner<Tx>,
    private readonly options: TransactionOptions = {},
    /** It runs a consumed batch that the transport runs again one by one if it fails (see UnitOfWorkOptions.batch). */
    readonly batch = false,
    /** The consumed messages it runs for, in the order their handlers run (a batch's; else none). */
    readonly messages: readonly Envelope[] = [],
  ) {}

  /** Runs one use case's effects in the shared transaction (see the class comment on failures). */
  async step<R>(effects: (tx: Tx) => Promise<R>): Promise<R> {
    if (this.stepFailed) throw this.failure;
    try {
      return await effects(await this.begin());
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
  beforeCommit(owner: object, flush: (tx: Tx) => Promise<void>): void {
    if (!this.flushes.has(owner)) this.flushes.set(owner, flush);
  }

  /**
   * Registers (once per `owner`) a statement to write right before the commit, after the flushes:
   * `write` is asked for it then (undefined: nothing to write), and every owner's goes in one statement.
   */
  writeAtCommit(owner: object, write: () => CommitWrite | undefined): void {
    if (!this.writes.has(owner)) this.writes.set(owner, write);
  }

  /**
   * Registers (once per `owner`) what to do once the transaction has committed. What it throws
   * rejects the unit of work although the commit stood (the lab's publish-after-commit shows it).
   */
  afterCommit(owner: object, done: () => void | Promise<void>): void {
    if (!this.committed.has(owner)) this.committed.set(owner, done);
  }

  /** @internal Runs the flushes in the transaction and commits it (if one was begun). */
  async commit(): Promise<void> {
    if (!this.transaction) return;
    this.transaction.end(true);
    await this.transaction.settled;
    for (const done of this.committed.values()) await done();
  }

  /** @internal Rolls the transaction back (if one was begun). */
  async rollback(): Promise<void> {
    if (!this.transaction) return;
    this.transaction.end(false);
    await this.transaction.settled.catch(() => undefined);
  }

  /**
   * Begins the transaction at the first step: Prisma's interactive transaction is a callback, so
   * the callback stays open until commit() or rollback() ends it.
   */
  private begin(): Promise<Tx> {
    if (!this.transaction) {
      let opened!: (tx: Tx) => void;
      let failedToOpen!: (error: unknown) => void;
      const tx = new Promise<Tx>((resolve, reject) => ([opened, failedToOpen] = [resolve, reject]));
      let end!: (commit: boolean) => void;
      const ended = new Promise<void>((resolve, reject) => {
        end = (commit) => (commit ? resolve() : reject(new RolledBack()));
      });
      // Observed here too: when the transaction failed to open, no callback awaits it, and an
      // unobserved rejection would end the process.
      ended.catch(() => undefined);
      const settled = this.runner.$transaction(async (open) => {
        this.tx = open;
        opened(open);
        await ended;
        for (const flush of this.flushes.values()) await flush(open);
        await this.writeTogether(open);
      }, this.options);
      settled.catch(failedToOpen); // no effect once opened: a step sees a failure to begin
      this.transaction = { tx, end, settled };
    }
    return this.transaction.tx;
  }

  private async writeTogether(tx: Tx): Promise<void> {
    const writes = [...this.writes.values()].map((write) => write()).filter((w): w is CommitWrite => !!w);
    if (writes.length === 0) return;
    const values: unknown[] = [];
    const ctes: string[] = [];
    const columns: string[] = [];
    writes.forEach((write, n) => {
      ctes.push(`w${n} AS (${write.statement(values.length + 1)})`);
      values.push(...write.values);
      const count = `(SELECT count(*) FROM w${n})`;
      if (write.expect) {
        // A cast that fails: plain SQL's way to raise, evaluated only when the count is wrong (it
        // reads the count, so the planner cannot fold it ahead).
        values.push(write.expect.rows);
        const rows = `$${values.length}::int`;
        columns.push(
          `CASE WHEN ${count} = ${rows} THEN ${rows} ELSE ('${CHECK_FAILED} w${n} returned ' || ${count})::int END AS w${n}`,
        );
      } else columns.push(`${count}::int AS w${n}`);
      if (write.then) columns.push(`(${write.then(`w${n}`)}) AS t${n}`);
    });
    const query = (tx as unknown as Partial<RawQueryExecutor>).$queryRawUnsafe;
    if (!query) throw new TypeError('writeAtCommit needs a client that runs queries ($queryRawUnsafe)');
    const sql = `${LAST_STATEMENT} WITH ${ctes.join(', ')} SELECT ${columns.join(', ')}`;
    try {
      await query.call(tx, sql, ...values);
    } catch (error) {
      const failed = checkFailed(error);
      const expect = failed && writes[failed.write]?.expect;
      throw failed && expect ? expect.mismatch(failed.returned) : error;
    }
  }
}

/** The write whose check failed in SQL, read off the database's error wherever Prisma wraps it. */
function checkFailed(error: unknown): { write: number; returned: number } | undefined {
  const queue = [error];
  for (let seen = 0; queue.length > 0 && seen < 16; seen++) {
    const node = queue.shift() as { message?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown } };
    if (!node || typeof node !== 'object') continue;
    const match = CHECK_FAILED_PATTERN.exec(typeof node.message === 'string' ? node.message : '');
    if (match) return { write: Number(match[1]), returned: Number(match[2]) };
    queue.push(node.cause, node.meta?.driverAdapterError);
  }
  return undefined;
}

/** Ends a unit of work's transaction callback so that Prisma rolls it back. */
class RolledBack extends Error {
  constructor() {
    super('unit of work rolled back');
  }
}

const current = new AsyncLocalStorage<UnitOfWork>();

/** The unit of work in progress that `db` opened, if the caller runs inside one. */
export function joinUnitOfWork<Tx extends SqlExecutor>(db: TransactionRunner<Tx>): UnitOfWork<Tx> | undefined {
  const unit = current.getStore();
  return unit?.db === db ? (unit as unknown as UnitOfWork<Tx>) : undefined;
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
  /**
   * The unit runs a batch of consumed messages that the transport runs again one by one when the
   * unit fails (JetStreamTransport's `unitOfWork`). The inbox then records the batch's messages
   * with one INSERT just before the commit, instead of one per message as each step begins, and
   * fails the unit when one of them was processed already: run alone, it is found a duplicate.
   */
  batch?: boolean;
  /**
   * The consumed messages the unit runs for (the transport passes its batch's), so that a
   * repository can read what all of them need with one statement (see `UnitOfWork.messages`).
   */
  messages?: readonly Envelope[];
}

/**
 * Runs `work` with one transaction of `db` shared by every inbox and outbox call inside it, begun
 * by the first of them (work that writes nothing costs no transaction); rolls back and rejects
 * with the first failed step's error, even if `work` itself resolved.
 */
export async function runInUnitOfWork<Tx extends SqlExecutor, R>(
  db: TransactionRunner<Tx>,
  work: () => Promise<R>,
  { joinedAs = db, batch = false, messages = [], ...options }: UnitOfWorkOptions = {},
): Promise<R> {
  const unit = new UnitOfWork<Tx>(joinedAs, db, options, batch, messages);
  let result: R;
  try {
    result = await current.run(unit as unknown as UnitOfWork, work);
  } catch (error) {
    await unit.rollback();
    // The failed step's error, when one failed: what the work then threw may only follow from it.
    throw unit.failed ? unit.failure : error;
  }
  if (unit.failed) {
    await unit.rollback();
    throw unit.failure;
  }
  await unit.commit();
  return result;
}

/**
 * Runs `effects` in a transaction of `db`: the unit of work the caller runs inside, if it is one
 * of `db`; else a unit of one step, so what comes after a commit (the relay's wake-up, the lab's
 * deliveries) runs as it does for a consumed batch.
 */
export function inUnitOfWork<Tx extends SqlExecutor, R>(
  db: TransactionRunner<Tx>,
  effects: (tx: Tx) => Promise<R>,
): Promise<R> {
  const unit = joinUnitOfWork(db);
  if (unit) return unit.step(effects);
  return runInUnitOfWork(db, () => joinUnitOfWork(db)!.step(effects));
}
