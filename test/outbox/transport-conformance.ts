/**
 * What every message transport must do, whatever the broker (in the spirit of Watermill's
 * Pub/Sub tests, `TestPubSub(t, features, constructor)`): run
 * `describeTransportConformance(name, features, factory)` for each implementation, declaring what
 * it promises. A case that needs a feature the transport does not declare is skipped, not failed.
 */
import { randomUUID } from 'node:crypto';
import { defineEvent, type Envelope, type MessageContract } from '@passo/contracts';
import { z } from 'zod';
import { eventually } from '../support/eventually';

export const ConformancePing = defineEvent(
  'ConformancePing',
  'conformance.event.ping.v1',
  z.object({ n: z.number().int().min(0) }),
);
export type ConformancePing = z.infer<typeof ConformancePing.schema>;

export interface Delivery {
  envelope: Envelope<ConformancePing>;
  deliveryCount: number;
}
/** Keyed by contract name; a rejection means "failed, deliver again". */
export type ConformanceHandlers = Partial<Record<string, (delivery: Delivery) => Promise<void>>>;

export interface TransportUnderTest {
  publish(contract: MessageContract, envelope: Envelope): Promise<void>;
  /** Bytes the consumer must reject as invalid, published with this message id. */
  publishRaw(contract: MessageContract, body: Uint8Array, msgId: string): Promise<void>;
  /** Starts consuming (one durable consumer group across starts) and resolves once it does. */
  start(handlers: ConformanceHandlers): Promise<void>;
  stop(): Promise<void>;
  /** True when the broker holds nothing undelivered or unacknowledged for the consumer. */
  settled(): Promise<boolean>;
  dispose(): Promise<void>;
}

/**
 * What a transport may promise beyond the baseline (Watermill's `Features`, in our terms). The
 * baseline, which every transport passes: every message published is handled, and handled once
 * when nothing fails (the cases count deliveries exactly).
 */
export interface TransportFeatures {
  /**
   * One subject's messages are handled in publish order when the consumer runs one at a time
   * (Watermill's GuaranteedOrderWithSingleSubscriber).
   */
  guaranteedOrder: boolean;
  /** A message whose handler failed is delivered again, with its delivery count. */
  redeliveryOnFailure: boolean;
  /** A second publish with the same message id is dropped by the broker. */
  publishDeduplication: boolean;
  /**
   * Messages outlive the consumer: a durable consumer group that was stopped gets what was
   * published meanwhile, and not what it had acked (Watermill's Persistent).
   */
  persistent: boolean;
  /**
   * A message that is not a valid envelope of its contract is set aside (dead-lettered) at once,
   * never handled, nor retried in front of the messages behind it.
   */
  poisonIsolation: boolean;
}
export type TransportFeature = keyof TransportFeatures;

/** The suite's cases and the features each checks (none: the baseline). */
const CASES = {
  'consumes every published message exactly once': [],
  'keeps the publish order of one subject with concurrency 1': ['guaranteedOrder'],
  'redelivers a message whose handler failed': ['redeliveryOnFailure'],
  'consumes a message published twice with the same id once (broker dedup)': ['publishDeduplication'],
  'delivers what was published while no consumer ran, and nothing already handled': ['persistent'],
  'does not let a poison message block the ones after it': ['poisonIsolation'],
} satisfies Record<string, TransportFeature[]>;

/** Retries must be quick in these cases: give the transport a short backoff. */
export type TransportFactory = (options: { concurrency: number }) => Promise<TransportUnderTest>;

export function ping(n: number, id: string = randomUUID()): Envelope<ConformancePing> {
  const at = new Date().toISOString();
  return {
    id,
    type: ConformancePing.name,
    occurredAt: at,
    correlationId: `c-${n}`,
    causationId: null,
    traceparent: null,
    payload: { n },
  };
}

