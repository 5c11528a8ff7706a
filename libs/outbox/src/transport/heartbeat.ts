import type { JsMsg } from 'nats';

/**
 * Resets the ack timer of every message it holds, every `everyMs`, from add() until delete(): a
 * message still waiting its turn must not reach its ack wait and be redelivered (it would run
 * again, even beside itself in the next batch). Delete a message once it is settled: progress on
 * a nak'd message would push its redelivery back to a full ack wait.
 */
export class Heartbeat {
  private readonly held = new Set<JsMsg>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly everyMs: number) {}

  add(msg: JsMsg): void {
    this.held.add(msg);
    this.timer ??= setInterval(() => this.beat(), this.everyMs);
  }

  delete(msg: JsMsg): void {
    this.held.delete(msg);
    if (this.held.size === 0) this.stop();
  }

  stop(): void {
    this.held.clear();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private beat(): void {
    for (const msg of this.held) {
      try {
        msg.working();
      } catch {
        // The connection is closing: the broker redelivers what is left, and the inbox dedups it.
      }
    }
  }
}
