import { Heartbeat } from './heartbeat';
import type { BatchItem } from './message-processor';

interface Queued extends BatchItem {
  settled: () => void;
}

/**
 * Collects the messages every durable of a transport pulls and hands them to `run` in batches of
 * up to `batchSize`, one batch at a time: while a batch runs the next one fills, so batches grow
 * with the load and a lone message waits for nothing. One batch at a time per app also means the
 * app's own transactions never wait on each other's locks (no deadlock between its batches).
 * While they wait, the queued messages are kept alive (`heartbeatMs`); `run` keeps its own alive.
 */
export class BatchQueue {
  private readonly queue: Queued[] = [];
  private readonly waiting: Heartbeat;
  private draining = false;

  constructor(
    private readonly batchSize: number,
    heartbeatMs: number,
    /** Must settle every message of the batch (ack, nak or term) and never reject. */
    private readonly run: (batch: BatchItem[]) => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {
    this.waiting = new Heartbeat(heartbeatMs);
  }

  /** Resolves once the message is settled. */
  submit(item: BatchItem): Promise<void> {
    return new Promise<void>((settled) => {
      this.queue.push({ ...item, settled });
      this.waiting.add(item.msg);
      // After the current I/O callbacks: messages that arrived in one read go in one batch.
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.batchSize);
      batch.forEach((item) => this.waiting.delete(item.msg));
      try {
        await this.run(batch);
      } catch (error) {
        this.onError(error);
      } finally {
        batch.forEach((item) => item.settled());
      }
    }
    this.draining = false;
  }
}
