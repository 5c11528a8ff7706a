import type { SqlExecutor } from '../sql';
import { type UnitOfWork, unitOfWorkOf } from './unit-of-work';

/** Runs one use case's effect for many callers at once: one result per item, in the items' order. */
export type RunMany<Tx, I, O> = (tx: Tx, items: readonly I[]) => Promise<readonly O[]>;

interface Waiting<I, O> {
  item: I;
  resolve: (result: O) => void;
  reject: (error: unknown) => void;
}

/**
 * One use case's effect for every message of a consumed batch, run as one set-based statement
 * instead of one per message (a repository's `charge(tx, …)` calls `charges.run(tx, …)`).
 *
 * The transport runs the handlers of a batch's different orders concurrently in its unit of work
 * (an order's own messages one after the other), so their calls arrive together: each is queued
 * on the unit and all of them run once no handler has anything left to do but wait — at the next
 * turn of the event loop (setImmediate, after the promise jobs). A call outside a batch unit (a
 * message run alone, an HTTP request) runs at once, as a batch of one, through the same code.
 *
 * `runMany` sees the items in the order the handlers called (the orders' correlation-id order
 * when the handlers are alike) and must give each the result it would have had run alone after
 * the ones before it. When it cannot tell (a concurrent transaction changed what it decided on),
 * it throws: every caller fails, the unit rolls back whole and the transport runs the batch's
 * messages one by one, each in its own transaction — where `runMany` sees one item at a time.
 */
export class BatchedEffect<Tx extends SqlExecutor, I, O> {
  private readonly waiting = new WeakMap<UnitOfWork, Waiting<I, O>[]>();
  /**
   * Per unit, the last flush of any batched effect on it: effects that flush on the same turn (a
   * batch's creations and its updates, say) run one after the other. The connection would run
   * their statements in turn anyway; pg only queues a query sent while another runs, and pg 9
   * refuses it. So a `runMany` must not itself call a batched effect of its unit: it would wait
   * for its own flush.
   */
  private static readonly lanes = new WeakMap<UnitOfWork, Promise<unknown>>();

  constructor(private readonly runMany: RunMany<Tx, I, O>) {}

  run(tx: Tx, item: I): Promise<O> {
    const unit = unitOfWorkOf(tx);
    if (!unit?.batch) return this.runMany(tx, [item]).then(([result]) => result!);
    return new Promise<O>((resolve, reject) => {
      let queue = this.waiting.get(unit);
      if (!queue) {
        this.waiting.set(unit, (queue = []));
        setImmediate(() => this.flush(tx, unit));
      }
      queue.push({ item, resolve, reject });
    });
  }

  private async flush(tx: Tx, unit: UnitOfWork): Promise<void> {
    const queue = this.waiting.get(unit) ?? [];
    this.waiting.delete(unit);
    const before = BatchedEffect.lanes.get(unit) ?? Promise.resolve();
    const ran = before.then(() =>
      this.runMany(
        tx,
        queue.map((waiting) => waiting.item),
      ),
    );
    BatchedEffect.lanes.set(
      unit,
      ran.catch(() => undefined),
    );
    try {
      const results = await ran;
      if (results.length !== queue.length) {
        throw new Error(`a batched effect returned ${results.length} results for ${queue.length} items`);
      }
      queue.forEach((waiting, i) => waiting.resolve(results[i]!));
    } catch (error) {
      for (const waiting of queue) waiting.reject(error);
    }
  }
}

/**
 * A batched effect found that its batch cannot be decided as if its messages had run one after the
 * other (e.g. a concurrent transaction claimed one of its orders first): the unit rolls back and
 * the transport runs the messages one by one. Not a fault of any message.
 */
export class BatchNeedsSplit extends Error {
  constructor(reason: string) {
    super(`${reason}: running the batch's messages one by one`);
  }
}
