import { randomUUID } from 'node:crypto';
import { OrderPlaced, type Envelope } from '@passo/contracts';
import { ensureStreams, listDeadLetters, MessageRejectedError, Topology } from '@passo/outbox';
import { headers } from 'nats';
import { batchFixture, holdQueue, type BatchFixture } from './fixtures/batch-fixture';
import { recordEffect } from './fixtures/batch-effects';
import { boot, js, jsm, orderPlaced, until } from '../support/transport-harness';

/**
 * Batched consumption (unitOfWork + batchSize, as bootstrap.ts turns it on) on the real
 * PostgreSQL and JetStream: what one transaction for many messages must never cost.
 */
let f: BatchFixture;
beforeEach(async () => {
  f = await batchFixture();
});
afterEach(() => f.close());

/** Publishes as a relay does, or under another Nats-Msg-Id (a re-send the broker cannot dedup). */
function publishTo(topology: Topology, envelope: Envelope | Uint8Array, msgID = (envelope as Envelope).id) {
  const hdrs = headers();
  hdrs.set('Passo-Type', OrderPlaced.name);
  const body = envelope instanceof Uint8Array ? envelope : JSON.stringify(envelope);
  return js.publish(topology.subject(OrderPlaced), body, { msgID, headers: hdrs });
}

/** How many times each id's effect was committed. */
const applied = async () => {
  const counts: Record<string, number> = {};
  for (const { messageId } of await f.effects()) counts[messageId] = (counts[messageId] ?? 0) + 1;
  return counts;
};
const once = (sent: Envelope[]) => Object.fromEntries(sent.map((e) => [e.id, 1]));
const ordered = (correlationId: string, id = randomUUID()) => ({ ...orderPlaced(), id, correlationId });

