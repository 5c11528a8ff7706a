import { randomUUID } from 'node:crypto';
import { OrderPlaced } from '@passo/contracts';
import { ensureStreams, listDeadLetters, MessageRejectedError, Topology } from '@passo/outbox';
import { PrismaClient } from '@passo/prisma/order';
import { PrismaPg } from '@prisma/adapter-pg';
import { AckPolicy, DeliverPolicy, nanos } from 'nats';
import { Registry } from 'prom-client';
import { freePort } from '../../tools/devstack/ports';
import { eventually } from '../support/eventually';
import { boot, jsm, orderPlaced, until } from '../support/transport-harness';

/**
 * Faults never strand a message (docs/ARCHITECTURE.md, "Messaging"): the handlers below fail with the real
 * error a Prisma client throws when its database is not there (a server that was on a port that
 * is now closed), not with a hand-made copy.
 */
let unreachable: PrismaClient;
beforeAll(async () => {
  const port = await freePort();
  unreachable = new PrismaClient({
    adapter: new PrismaPg({ connectionString: `postgresql://postgres:passo@127.0.0.1:${port}/passo`, max: 1 }),
  });
});
afterAll(() => unreachable?.$disconnect());

/** Throws what Prisma 7 + adapter-pg throws with the database down (P2010 wrapping DatabaseNotReachable). */
const databaseDown = () => unreachable.$queryRawUnsafe('SELECT 1');

const quick = { transientBackoff: { initialMs: 20, maxMs: 100 }, backoffMs: [20] };

async function gauge(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value;
}

