import type { JsMsg } from 'nats';

interface Counts {
  /** Failures that count toward maxDeliver (unknown errors). */
  counted: number;
  /** Transient failures: they only pace the retries. */
  transient: number;
}

/**
 * Failures per message, kept by the transport because the broker's delivery count also counts
 * transient failures, which must never bring a message closer to its dead letter. Keyed by stream
 * and stream sequence (one message, whichever durable of the group delivers it), in memory and
 * bounded (the least recently failed are forgotten first). After a restart, or on another replica,
 * a message starts again from zero: a failing message then gets up to maxDeliver more attempts per
 * process that sees it, which only delays its dead letter.
 */
export class FailureCounts {
  private readonly counts = new Map<string, Counts>();

  constructor(private readonly capacity = 10_000) {}

  /** Records an unknown failure; returns the message's counted failures so far. */
  failed(msg: JsMsg): number {
    return this.touch(msg, (c) => c.counted++).counted;
  }

  /** Records a transient failure; returns the message's transient failures so far. */
  failedTransiently(msg: JsMsg): number {
    return this.touch(msg, (c) => c.transient++).transient;
  }

  /** The message is settled (acked or dead-lettered): nothing to remember. */
  forget(msg: JsMsg): void {
    this.counts.delete(key(msg));
  }

  get size(): number {
    return this.counts.size;
  }

  private touch(msg: JsMsg, change: (counts: Counts) => void): Counts {
    const k = key(msg);
    const counts = this.counts.get(k) ?? { counted: 0, transient: 0 };
    change(counts);
    // Re-inserting keeps the Map in least-recently-failed order.
    this.counts.delete(k);
    this.counts.set(k, counts);
    while (this.counts.size > this.capacity) this.counts.delete(this.counts.keys().next().value as string);
    return counts;
  }
}

const key = (msg: JsMsg) => `${msg.info.stream}:${msg.info.streamSequence}`;