describe('batched consumption (one unit of work per batch)', () => {
  it('commits messages published before it started in batches of up to batchSize, each effect once, all acked', async () => {
    const topology = new Topology({ prefix: `t${randomUUID().slice(0, 8)}` });
    const consumer = `c-${randomUUID().slice(0, 8)}`;
    await ensureStreams(jsm, topology, [OrderPlaced], { deadLetters: true });
    const sent = Array.from({ length: 40 }, () => orderPlaced());
    for (const envelope of sent) await publishTo(topology, envelope);
    const durable = () => jsm.consumers.info(topology.stream('orders').name, topology.durable(consumer, OrderPlaced));
    let first = true;
    const t = await boot(
      async (envelope) => {
        // A barrier, not luck: the first fetch (concurrency 16) is all delivered before anything commits.
        if (first) {
          first = false;
          await until(async () => (await durable()).num_ack_pending === 16);
        }
        await f.handle(envelope);
      },
      { ...f.options, batchSize: 8, concurrency: 16 },
      undefined,
      { topology, consumer },
    );
    const info = await t.settled();
    expect(await applied()).toEqual(once(sent));
    const transactions = await f.transactions();
    const sizes = transactions.map((ids) => ids.length);
    expect(Math.max(...sizes)).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(8);
    const batched = sizes.filter((n) => n > 1);
    expect(await f.metric('passo_consumer_batch_size_count', { consumer })).toBe(batched.length);
    expect(await f.metric('passo_consumer_batch_size_sum', { consumer })).toBe(batched.reduce((a, b) => a + b, 0));
    expect(await f.metric('passo_consumer_acked_total', { consumer })).toBe(40);
    expect(info).toMatchObject({ num_pending: 0, num_ack_pending: 0, num_redelivered: 0 });
  });

  it('commits the rest of a batch with a poison message once; the poison is retried maxDeliver times, dead-lettered with its reason, none of its effects committed', async () => {
    const hold = holdQueue(orderPlaced());
    const poison = orderPlaced();
    const others = Array.from({ length: 5 }, () => orderPlaced());
    const poisonDeliveries: number[] = [];
    const t = await boot(
      async (envelope, ctx) => {
        if (await hold.holds(envelope)) return;
        await f.handle(envelope, async (tx) => {
          await recordEffect(tx, envelope.id);
          if (envelope.id !== poison.id) return;
          poisonDeliveries.push(ctx.deliveryCount);
          throw new Error('poison\npill');
        });
      },
      { ...f.options, maxDeliver: 3 },
    );
    await hold.asOneBatch(t, 6, async () => {
      for (const envelope of [others[0], others[1], poison, ...others.slice(2)]) await t.publish(envelope);
    });
    const [letter] = await t.deadLetters(1);
    await t.settled();
    expect(letter).toMatchObject({ originalMsgId: poison.id, deliveryCount: 3, error: 'poison pill' });
    expect(await applied()).toEqual(once(others));
    // A failed unit of work's attempt does not count: each delivery ran in its unit (delivery 1
    // in the batch, the later ones as batches of one) and again alone.
    expect(poisonDeliveries).toEqual([1, 1, 2, 2, 3, 3]);
    expect(await f.metric('passo_consumer_batches_split_total', { consumer: t.consumer, class: 'unknown' })).toBe(3);
  });

  it('dead-letters a MessageRejectedError inside a batch at its first delivery and commits the others', async () => {
    const hold = holdQueue(orderPlaced());
    const refused = orderPlaced();
    const others = [orderPlaced(), orderPlaced(), orderPlaced()];
    const t = await boot(async (envelope) => {
      if (await hold.holds(envelope)) return;
      await f.handle(envelope, async (tx) => {
        await recordEffect(tx, envelope.id);
        if (envelope.id === refused.id) throw new MessageRejectedError('customer c-1 is blocked');
      });
    }, f.options);
    await hold.asOneBatch(t, 4, async () => {
      for (const envelope of [others[0], refused, others[1], others[2]]) await t.publish(envelope);
    });
    const [letter] = await t.deadLetters(1);
    const info = await t.settled();
    expect(letter).toMatchObject({ originalMsgId: refused.id, deliveryCount: 1, error: 'customer c-1 is blocked' });
    expect(await applied()).toEqual(once(others));
    expect(info.num_redelivered).toBe(0);
    expect(await f.metric('passo_consumer_batches_split_total', { consumer: t.consumer, class: 'rejected' })).toBe(1);
  });

  it('rolls the whole batch back when a handler catches a failed inbox step and carries on, then runs its messages one by one', async () => {
    const hold = holdQueue(orderPlaced());
    const [before, faulty, after] = [ordered('order-a'), ordered('order-m'), ordered('order-z')];
    const caught: string[] = [];
    const t = await boot(async (envelope) => {
      if (await hold.holds(envelope)) return;
      try {
        await f.handle(envelope, async (tx) => {
          await recordEffect(tx, envelope.id, 'first half');
          if (envelope.id === faulty.id) throw new Error('second half failed');
          await recordEffect(tx, envelope.id, 'second half');
        });
      } catch {
        caught.push(envelope.id); // swallowed: the handler resolves, the message is acked
      }
    }, f.options);
    await hold.asOneBatch(t, 3, () => Promise.all([after, faulty, before].map((e) => t.publish(e))));
    await t.settled();
    // Nothing of the faulty message's first half, and every other effect whole and once.
    const effects = (await f.effects()).map(({ messageId, label }) => [messageId, label]);
    expect(effects).toEqual([
      [before.id, 'first half'],
      [before.id, 'second half'],
      [after.id, 'first half'],
      [after.id, 'second half'],
    ]);
    // In the batch the three orders run concurrently (every step had begun when the faulty one
    // failed, so only it is caught); alone: the faulty one again.
    expect(caught).toEqual([faulty.id, faulty.id]);
    expect(await listDeadLetters(jsm, t.topology)).toEqual([]);
  });

  it('commits the compensating write of a handler that retries in a fresh inbox step after catching (run alone)', async () => {
    class Refused extends Error {}
    const hold = holdQueue(orderPlaced());
    const [ok, refused] = [ordered('order-a'), ordered('order-b')];
    const t = await boot(async (envelope) => {
      if (await hold.holds(envelope)) return;
      try {
        await f.handle(envelope, async (tx) => {
          await recordEffect(tx, envelope.id, 'reserved');
          if (envelope.id === refused.id) throw new Refused();
        });
      } catch (error) {
        if (!(error instanceof Refused)) throw error;
        await f.handle(envelope, (tx) => recordEffect(tx, envelope.id, 'refused'));
      }
    }, f.options);
    await hold.asOneBatch(t, 2, () => Promise.all([ok, refused].map((e) => t.publish(e))));
    await t.settled();
    const effects = (await f.effects()).map(({ messageId, label }) => [messageId, label]);
    expect(effects).toEqual([
      [ok.id, 'reserved'],
      [refused.id, 'refused'],
    ]);
  });

  it('applies a message delivered twice inside one batch (re-sent under another Nats-Msg-Id) once, and acks both', async () => {
    const hold = holdQueue(orderPlaced());
    const twice = orderPlaced();
    const other = orderPlaced();
    const results: Array<[string, boolean]> = [];
    const t = await boot(async (envelope) => {
      if (await hold.holds(envelope)) return;
      results.push([envelope.id, (await f.handle(envelope)).duplicate]);
    }, f.options);
    await hold.asOneBatch(t, 3, async () => {
      await publishTo(t.topology, twice);
      await publishTo(t.topology, other);
      await publishTo(t.topology, twice, `${twice.id}:re-sent`);
    });
    const info = await t.settled();
    expect(await applied()).toEqual(once([twice, other]));
    expect(results.filter(([id]) => id === twice.id)).toEqual([
      [twice.id, false],
      [twice.id, true],
    ]);
    expect(await f.transactions()).toHaveLength(1);
    // The three, plus the hold message's batch of one.
    expect(await f.metric('passo_consumer_batch_size_sum', { consumer: t.consumer })).toBe(4);
    expect(info).toMatchObject({ num_ack_pending: 0, ack_floor: { stream_seq: 4 } });
  });

  it('finds a redelivery of a message processed by an earlier batch at the commit: rolls back, runs the batch one by one, each effect once', async () => {
    const hold = holdQueue(orderPlaced());
    const done = orderPlaced();
    const results: Array<[string, boolean]> = [];
    const t = await boot(async (envelope) => {
      if (await hold.holds(envelope)) return;
      results.push([envelope.id, (await f.handle(envelope)).duplicate]);
    }, f.options);
    await t.publish(done);
    await until(async () => (await applied())[done.id] === 1);
    const [before, after] = [orderPlaced(), orderPlaced()];
    await hold.asOneBatch(t, 3, async () => {
      await publishTo(t.topology, before);
      await publishTo(t.topology, done, `${done.id}:re-sent`);
      await publishTo(t.topology, after);
    });
    await t.settled();
    expect(await applied()).toEqual(once([done, before, after]));
    // In the batch every step ran as new (the inbox records them at the commit), and the batch
    // rolled back there; run alone, the redelivery is the duplicate.
    const ofDone = results.filter(([id]) => id === done.id).map(([, duplicate]) => duplicate);
    expect(ofDone).toEqual([false, false, true]);
    expect(await f.metric('passo_consumer_batches_split_total', { consumer: t.consumer, class: 'unknown' })).toBe(1);
    expect(await f.transactions()).toHaveLength(3); // done, then before and after alone (the hold writes nothing)
    expect(await listDeadLetters(jsm, t.topology)).toEqual([]);
  });

  it("handles one order's messages in delivery order inside a batch sorted by correlation id", async () => {
    const hold = holdQueue(orderPlaced());
    // Ids in the reverse of delivery order: a sort by anything but a stable correlation id shows.
    const z1 = ordered('order-z', 'ffffffff-ffff-4fff-bfff-ffffffffffff');
    const z2 = ordered('order-z', '88888888-8888-4888-8888-888888888888');
    const z3 = ordered('order-z', '00000000-0000-4000-8000-000000000000');
    const [a, m] = [ordered('order-a'), ordered('order-m')];
    const handled: string[] = [];
    const t = await boot(async (envelope) => {
      if (await hold.holds(envelope)) return;
      handled.push(envelope.id);
      await f.handle(envelope);
    }, f.options);
    await hold.asOneBatch(t, 5, async () => {
      for (const envelope of [z1, a, z2, m, z3]) await t.publish(envelope);
    });
    await t.settled();
    // Different orders run concurrently; one order's messages one after the other, as delivered.
    const zs: string[] = [z1.id, z2.id, z3.id];
    expect(handled.filter((id) => zs.includes(id))).toEqual(zs);
    expect(handled.sort()).toEqual([a.id, m.id, ...zs].sort());
    const [together, ...more] = await f.transactions();
    expect([together!.filter((id) => zs.includes(id)), together!.length, more]).toEqual([zs, 5, []]);
  });

  it('dead-letters invalid messages of a batch at once and commits the valid ones together', async () => {
    const hold = holdQueue(orderPlaced());
    const good = [orderPlaced(), orderPlaced()];
    const t = await boot(async (envelope) => {
      if (await hold.holds(envelope)) return;
      await f.handle(envelope);
    }, f.options);
    await hold.asOneBatch(t, 4, async () => {
      await publishTo(t.topology, good[0]);
      await publishTo(t.topology, new Uint8Array([0xff, 0xfe]), 'garbage-1');
      await publishTo(t.topology, orderPlaced({ items: [] }));
      await publishTo(t.topology, good[1]);
    });
    const letters = await t.deadLetters(2);
    await t.settled();
    expect(letters.map((l) => [l.deliveryCount, l.error.slice(0, 15)])).toEqual([
      [1, 'invalid message'],
      [1, 'invalid message'],
    ]);
    const [together, ...more] = await f.transactions();
    expect([together.sort(), more]).toEqual([good.map((e) => e.id).sort(), []]);
  });
});
