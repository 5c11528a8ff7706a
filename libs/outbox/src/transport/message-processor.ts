import type { LoggerService } from '@nestjs/common';
import { checkEnvelope, type Envelope, type EnvelopeCheck, type MessageContract } from '@passo/contracts';
import type { JetStreamClient, JsMsg } from 'nats';
import { delayFor } from './backoff';
import { describeError, oneLine, publishDeadLetter } from './dead-letter';
import { JetStreamContext } from './jetstream.context';
import type { ResolvedTransportOptions } from './jetstream-transport.options';

/** Runs the app's handler; resolves once its result (promise or observable) has settled. */
export type InvokeHandler = (envelope: Envelope, ctx: JetStreamContext) => Promise<void>;

/**
 * Settles one delivered message (DESIGN.md, "Messaging"): invalid → dead letter at once; handler
 * resolved → ack; handler failed → nak with backoff, or dead letter at the last delivery.
 */
export class MessageProcessor {
  constructor(
    private readonly js: JetStreamClient,
    private readonly options: ResolvedTransportOptions,
    private readonly log: LoggerService,
  ) {}

  async process(contract: MessageContract, msg: JsMsg, invoke: InvokeHandler): Promise<void> {
    const check = parseEnvelope(contract, msg.data);
    if (!check.ok) return this.deadLetter(contract, msg, `invalid message: ${check.error}`);
    // Without it a handler slower than ackWait would be redelivered, and run twice at once.
    const heartbeat = setInterval(() => msg.working(), this.options.ackWaitMs / 3);
    try {
      await invoke(check.envelope, new JetStreamContext(msg, this.options.consumer));
      msg.ack();
    } catch (error) {
      const attempt = msg.info.deliveryCount;
      if (attempt >= this.options.maxDeliver) return await this.deadLetter(contract, msg, error);
      const delay = delayFor(attempt, this.options.backoffMs);
      this.log.debug?.(
        `retry ${msg.subject} #${msg.info.streamSequence} in ${delay} ms ` +
          `(delivery ${attempt}/${this.options.maxDeliver}): ${oneLine(describeError(error), 200)}`,
      );
      msg.nak(delay);
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async deadLetter(contract: MessageContract, msg: JsMsg, error: unknown): Promise<void> {
    const { consumer, topology, backoffMs } = this.options;
    const where = `${msg.subject} #${msg.info.streamSequence}`;
    try {
      await publishDeadLetter(this.js, topology, msg, consumer, contract.subject, error);
    } catch (publishError) {
      // Never term() what the dead-letter stream has not stored: it comes back and we try again.
      this.log.error(`dead-letter publish failed for ${where}: ${describeError(publishError)}`);
      return msg.nak(delayFor(msg.info.deliveryCount, backoffMs));
    }
    msg.term();
    this.log.warn(
      `dead-lettered ${where} after ${msg.info.deliveryCount} deliveries: ${oneLine(describeError(error), 200)}`,
    );
  }
}

/** JSON, then the envelope and payload schemas; never throws. */
export function parseEnvelope<P>(contract: MessageContract<P>, data: Uint8Array): EnvelopeCheck<P> {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch (error) {
    return { ok: false, error: `body is not JSON (${describeError(error)})` };
  }
  return checkEnvelope(contract, raw);
}