describe('JetStreamTransport under faults', () => {
  it('retries a message failing transiently more often than maxDeliver, handles it once, dead-letters nothing', async () => {
    let deliveries = 0;
    let handled = 0;
    const t = await boot(
      async () => {
        if (++deliveries <= 5) await databaseDown();
        handled++;
      },
      { ...quick, maxDeliver: 2, probe: async () => undefined },
    );
    await t.publish(orderPlaced());
    await eventually(() => handled === 1);
    const info = await t.settled();
    expect(deliveries).toBe(6);
    expect(info.config.max_deliver).toBe(-1);
    expect(await listDeadLetters(jsm, t.topology)).toEqual([]);
    expect(t.logger.at('warn').filter((line) => line.startsWith('dead-lettered'))).toEqual([]);
  });

  it('pauses pulling while the probe fails, resumes when it passes, and reports it', async () => {
    let databaseUp = false;
    let probes = 0;
    const handled: string[] = [];
    const registry = new Registry();
    const t = await boot(
      async (envelope) => {
        if (!databaseUp) await databaseDown();
        handled.push(envelope.id);
      },
      {
        ...quick,
        registry,
        probe: async () => {
          probes++;
          if (!databaseUp) await databaseDown();
        },
      },
    );
    const labels = { consumer: t.consumer, reason: 'database-unreachable' };
    const first = orderPlaced();
    await t.publish(first);
    await eventually(() => t.transport.paused);
    expect(await gauge(registry, 'passo_consumer_paused', labels)).toBe(1);

    const second = orderPlaced();
    const { seq } = await t.publish(second);
    // No pull request is open on the broker and the probe keeps failing: nothing can deliver it.
    const probesBefore = probes;
    const info = await until(async () => {
      const current = await t.consumerInfo();
      return probes >= probesBefore + 3 && current.num_waiting === 0 && current;
    });
    // Nothing was delivered since the pause: not the second, not the nak'd first again.
    expect(info.delivered.consumer_seq).toBe(1);
    expect(info.delivered.stream_seq).toBeLessThan(seq);
    expect(info.num_pending).toBeGreaterThanOrEqual(1);
    expect(t.transport.paused).toBe(true);
    expect(handled).toEqual([]);

    databaseUp = true;
    await eventually(() => handled.length === 2);
    await t.settled();
    expect(new Set(handled)).toEqual(new Set([first.id, second.id]));
    expect(t.transport.paused).toBe(false);
    expect(await gauge(registry, 'passo_consumer_paused', labels)).toBe(0);
    expect(await gauge(registry, 'passo_consumer_transient_failures_total', labels)).toBeGreaterThanOrEqual(1);
    const paused = t.logger.at('warn').filter((line) => line.includes('paused'));
    expect(paused).toEqual([
      expect.stringMatching(
        new RegExp(`^consumer group ${t.consumer} paused \\(database-unreachable\\): .*Can't reach database server`),
      ),
    ]);
    expect(t.logger.at('log')).toContainEqual(
      expect.stringMatching(new RegExp(`^consumer group ${t.consumer} resumed after \\d+ ms paused`)),
    );
    expect(await listDeadLetters(jsm, t.topology)).toEqual([]);
  });

  it('dead-letters a MessageRejectedError at its first delivery, with its message as the reason', async () => {
    let calls = 0;
    const t = await boot(
      async () => {
        calls++;
        throw new MessageRejectedError('sku-1 is not sold here');
      },
      { ...quick, maxDeliver: 5 },
    );
    const sent = orderPlaced();
    await t.publish(sent);
    const [letter] = await t.deadLetters(1);
    await t.settled();
    expect(letter).toMatchObject({ originalMsgId: sent.id, deliveryCount: 1, error: 'sku-1 is not sold here' });
    expect(calls).toBe(1);
  });

  it('dead-letters an unknown error after maxDeliver failures, transient ones in between not counted', async () => {
    let deliveries = 0;
    const t = await boot(
      async () => {
        // transient, bug, transient, bug, transient, bug …
        if (++deliveries % 2 === 1) await databaseDown();
        throw new TypeError(`bug #${deliveries / 2}`);
      },
      { ...quick, maxDeliver: 3, probe: async () => undefined },
    );
    await t.publish(orderPlaced());
    const [letter] = await t.deadLetters(1);
    await t.settled();
    expect(deliveries).toBe(6);
    expect(letter).toMatchObject({ deliveryCount: 6, error: 'bug #3' });
    expect(t.logger.at('warn')).toContainEqual(
      expect.stringMatching(/^dead-lettered .* \(exhausted\) at 3 failures: bug #3/),
    );
  });

  it('dead-letters an oversize body unread, naming its size and the limit', async () => {
    let calls = 0;
    const t = await boot(async () => void calls++, { maxMessageBytes: 1_024 });
    await t.publish(new Uint8Array(2_000).fill(0x78), 'big-1');
    const small = orderPlaced();
    await t.publish(small);
    const [letter] = await t.deadLetters(1);
    await t.settled();
    expect(letter).toMatchObject({
      originalMsgId: 'big-1',
      deliveryCount: 1,
      error: 'message too large: 2000 bytes, over maxMessageBytes 1024',
    });
    expect(calls).toBe(1);
  });

  it('lifts the broker-side delivery limit of a durable created by an earlier version', async () => {
    const topology = new Topology({ prefix: `t${randomUUID().slice(0, 8)}` });
    const consumer = `c-${randomUUID().slice(0, 8)}`;
    await ensureStreams(jsm, topology, [OrderPlaced], { deadLetters: true });
    await jsm.consumers.add(topology.stream('orders').name, {
      durable_name: topology.durable(consumer, OrderPlaced),
      filter_subject: topology.subject(OrderPlaced),
      deliver_policy: DeliverPolicy.All,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(30_000),
      max_deliver: 6,
      max_ack_pending: 1_000,
    });
    let deliveries = 0;
    const t = await boot(
      async () => {
        if (++deliveries <= 7) await databaseDown();
      },
      { ...quick, probe: async () => undefined },
      undefined,
      { topology, consumer },
    );
    expect((await t.consumerInfo()).config.max_deliver).toBe(-1);
    await t.publish(orderPlaced());
    await eventually(() => deliveries === 8);
    await t.settled();
    expect(await listDeadLetters(jsm, t.topology)).toEqual([]);
  });
});
