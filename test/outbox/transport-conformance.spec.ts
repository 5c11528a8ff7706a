import { randomUUID } from 'node:crypto';
import { Controller, Inject, Module, type DynamicModule, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import type { Envelope } from '@passo/contracts';
import { type JetStreamContext, JetStreamTransport, OnMessage, Topology, ensureStreams } from '@passo/outbox';
import { connect, headers } from 'nats';
import { testNatsUrl, testNatsAdmin, testNatsOptions } from '../support/databases';
import {
  ConformancePing,
  describeTransportConformance,
  type ConformanceHandlers,
  type TransportFeatures,
  type TransportUnderTest,
} from './transport-conformance';

const HANDLERS = Symbol('conformance handlers');
interface HandlerHolder {
  current: ConformanceHandlers;
}

@Controller()
class ConformanceConsumer {
  constructor(@Inject(HANDLERS) private readonly holder: HandlerHolder) {}

  @OnMessage(ConformancePing)
  async onPing(@Payload() envelope: Envelope<ConformancePing>, @Ctx() ctx: JetStreamContext): Promise<void> {
    const handle = this.holder.current[ConformancePing.name];
    if (!handle) throw new Error('no conformance handler');
    await handle({ envelope, deliveryCount: ctx.deliveryCount });
  }
}

@Module({})
class ConformanceModule {
  static with(holder: HandlerHolder): DynamicModule {
    return {
      module: ConformanceModule,
      controllers: [ConformanceConsumer],
      providers: [{ provide: HANDLERS, useValue: holder }],
    };
  }
}

const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** Every feature the suite has, so our run skips no case (a new feature must be declared here). */
const JETSTREAM_FEATURES: TransportFeatures = {
  guaranteedOrder: true, // a stream keeps publish order; concurrency 1 is one message in flight per durable
  redeliveryOnFailure: true, // a nak, and the broker's delivery count
  publishDeduplication: true, // Nats-Msg-Id within the stream's duplicate window
  persistent: true, // file-storage streams, durable consumers
  poisonIsolation: true, // invalid envelopes dead-lettered at their first delivery
};

describeTransportConformance('JetStreamTransport', JETSTREAM_FEATURES, openJetStream);

async function openJetStream({ concurrency }: { concurrency: number }): Promise<TransportUnderTest> {
  const topology = new Topology({ prefix: `t${randomUUID().slice(0, 8)}` });
  const consumer = 'conformance';
  const nc = await connect(testNatsOptions());
  const jsm = await nc.jetstreamManager();
  const js = nc.jetstream();
  await ensureStreams(jsm, topology, [ConformancePing], { deadLetters: true });
  const holder: HandlerHolder = { current: {} };
  let app: INestMicroservice | undefined;

  const publish = async (subject: string, body: Uint8Array, msgId: string, type: string) => {
    const hdrs = headers();
    hdrs.set('Passo-Type', type);
    await js.publish(subject, body, { msgID: msgId, headers: hdrs });
  };
  const stop = async () => {
    await app?.close();
    app = undefined;
  };
  return {
    publish: (contract, envelope) =>
      publish(topology.subject(contract), Buffer.from(JSON.stringify(envelope)), envelope.id, contract.name),
    publishRaw: (contract, body, msgId) => publish(topology.subject(contract), body, msgId, contract.name),
    async start(handlers) {
      holder.current = handlers;
      const strategy = new JetStreamTransport({
        servers: testNatsUrl(),
        credentials: testNatsAdmin(),
        consumer,
        contracts: [ConformancePing],
        topology: { prefix: topology.prefix },
        concurrency,
        backoffMs: [20],
        logger: silent,
      });
      app = await NestFactory.createMicroservice(ConformanceModule.with(holder), { strategy, logger: false });
      await app.listen();
    },
    stop,
    async settled() {
      const info = await jsm.consumers.info(
        topology.stream(ConformancePing.context).name,
        topology.durable(consumer, ConformancePing),
      );
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    async dispose() {
      await stop();
      for (const stream of [topology.stream(ConformancePing.context).name, topology.deadLetters().name]) {
        await jsm.streams.delete(stream).catch(() => undefined);
      }
      await nc.close();
    },
  };
}
