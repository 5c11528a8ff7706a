import { Logger, type LoggerService } from '@nestjs/common';
import { type CustomTransportStrategy, type MessageHandler, Server } from '@nestjs/microservices';
import type { Envelope, MessageContract } from '@passo/contracts';
import type { JsMsg, NatsConnection } from 'nats';
import { lastValueFrom } from 'rxjs';
import { pausesConsumers, type TransientReason } from '../errors/classify';
import { ensureDurable } from '../jetstream/consumers';
import { ensureStreams } from '../jetstream/streams';
import { connectWithRetry } from '../nats/connect-with-retry';
import { BatchQueue } from './batch-queue';
import { ConsumerPause } from './consumer-pause';
import { describeError } from './dead-letter-message';
import { FailureCounts } from './failure-counts';
import { JetStreamContext } from './jetstream.context';
import {
  resolveTransportOptions,
  type JetStreamTransportOptions,
  type ResolvedTransportOptions,
} from './jetstream-transport.options';
import { MessageProcessor } from './message-processor';
import { onlyOf } from './on-message.decorator';
import { PullLoop } from './pull-loop';
import { TransportMetrics } from './transport-metrics';

export type JetStreamStatus = 'connecting' | 'connected' | 'closed';

interface Route {
  contract: MessageContract;
  handler: MessageHandler;
}

/**
 * NestJS transport over JetStream durable pull consumers: `@OnMessage(OrderPlaced)` (or
 * `@EventPattern<string>(OrderPlaced.subject)`: Nest 12 types a bare string topic's data as `{}`)
 * handlers get the checked envelope; ack after the handler resolves. A failure is judged by
 * errors/classify.ts: an infrastructure one is nak'd without counting and pauses the consumer group
 * until the probe passes; a MessageRejectedError, an invalid or oversize message is dead-lettered
 * at once; anything else is retried with backoff and dead-lettered after maxDeliver failures.
 */
export class JetStreamTransport extends Server implements CustomTransportStrategy {
  static readonly TRANSPORT = Symbol.for('passo.jetstream');
  override transportId = JetStreamTransport.TRANSPORT;
  private readonly options: ResolvedTransportOptions;
  private readonly log: LoggerService;
  private nc?: NatsConnection;
  private loops: PullLoop[] = [];
  private processor?: MessageProcessor;
  private closing?: Promise<void>;
  private readonly metrics: TransportMetrics;
  private readonly pause: ConsumerPause;

  constructor(options: JetStreamTransportOptions) {
    super();
    this.options = resolveTransportOptions(options);
    this.log = options.logger ?? new Logger(`JetStreamTransport(${this.options.consumer})`);
    this.metrics = new TransportMetrics(this.options.registry, this.options.consumer);
    this.pause = new ConsumerPause({
      ...this.options,
      backoff: this.options.transientBackoff,
      log: this.log,
      metrics: this.metrics,
    });
  }

