import { judgeFailure } from '../errors/classify';

/** Runs many callers' items as one: one result per item, in the items' order. */
export type RunCoalesced<I, O> = (items: readonly I[]) => Promise<readonly O[]>;

export interface CoalescedCallsOptions {
  /** Most items in one run (1: every call runs alone). */
  maxItems: number;
  /** Most runs at once; calls made meanwhile wait and go together in the next one. */
  maxInFlight: number;
}

interface Waiting<I, O> {
  item: I;
  resolve: (result: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Independent calls that arrive together — concurrent HTTP requests placing orders — run as one
 * set-based statement: what BatchedEffect does for a consumed batch, for callers that share no
 * transaction. Calls are queued and run at the next turn of the event loop (requests read in one
 * turn go together); while `maxInFlight` runs are out, new calls wait and go in the next run, so
 * a run grows with the load (like a database's group commit) and a lone call waits for nothing.
 *
 * A run that fails for the infrastructure (database unreachable or busy: judgeFailure's
 * `transient`) fails every caller — each gets the error it would have had alone. Any other
 * failure (a bad item, or BatchNeedsSplit) runs each item alone, so one caller's fault fails no
 * other and each gets its own answer.
 */
export class CoalescedCalls<I, O> {
  private queue: Waiting<I, O>[] = [];
  private scheduled = false;
  private inFlight = 0;

  constructor(
    private readonly runMany: RunCoalesced<I, O>,
    private readonly options: CoalescedCallsOptions,
  ) {}

  run(item: I): Promise<O> {
    if (this.options.maxItems <= 1) return this.runAlone(item);
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inFlight >= this.options.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.inFlight >= this.options.maxInFlight) return;
    const batch = this.queue.splice(0, this.options.maxItems);
    if (batch.length === 0) return;
    this.inFlight++;
    this.schedule(); // what is left beyond maxItems goes in another run at once
    try {
      const results = await this.runMany(batch.map((waiting) => waiting.item));
      if (results.length !== batch.length) {
        throw new Error(`a coalesced run returned ${results.length} results for ${batch.length} items`);
      }
      batch.forEach((waiting, i) => waiting.resolve(results[i]!));
    } catch (error) {
      if (batch.length === 1 || judgeFailure(error).class === 'transient') batch.forEach((w) => w.reject(error));
      else await Promise.all(batch.map((w) => this.runAlone(w.item).then(w.resolve, w.reject)));
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }

  private async runAlone(item: I): Promise<O> {
    const [result] = await this.runMany([item]);
    return result!;
  }
}
