import type { LoggerService } from '@nestjs/common';
import { checkEnvelope, type Envelope, type EnvelopeCheck, type MessageContract } from '@passo/contracts';
import type { JetStreamClient, JsMsg } from 'nats';
import { judgeFailure, type TransientReason } from '../errors/classify';
import { delayFor, transientDelayFor } from './backoff';
import { describeError, oneLine, publishDeadLetter } from './dead-letter';
import type { FailureCounts } from './failure-counts';
import { JetStreamContext } from './jetstream.context';
import type { ResolvedTransportOptions } from './jetstream-transport.options';
import type { TransportMetrics } from './transport-metrics';

/** Runs the app's handler; resolves once its result (promise or observable) has settled. */
export type InvokeHandler = (envelope: Envelope, ctx: JetStreamContext) => Promise<void>;

export type DeadLetterCause = 'oversize' | 'invalid' | 'rejected' | 'exhausted';

export interface ProcessorDeps {
  js: JetStreamClient;
  options: ResolvedTransportOptions;
  log: LoggerService;
  failures: FailureCounts;
  metrics: TransportMetrics;
  /** A transient failure happened: the transport decides whether to pause. */
  onTransient: (reason: TransientReason, error: unknown) => void;
}

/**
 * Settles one delivered message (docs/ARCHITECTURE.md, "Messaging"): oversize or invalid → dead letter at
 * once; handler resolved → ack; handler failed → by the failure's class (errors/classify.ts):
 * transient → nak with the transient backoff, uncounted; rejected → dead letter at once;
 * unknown → nak with backoff, dead letter at the maxDeliver-th counted failure.
 */
export class MessageProcessor {
  constructor(private readonly deps: ProcessorDeps) {}

  async process(contract: MessageContract, msg: JsMsg, invoke: InvokeHandler): Promise<void> {
    const { options } = this.deps;
    if (msg.data.length > options.maxMessageBytes) {
      const reason = `message too large: ${msg.data.length} bytes, over maxMessageBytes ${options.maxMessageBytes}`;
      return this.deadLetter(contract, msg, reason, 'oversize');
    }
    const check = parseEnvelope(contract, msg.data);
    if (!check.ok) return this.deadLetter(contract, msg, `invalid message: ${check.error}`, 'invalid');
    // Without it a handler slower than ackWait would be redelivered, and run twice at once.
    const heartbeat = setInterval(() => msg.working(), options.ackWaitMs / 3);
    try {
      await invoke(check.envelope, new JetStreamContext(msg, options.consumer));
      msg.ack();
      this.deps.failures.forget(msg);
      this.deps.metrics.acked.inc({ consumer: options.consumer });
    } catch (error) {
      await this.failed(contract, msg, error);
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async failed(contract: MessageContract, msg: JsMsg, error: unknown): Promise<void> {
    const { options, failures, metrics, log } = this.deps;
    const { consumer, maxDeliver } = options;
    const where = `${msg.subject} #${msg.info.streamSequence}`;
    const verdict = judgeFailure(error);
    if (verdict.class === 'rejected') return this.deadLetter(contract, msg, error, 'rejected');
    if (verdict.class === 'transient') {
      const reason = verdict.reason!;
      const delay = transientDelayFor(failures.failedTransiently(msg), options.transientBackoff);
      metrics.transientFailures.inc({ consumer, reason });
      log.debug?.(
        `transient failure (${reason}) of ${where}, retry in ${delay} ms: ${oneLine(describeError(error), 200)}`,
      );
      msg.nak(delay);
      return this.deps.onTransient(reason, error);
    }
    const failure = failures.failed(msg);
    metrics.failures.inc({ consumer });
    if (failure >= maxDeliver) return this.deadLetter(contract, msg, error, 'exhausted', failure);
    const delay = delayFor(failure, options.backoffMs);
    log.debug?.(
      `retry ${where} in ${delay} ms (failure ${failure}/${maxDeliver}): ${oneLine(describeError(error), 200)}`,
    );
    msg.nak(delay);
  }

  private async deadLetter(
    contract: MessageContract,
    msg: JsMsg,
    error: unknown,
    cause: DeadLetterCause,
    failure?: number,
  ): Promise<void> {
    const { js, options, log, failures, metrics } = this.deps;
    const { consumer, topology, backoffMs } = options;
    const where = `${msg.subject} #${msg.info.streamSequence}`;
    try {
      await publishDeadLetter(js, topology, msg, consumer, contract.subject, error);
    } catch (publishError) {
      // Never term() what the dead-letter stream has not stored: it comes back and we try again.
      log.error(`dead-letter publish failed for ${where}: ${describeError(publishError)}`);
      return msg.nak(delayFor(failure ?? 1, backoffMs));
    }
    msg.term();
    failures.forget(msg);
    metrics.deadLettered.inc({ consumer, cause });
    const after = failure === undefined ? `delivery ${msg.info.deliveryCount}` : `${failure} failures`;
    log.warn(`dead-lettered ${where} (${cause}) at ${after}: ${oneLine(describeError(error), 200)}`);
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
