import type { LoggerService } from '@nestjs/common';
import { checkEnvelope, type Envelope, type EnvelopeCheck, type MessageContract } from '@passo/contracts';
import type { JetStreamClient, JsMsg } from 'nats';
import { judgeFailure, type TransientReason } from '../errors/classify';
import { delayFor, transientDelayFor } from './nak-delays';
import { describeError, oneLine, publishDeadLetter } from './dead-letter-message';
import type { FailureCounts } from './failure-counts';
import { Heartbeat } from './heartbeat';
import { JetStreamContext } from './jetstream.context';
import type { ResolvedTransportOptions, UnitOfWorkRunner } from './jetstream-transport.options';
import type { TransportMetrics } from './transport-metrics';

/** Runs the app's handler; resolves once its result (promise or observable) has settled. */
export type InvokeHandler = (envelope: Envelope, ctx: JetStreamContext) => Promise<void>;

export type DeadLetterCause = 'oversize' | 'invalid' | 'rejected' | 'exhausted';

/** One delivered message waiting in a batch, with the handler of its route. */
export interface BatchItem {
  contract: MessageContract;
  msg: JsMsg;
  invoke: InvokeHandler;
  /** The messages the handler is for (@OnMessage's `only`); any other is acked unhandled. */
  only?: (envelope: Envelope) => boolean;
}

interface Ready extends BatchItem {
  envelope: Envelope;
}

/** Code-unit order of correlation ids (stable sort keeps each order's messages in delivery order). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

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
 * Settles one delivered message (docs/ARCHITECTURE.md, "Messaging"): oversize or invalid → dead
 * letter at once; handler resolved → ack; handler failed → by the failure's class (errors/classify.ts):
 * transient → nak with the transient backoff, uncounted; rejected → dead letter at once;
 * unknown → nak with backoff, dead letter at the maxDeliver-th counted failure.
 */
export class MessageProcessor {
  /** Skipped messages whose ack waits for the next flushSkipped (see skippedAckDelayMs). */
  private readonly skippedAcks: JsMsg[] = [];
  private skippedTimer?: NodeJS.Timeout;

  constructor(private readonly deps: ProcessorDeps) {}

  /** Acks every skipped message still waiting, in one synchronous loop: the client sends them in one write. */
  flushSkipped(): void {
    clearTimeout(this.skippedTimer);
    this.skippedTimer = undefined;
    for (const msg of this.skippedAcks.splice(0)) {
      try {
        msg.ack(); // no effects, so not the lab's `redeliver` either: its draws stay with the handled messages
      } catch (error) {
        // Run by a timer: the connection closed under it. The broker redelivers the message, skipped again.
        this.deps.log.warn(`could not ack a skipped message (${describeError(error)}): it will be redelivered`);
      }
    }
  }

  async process(item: BatchItem): Promise<void> {
    const envelope = await this.screen(item.contract, item.msg);
    if (envelope && !this.skipped(item, envelope)) await this.runOne({ ...item, envelope });
  }

  /**
   * Settles a batch (docs/ARCHITECTURE.md, "Messaging"): each message is screened as in
   * process(), then all run in one unit of work: each order's messages in delivery order, the
   * orders concurrently (grouped by correlation id, begun in its order; see invokeAll); committed → all
   * acked together. A transient failure naks them all; any other runs them one by one, each in
   * its own transaction, so one poison message holds back nothing and none is lost.
   */
  async processBatch(batch: readonly BatchItem[], unitOfWork: UnitOfWorkRunner): Promise<void> {
    const ready: Ready[] = [];
    for (const item of batch) {
      const envelope = await this.screen(item.contract, item.msg);
      if (envelope && !this.skipped(item, envelope)) ready.push({ ...item, envelope });
    }
    if (ready.length === 0) return;
    ready.sort((a, b) => compare(a.envelope.correlationId, b.envelope.correlationId));
    const { options, metrics, failures } = this.deps;
    // Until each is settled: after a split the last ones wait for all the others to run alone.
    const alive = new Heartbeat(options.ackWaitMs / 3);
    ready.forEach(({ msg }) => alive.add(msg));
    try {
      await unitOfWork(
        () => this.invokeAll(ready),
        ready.map((item) => item.envelope),
      );
    } catch (error) {
      return await this.batchFailed(ready, error, alive);
    } finally {
      alive.stop();
    }
    // In one synchronous loop: the client sends every ack in one write.
    for (const { msg } of ready) {
      this.settleCommitted(msg);
      failures.forget(msg);
    }
    metrics.acked.inc({ consumer: options.consumer }, ready.length);
    metrics.batchSize.observe({ consumer: options.consumer }, ready.length);
  }

