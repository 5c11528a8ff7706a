import { BaseRpcContext } from '@nestjs/microservices';
import type { JsMsg, MsgHdrs } from 'nats';

/** What a handler may know about the delivery it runs for: `@Ctx() ctx: JetStreamContext`. */
export class JetStreamContext extends BaseRpcContext<[JsMsg, string]> {
  constructor(message: JsMsg, consumer: string) {
    super([message, consumer]);
  }

  /** The subject the message was published to (with the topology prefix). */
  get subject(): string {
    return this.args[0].subject;
  }

  /** 1 on the first delivery. */
  get deliveryCount(): number {
    return this.args[0].info.deliveryCount;
  }

  get streamSequence(): number {
    return this.args[0].info.streamSequence;
  }

  /** The consumer group (not the durable name). */
  get consumer(): string {
    return this.args[1];
  }

  get headers(): MsgHdrs | undefined {
    return this.args[0].headers;
  }

  /** Resets the ack timer. The transport already does it every ackWait/3 while a handler runs. */
  working(): void {
    this.args[0].working();
  }

  /** The raw message, to read; the transport acks, naks or terms it, so the handler must not. */
  getMessage(): JsMsg {
    return this.args[0];
  }
}