export function describeTransportConformance(
  name: string,
  features: TransportFeatures,
  factory: TransportFactory,
): void {
  const missing = (title: keyof typeof CASES) =>
    (CASES[title] as TransportFeature[]).filter((feature) => !features[feature]);
  /** Runs a case when the transport declares every feature it needs; a case it cannot run is left out (see the title). */
  function conformance(title: keyof typeof CASES, test: () => Promise<void>): void {
    if (missing(title).length === 0) it(title, test);
  }
  // What the transport does not claim is named in the suite's title, never run as a skipped test.
  const unsupported = (Object.keys(features) as TransportFeature[]).filter((feature) => !features[feature]);
  const without = unsupported.length ? ` (not checked, unsupported: ${unsupported.join(', ')})` : '';

  describe(`${name} conformance${without}`, () => {
    let transport: TransportUnderTest | undefined;
    const open = async (concurrency: number) => (transport = await factory({ concurrency }));
    afterEach(async () => {
      await transport?.dispose();
      transport = undefined;
    });

    /** Records every delivery once its (simulated) work is done; `fail` decides which ones throw. */
    function recorder(fail: (delivery: Delivery) => boolean = () => false, workMs = (_delivery: Delivery) => 0) {
      const deliveries: Delivery[] = [];
      const handlers: ConformanceHandlers = {
        [ConformancePing.name]: async (delivery) => {
          const ms = workMs(delivery);
          if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
          deliveries.push(delivery);
          if (fail(delivery)) throw new Error(`refusing #${delivery.envelope.payload.n}`);
        },
      };
      const count = (id: string) => deliveries.filter((d) => d.envelope.id === id).length;
      const handledIds = () => new Set(deliveries.filter((d) => !fail(d)).map((d) => d.envelope.id));
      return { deliveries, handlers, count, handledIds };
    }

    conformance('consumes every published message exactly once', async () => {
      const t = await open(16);
      const rec = recorder();
      await t.start(rec.handlers);
      const sent = Array.from({ length: 200 }, (_, n) => ping(n));
      await Promise.all(sent.map((envelope) => t.publish(ConformancePing, envelope)));
      await eventually(() => rec.handledIds().size === 200);
      await eventually(() => t.settled());
      expect(rec.deliveries).toHaveLength(200);
      expect(sent.filter((e) => rec.count(e.id) !== 1)).toEqual([]);
    });

    conformance('keeps the publish order of one subject with concurrency 1', async () => {
      const t = await open(1);
      // Earlier messages work longer: handlers that overlapped would finish out of order.
      const rec = recorder(undefined, (d) => (3 - (d.envelope.payload.n % 4)) * 5);
      await t.start(rec.handlers);
      for (let n = 0; n < 30; n++) await t.publish(ConformancePing, ping(n));
      await eventually(() => rec.deliveries.length >= 30);
      expect(rec.deliveries.map((d) => d.envelope.payload.n)).toEqual(Array.from({ length: 30 }, (_, n) => n));
    });

    conformance('redelivers a message whose handler failed', async () => {
      const t = await open(4);
      const rec = recorder((d) => d.deliveryCount === 1);
      await t.start(rec.handlers);
      const sent = [ping(1), ping(2), ping(3)];
      for (const envelope of sent) await t.publish(ConformancePing, envelope);
      await eventually(() => rec.handledIds().size === 3);
      await eventually(() => t.settled());
      for (const { id } of sent)
        expect(rec.deliveries.filter((d) => d.envelope.id === id).map((d) => d.deliveryCount)).toEqual([1, 2]);
    });

    conformance('consumes a message published twice with the same id once (broker dedup)', async () => {
      const t = await open(4);
      const rec = recorder();
      await t.start(rec.handlers);
      const twice = ping(1);
      const after = ping(2);
      await t.publish(ConformancePing, twice);
      await t.publish(ConformancePing, twice);
      await t.publish(ConformancePing, after);
      await eventually(() => rec.count(after.id) === 1);
      await eventually(() => t.settled());
      expect(rec.count(twice.id)).toBe(1);
      expect(rec.deliveries).toHaveLength(2);
    });

    conformance('delivers what was published while no consumer ran, and nothing already handled', async () => {
      const t = await open(4);
      const rec = recorder();
      await t.start(rec.handlers);
      const before = ping(0);
      await t.publish(ConformancePing, before);
      await eventually(() => rec.count(before.id) === 1);
      await t.stop();
      const whileDown = [1, 2, 3, 4, 5].map((n) => ping(n));
      for (const envelope of whileDown) await t.publish(ConformancePing, envelope);
      await t.start(rec.handlers);
      await eventually(() => whileDown.every((e) => rec.count(e.id) === 1));
      await eventually(() => t.settled());
      expect(rec.count(before.id)).toBe(1);
      expect(rec.deliveries).toHaveLength(6);
    });

    conformance('does not let a poison message block the ones after it', async () => {
      const t = await open(1);
      const rec = recorder();
      await t.start(rec.handlers);
      await t.publishRaw(ConformancePing, new TextEncoder().encode('{"not": "an envelope"'), randomUUID());
      await t.publish(ConformancePing, { ...ping(1), payload: { n: -1 } });
      const good = ping(2);
      await t.publish(ConformancePing, good);
      await eventually(() => rec.count(good.id) === 1);
      await eventually(() => t.settled());
      expect(rec.deliveries.map((d) => d.envelope.payload.n)).toEqual([2]);
    });
  });
}