  /**
   * Each order's messages one after the other, different orders concurrently: their calls to a
   * BatchedEffect then arrive together and run as one statement. Every handler is let finish (a
   * failed step fails the later ones at once) before the unit ends, so none still uses its
   * transaction when it rolls back; the first failure is the batch's.
   */
  private async invokeAll(ready: readonly Ready[]): Promise<void> {
    const { consumer } = this.deps.options;
    const orders: Ready[][] = [];
    for (const item of ready) {
      const last = orders.at(-1);
      if (last && last[0]!.envelope.correlationId === item.envelope.correlationId) last.push(item);
      else orders.push([item]);
    }
    const outcomes = await Promise.allSettled(
      orders.map(async (messages) => {
        for (const item of messages) await item.invoke(item.envelope, new JetStreamContext(item.msg, consumer));
      }),
    );
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async batchFailed(ready: Ready[], error: unknown, alive: Heartbeat): Promise<void> {
    const verdict = judgeFailure(error);
    this.deps.metrics.batchesSplit.inc({ consumer: this.deps.options.consumer, class: verdict.class });
    if (verdict.class === 'transient') {
      alive.stop();
      // The database (or broker) is the problem, not a message: every one of them waits and returns.
      for (const item of ready) await this.failed(item.contract, item.msg, error);
      return;
    }
    this.deps.log.debug?.(
      `a batch of ${ready.length} failed (${oneLine(describeError(error), 200)}): running its messages one by one`,
    );
    for (const item of ready) {
      alive.delete(item.msg); // runOne keeps it alive while it runs
      await this.runOne(item);
    }
  }

  /** Oversize or invalid → dead letter (null); else the checked envelope. */
  private async screen(contract: MessageContract, msg: JsMsg): Promise<Envelope | null> {
    const { options } = this.deps;
    if (msg.data.length > options.maxMessageBytes) {
      const reason = `message too large: ${msg.data.length} bytes, over maxMessageBytes ${options.maxMessageBytes}`;
      await this.deadLetter(contract, msg, reason, 'oversize');
      return null;
    }
    const check = parseEnvelope(contract, msg.data);
    if (check.ok) return check.envelope;
    await this.deadLetter(contract, msg, `invalid message: ${check.error}`, 'invalid');
    return null;
  }

  /**
   * A checked message its handler is not for (`only`): acked as if the handler had returned on it —
   * no unit of work, no handler — together with the others skipped within skippedAckDelayMs. A predicate that throws leaves it to the handler.
   */
  private skipped(item: BatchItem, envelope: Envelope): boolean {
    let forHandler: boolean;
    try {
      forHandler = item.only?.(envelope) ?? true;
    } catch {
      return false;
    }
    if (forHandler) return false;
    this.ackSkipped(item.msg);
    this.deps.failures.forget(item.msg);
    this.deps.metrics.acked.inc({ consumer: this.deps.options.consumer });
    return true;
  }

  private ackSkipped(msg: JsMsg): void {
    const delay = this.deps.options.skippedAckDelayMs;
    if (delay === 0) return msg.ack();
    this.skippedAcks.push(msg);
    this.skippedTimer ??= setTimeout(() => this.flushSkipped(), delay);
  }

  /** The handler resolved → ack; else settled by the failure's class. */
  private async runOne({ contract, msg, invoke, envelope }: Ready): Promise<void> {
    const { options } = this.deps;
    // Without it a handler slower than ackWait would be redelivered, and run twice at once.
    const alive = new Heartbeat(options.ackWaitMs / 3);
    alive.add(msg);
    try {
      await invoke(envelope, new JetStreamContext(msg, options.consumer));
      this.settleCommitted(msg);
      this.deps.failures.forget(msg);
      this.deps.metrics.acked.inc({ consumer: options.consumer });
    } catch (error) {
      await this.failed(contract, msg, error);
    } finally {
      alive.stop();
    }
  }

  /** Its effects committed: ack — unless the lab's `redeliver` fault loses the ack, and the broker sends it again. */
  private settleCommitted(msg: JsMsg): void {
    if (this.deps.options.lab?.fires('redeliver')) msg.nak();
    else msg.ack();
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
