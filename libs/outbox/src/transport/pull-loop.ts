import type { Consumer, ConsumerMessages, JsMsg } from 'nats';
import type { PullGate } from './consumer-pause';

/** How long one pull request waits on the broker for messages before the loop asks again. */
const PULL_EXPIRES_MS = 5_000;
const ERROR_PAUSE_MS = 1_000;
/** A message that still arrives once paused comes back after this, not at once into the same pull. */
const PAUSED_NAK_DELAY_MS = 1_000;

/**
 * Pulls from one durable consumer with at most `concurrency` messages in flight. It fetches
 * exactly as many messages as there are free slots, rather than using consume(), whose client-side
 * buffer refills as messages arrive: buffered messages would age towards their ack wait unseen.
 * While the gate is paused it pulls nothing: its open pull request is closed (the broker drops a
 * request nobody listens to) and whatever still arrives is handed straight back.
 */
export class PullLoop {
  private readonly inFlight = new Set<Promise<void>>();
  private batch?: ConsumerMessages;
  private stopped = false;
  private running?: Promise<void>;
  private wake?: () => void;
  private readonly refillAt: number;

  constructor(
    private readonly consumer: Consumer,
    private readonly concurrency: number,
    /** Must settle every message itself (ack, nak or term) and never reject. */
    private readonly handle: (msg: JsMsg) => Promise<void>,
    private readonly onPullError: (error: unknown, consecutive: number) => void,
    private readonly gate: PullGate,
  ) {
    this.refillAt = Math.ceil(concurrency / 2);
    gate.onPause(() => void this.batch?.close().catch(() => undefined));
  }

  start(): void {
    this.running ??= this.run();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      if (this.gate.paused) {
        await this.until(this.gate.resumed());
        continue;
      }
      const free = this.concurrency - this.inFlight.size;
      // A busy loop asks again only once half its slots are free: a pull request per freed slot
      // costs the client and the broker a request, a subscription and a write for one message.
      if (free <= 0 || (this.inFlight.size > 0 && free < this.refillAt)) {
        await Promise.race(this.inFlight);
        continue;
      }
      try {
        this.batch = await this.consumer.fetch({ max_messages: free, expires: PULL_EXPIRES_MS });
        for await (const msg of this.batch) {
          // Pulled while stopping or pausing: hand it back rather than leave it to the ack wait.
          if (this.stopped) msg.nak();
          else if (this.gate.paused) msg.nak(PAUSED_NAK_DELAY_MS);
          else this.track(msg);
        }
        failures = 0;
      } catch (error) {
        if (this.stopped) break;
        this.onPullError(error, ++failures);
        await this.until(new Promise((resolve) => setTimeout(resolve, ERROR_PAUSE_MS)));
      }
    }
  }

  /** Waits for `event`, or for stop(). */
  private until(event: Promise<unknown>): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      void event.then(() => resolve());
    });
  }

  private track(msg: JsMsg): void {
    const task: Promise<void> = this.handle(msg)
      .catch((error: unknown) => this.onPullError(error, 0))
      .finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  /** Stops pulling and waits up to `timeoutMs` for in-flight messages; false if some still run. */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopped = true;
    this.wake?.();
    await this.batch?.close().catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const settled = Promise.all([this.running, ...this.inFlight]).then(() => true);
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([settled, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}
