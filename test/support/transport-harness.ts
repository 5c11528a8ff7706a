import { randomUUID } from 'node:crypto';
import { Controller, Inject, Module, type DynamicModule, type INestMicroservice, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { isChoreographed, OrderPlaced, type Envelope } from '@passo/contracts';
import {
  type JetStreamContext,
  JetStreamTransport,
  OnMessage,
  Topology,
  listDeadLetters,
  type JetStreamTransportOptions,
} from '@passo/outbox';
import { connect, headers, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import { from, type Observable } from 'rxjs';
import { testNatsAdmin, testNatsOptions, testNatsUrl } from './databases';
import { eventually } from './eventually';

/**
 * An in-process microservice on the JetStream transport, on its own topology prefix and consumer
 * group, with a handler the test supplies; streams are deleted after each test.
 */
export type Probe = (envelope: Envelope<OrderPlaced>, ctx: JetStreamContext) => Promise<void> | Observable<void>;
const PROBE = Symbol('probe');

/** The style the brief asks apps to write: plain @EventPattern, returning an Observable. */
@Controller()
export class PlainConsumer {
  constructor(@Inject(PROBE) private readonly probe: Probe) {}
  // Nest 12's typed overload infers `data: {}` from a string topic; <string> picks the untyped one.
  @EventPattern<string>(OrderPlaced.subject)
  onOrderPlaced(@Payload() envelope: Envelope<OrderPlaced>, @Ctx() ctx: JetStreamContext) {
    const result = this.probe(envelope, ctx);
    return result instanceof Promise ? from(result) : result;
  }
}

/** @OnMessage keeps the handler's own error as the retry/dead-letter reason. */
@Controller()
export class TypedConsumer {
  constructor(@Inject(PROBE) private readonly probe: Probe) {}
  @OnMessage(OrderPlaced)
  onOrderPlaced(@Payload() envelope: Envelope<OrderPlaced>, @Ctx() ctx: JetStreamContext) {
    return this.probe(envelope, ctx);
  }
}

/** @OnMessage with `only`: the handler is for choreographed orders; the transport acks the others. */
@Controller()
export class ChoreographyConsumer {
  constructor(@Inject(PROBE) private readonly probe: Probe) {}
  @OnMessage(OrderPlaced, { only: isChoreographed })
  onOrderPlaced(@Payload() envelope: Envelope<OrderPlaced>, @Ctx() ctx: JetStreamContext) {
    return this.probe(envelope, ctx);
  }
}

@Controller()
export class StrayConsumer {
  @EventPattern<string>('orders.event.order-shipped.v1')
  onShipped(@Payload() _envelope: Envelope) {}
}

@Module({})
class TestModule {
  static with(controller: Type, probe: Probe): DynamicModule {
    return { module: TestModule, controllers: [controller], providers: [{ provide: PROBE, useValue: probe }] };
  }
}

export class CapturingLogger {
  readonly lines: Array<{ level: string; message: string }> = [];
  log = (message: string) => this.lines.push({ level: 'log', message });
  warn = (message: string) => this.lines.push({ level: 'warn', message });
  error = (message: string) => this.lines.push({ level: 'error', message });
  debug = (message: string) => this.lines.push({ level: 'debug', message });
  at = (level: string) => this.lines.filter((line) => line.level === level).map((line) => line.message);
}

export function orderPlaced(payload: Partial<OrderPlaced> = {}): Envelope<OrderPlaced> {
  const orderId = randomUUID();
  return {
    ...{ id: randomUUID(), type: 'OrderPlaced', occurredAt: new Date().toISOString(), correlationId: orderId },
    ...{ causationId: null, traceparent: null },
    payload: {
      orderId,
      customerId: 'c-1',
      items: [{ sku: 'sku-1', quantity: 1 }],
      sagaMode: 'choreography',
      ...payload,
    },
  };
}

/** `eventually` for probes that return false until they return the value. */
export const until = async <T>(probe: () => Promise<T | false>): Promise<T> => (await eventually(probe)) as T;

let nc: NatsConnection;
export let jsm: JetStreamManager;
export let js: JetStreamClient;
const running: Array<{ app: INestMicroservice; topology: Topology }> = [];

beforeAll(async () => {
  nc = await connect(testNatsOptions());
  jsm = await nc.jetstreamManager();
  js = nc.jetstream();
});
afterEach(async () => {
  for (const { app, topology } of running.splice(0)) {
    await app.close();
    for (const name of [topology.stream('orders').name, topology.deadLetters().name]) {
      await jsm.streams.delete(name).catch(() => undefined);
    }
  }
});
afterAll(() => nc?.close());

export interface BootPlace {
  topology?: Topology;
  consumer?: string;
}

/** Boots an in-process microservice on its own topology prefix and consumer group. */
export async function boot(
  probe: Probe,
  options: Partial<JetStreamTransportOptions> = {},
  controller: Type = TypedConsumer,
  place: BootPlace = {},
) {
  const topology = place.topology ?? new Topology({ prefix: `t${randomUUID().slice(0, 8)}` });
  const consumer = place.consumer ?? `c-${randomUUID().slice(0, 8)}`;
  const logger = new CapturingLogger();
  const transport = new JetStreamTransport({
    ...{
      servers: testNatsUrl(),
      credentials: testNatsAdmin(),
      consumer,
      contracts: [OrderPlaced],
      topology: { prefix: topology.prefix },
      logger,
    },
    ...options,
  });
  const app = await NestFactory.createMicroservice(TestModule.with(controller, probe), {
    strategy: transport,
    logger: false,
  });
  running.push({ app, topology });
  await app.listen();
  const publish = async (envelope: Envelope | Uint8Array, msgId: string = randomUUID()) => {
    const body = envelope instanceof Uint8Array ? envelope : Buffer.from(JSON.stringify(envelope));
    const hdrs = headers();
    hdrs.set('Passo-Type', OrderPlaced.name);
    const id = envelope instanceof Uint8Array ? msgId : envelope.id;
    return js.publish(topology.subject(OrderPlaced), body, { msgID: id, headers: hdrs });
  };
  const consumerInfo = () =>
    jsm.consumers.info(topology.stream('orders').name, topology.durable(consumer, OrderPlaced));
  /** The consumer's info once nothing is left undelivered or unacknowledged. */
  const settled = () =>
    until(async () => {
      const info = await consumerInfo();
      return info.num_pending === 0 && info.num_ack_pending === 0 && info;
    });
  const deadLetters = (count: number) =>
    until(async () => {
      const letters = await listDeadLetters(jsm, topology);
      return letters.length === count && letters;
    });
  return { app, transport, topology, consumer, logger, publish, consumerInfo, settled, deadLetters };
}