  /** True while the consumer group has stopped pulling because a dependency is down. */
  get paused(): boolean {
    return this.pause.paused;
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      const routes = this.routes();
      this._status$.next('connecting');
      const { servers, credentials } = this.options;
      this.nc = await connectWithRetry(servers, this.options.consumer, this.log, () => !!this.closing, credentials);
      const jsm = await this.nc.jetstreamManager();
      const { topology, consumer, concurrency } = this.options;
      const processor = (this.processor = new MessageProcessor({
        js: this.nc.jetstream(),
        options: this.options,
        log: this.log,
        failures: new FailureCounts(),
        metrics: this.metrics,
        onTransient: this.transientFailure,
      }));
      await ensureStreams(
        jsm,
        topology,
        routes.map((route) => route.contract),
        { deadLetters: true },
      );
      const { unitOfWork, batchSize } = this.options;
      // With a unit of work every durable feeds one queue of batches; without, each message runs alone.
      const batches =
        unitOfWork &&
        new BatchQueue(
          batchSize,
          this.options.ackWaitMs / 3,
          (batch) => processor.processBatch(batch, unitOfWork),
          (error) => this.pullFailed(error, 0),
        );
      for (const route of routes) {
        await ensureDurable(jsm, topology, route.contract, this.options);
        const source = await this.nc
          .jetstream()
          .consumers.get(topology.stream(route.contract.context).name, topology.durable(consumer, route.contract));
        const invoke = (envelope: Envelope, ctx: JetStreamContext) => this.invoke(route.handler, envelope, ctx);
        const { contract } = route;
        const only = onlyOf(route.handler.extras);
        const handle = batches
          ? (msg: JsMsg) => batches.submit({ contract, msg, invoke, only })
          : (msg: JsMsg) => processor.process({ contract, msg, invoke, only });
        this.loops.push(new PullLoop(source, concurrency, handle, this.pullFailed, this.pause));
      }
      if (this.closing) {
        // close() ran while we were connecting and found nothing to drain yet.
        await this.nc.drain().catch(() => undefined);
        throw new Error('JetStreamTransport closed while starting');
      }
      this.loops.forEach((loop) => loop.start());
      this._status$.next('connected');
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Every handler pattern must be a consumed contract's subject: a typo must not go unheard. */
  private routes(): Route[] {
    const bySubject = new Map(this.options.contracts.map((contract) => [contract.subject, contract]));
    const routes = [...this.getHandlers()].map(([pattern, handler]): Route => {
      const contract = bySubject.get(pattern);
      if (!contract) {
        const known = [...bySubject.keys()].join(', ');
        throw new Error(`JetStreamTransport: no contract for handler pattern "${pattern}" (contracts: ${known})`);
      }
      if (!handler.isEventHandler) {
        throw new Error(
          `JetStreamTransport: "${pattern}" is a @MessagePattern; messages are one-way, use @EventPattern`,
        );
      }
      return { contract, handler };
    });
    const handled = new Set(routes.map((route) => route.contract.subject));
    for (const subject of bySubject.keys()) {
      if (!handled.has(subject)) this.log.warn(`no handler for ${subject}: it is not consumed`);
    }
    return routes;
  }

  /** Runs the handler between Nest's processing hooks; resolves when its result has settled. */
  private invoke(handler: MessageHandler, envelope: Envelope, ctx: JetStreamContext): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.runWithProcessingHooks(ctx, async (runEndHook) => {
        try {
          const result: unknown = await handler(envelope, ctx);
          await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
          resolve();
        } catch (error) {
          reject(error);
        } finally {
          runEndHook();
        }
      });
    });
  }

  private readonly transientFailure = (reason: TransientReason, error: unknown): void => {
    if (pausesConsumers(reason) && !this.closing) this.pause.pause(reason, error);
  };

  private readonly pullFailed = (error: unknown, consecutive: number): void => {
    if (consecutive <= 1 || consecutive % 30 === 0) {
      this.log.warn(`pulling failed (${consecutive}x): ${describeError(error)}; retrying`);
    }
  };

  /** Stops pulling, lets in-flight handlers finish (bounded), then drains the connection. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const finished = await Promise.all(this.loops.map((loop) => loop.stop(this.options.closeTimeoutMs)));
      this.pause.stop();
      if (finished.includes(false)) {
        this.log.warn(
          `handlers still running after ${this.options.closeTimeoutMs} ms; their messages will be redelivered`,
        );
      }
      this.processor?.flushSkipped();
      if (this.nc && !this.nc.isClosed()) await this.nc.drain().catch(() => undefined);
      this._status$.next('closed');
    })();
    return this.closing;
  }

  /** Status changes are reported through `status`; there are no other events. */
  on(): never {
    throw new Error('JetStreamTransport has no events; subscribe to its status instead');
  }

  unwrap<T>(): T {
    if (!this.nc) throw new Error('JetStreamTransport is not connected: call listen() first');
    return this.nc as T;
  }
}
