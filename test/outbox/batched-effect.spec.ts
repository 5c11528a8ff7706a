import { randomUUID } from 'node:crypto';
import { BatchedEffect, BatchNeedsSplit, listDeadLetters } from '@passo/outbox';
import { batchFixture, holdQueue, type BatchFixture, type Tx } from './fixtures/batch-fixture';
import { boot, jsm, orderPlaced } from '../support/transport-harness';

/**
 * BatchedEffect on the real PostgreSQL and JetStream: the handlers of a batch's orders run
 * concurrently, so their calls to one effect become one statement — and a batch that cannot be
 * decided as one is run one message at a time, with nothing lost or applied twice.
 */
let f: BatchFixture;
beforeEach(async () => {
  f = await batchFixture();
});
afterEach(() => f.close());

const ordered = (correlationId: string) => ({ ...orderPlaced(), id: randomUUID(), correlationId });

/** A set-based effect: one INSERT of every item's effect row; each item's result is its place in the statement. */
function recordingEffect(split?: (items: readonly string[]) => boolean) {
  const calls: string[][] = [];
  const effect = new BatchedEffect<Tx, string, number>(async (tx, ids) => {
    calls.push([...ids]);
    if (split?.(ids)) throw new BatchNeedsSplit('told to');
    await tx.$executeRawUnsafe(
      `INSERT INTO batch_effects (message_id, label)
       SELECT id, 'batched' FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, n) ORDER BY n`,
      ids,
    );
    return ids.map((_, i) => i + 1);
  });
  return { effect, calls };
}

describe('a batched effect (one statement for a batch of messages)', () => {
  it("runs the calls of a batch's orders as one statement, each handler given its own result", async () => {
    const hold = holdQueue(orderPlaced());
    const { effect, calls } = recordingEffect();
    const sent = ['order-c', 'order-a', 'order-d', 'order-b'].map(ordered);
    const results = new Map<string, number>();
    const t = await boot(async (envelope) => {
      if (await hold.holds(envelope)) return;
      const handled = await f.handle(envelope, (tx) => effect.run(tx, envelope.id));
      if (!handled.duplicate) results.set(envelope.id, handled.result);
    }, f.options);
    await hold.asOneBatch(t, sent.length, async () => {
      for (const envelope of sent) await t.publish(envelope);
    });
    await t.settled();
    // One call for the four (in the order the handlers reached it: different orders run
    // concurrently), and each handler got the result of its own place in it.
    const ids = sent.map((e) => e.id).sort();
    expect(calls.map((call) => [...call].sort())).toEqual([ids]);
    expect(Object.fromEntries(results)).toEqual(Object.fromEntries(calls[0]!.map((id, i) => [id, i + 1])));
    expect(await f.transactions()).toEqual([calls[0]]);
  });

  it("runs one order's messages of a batch one after the other: a call each, the second after the first's", async () => {
    const hold = holdQueue(orderPlaced());
    const { effect, calls } = recordingEffect();
    const [first, other, second] = [ordered('order-a'), ordered('order-b'), ordered('order-a')];
    const t = await boot(async (envelope) => {
      if (await hold.holds(envelope)) return;
      await f.handle(envelope, (tx) => effect.run(tx, envelope.id));
    }, f.options);
    await hold.asOneBatch(t, 3, async () => {
      for (const envelope of [first, other, second]) await t.publish(envelope);
    });
    await t.settled();
    expect(calls).toEqual([[first.id, other.id], [second.id]]);
    expect(await f.transactions()).toEqual([[first.id, other.id, second.id]]);
  });

  it("runs two effects that flush on the same turn one after the other: never two statements at once on the batch's connection", async () => {
    const hold = holdQueue(orderPlaced());
    let running = 0;
    let most = 0;
    const slow = (label: string) =>
      new BatchedEffect<Tx, string, number>(async (tx, ids) => {
        most = Math.max(most, ++running);
        try {
          await tx.$queryRawUnsafe('SELECT pg_sleep(0.05)::text');
          await tx.$executeRawUnsafe(
            `INSERT INTO batch_effects (message_id, label) SELECT id, $2 FROM unnest($1::uuid[]) AS u(id)`,
            ids,
            label,
          );
          return ids.map((_, i) => i + 1);
        } finally {
          running--;
        }
      });
    const [left, right] = [slow('left'), slow('right')];
    const sent = ['order-a', 'order-b', 'order-c', 'order-d'].map(ordered);
    const t = await boot(async (envelope) => {
      if (await hold.holds(envelope)) return;
      const effect = ['order-a', 'order-c'].includes(envelope.correlationId) ? left : right;
      await f.handle(envelope, (tx) => effect.run(tx, envelope.id));
    }, f.options);
    await hold.asOneBatch(t, sent.length, async () => {
      for (const envelope of sent) await t.publish(envelope);
    });
    await t.settled();
    expect(most).toBe(1);
    expect((await f.transactions()).map((ids) => [...ids].sort())).toEqual([sent.map((e) => e.id).sort()]);
  });

  it('rolls a batch back when its effect cannot decide it as one (BatchNeedsSplit) and runs each message alone, each effect once', async () => {
    const hold = holdQueue(orderPlaced());
    const { effect, calls } = recordingEffect((ids) => ids.length > 1);
    const sent = ['order-a', 'order-b', 'order-c'].map(ordered);
    const t = await boot(async (envelope) => {
      if (await hold.holds(envelope)) return;
      await f.handle(envelope, (tx) => effect.run(tx, envelope.id));
    }, f.options);
    await hold.asOneBatch(t, sent.length, async () => {
      for (const envelope of sent) await t.publish(envelope);
    });
    const info = await t.settled();
    const ids = sent.map((e) => e.id);
    expect(calls).toEqual([ids, ...ids.map((id) => [id])]);
    expect(await f.transactions()).toEqual(ids.map((id) => [id]));
    expect(await f.metric('passo_consumer_batches_split_total', { consumer: t.consumer, class: 'unknown' })).toBe(1);
    expect(info).toMatchObject({ num_pending: 0, num_ack_pending: 0, num_redelivered: 0 });
    expect(await listDeadLetters(jsm, t.topology)).toEqual([]);
  });

  it('fails every caller of a failed statement: the batch rolls back whole and runs alone, nothing half-written', async () => {
    const hold = holdQueue(orderPlaced());
    const poison = ordered('order-b');
    // A statement that fails in PostgreSQL (not in JavaScript) when the poison message is in it:
    // a division by zero for its row only (a uuid's text is 36 characters long).
    const effect = new BatchedEffect<Tx, string, number>(async (tx, ids) => {
      const rows = await tx.$queryRawUnsafe<Array<{ n: number }>>(
        `INSERT INTO batch_effects (message_id, label)
         SELECT id, CASE WHEN id = $2::uuid THEN (1 / (length(id::text) - 36))::text ELSE 'ok' END FROM unnest($1::uuid[]) AS id
         RETURNING 1 AS n`,
        ids,
        poison.id,
      );
      return rows.map((row) => row.n);
    });
    const sent = [ordered('order-a'), poison, ordered('order-c')];
    const t = await boot(
      async (envelope) => {
        if (await hold.holds(envelope)) return;
        await f.handle(envelope, (tx) => effect.run(tx, envelope.id));
      },
      { ...f.options, maxDeliver: 2 },
    );
    await hold.asOneBatch(t, sent.length, async () => {
      for (const envelope of sent) await t.publish(envelope);
    });
    const [letter] = await t.deadLetters(1);
    await t.settled();
    expect(letter).toMatchObject({ originalMsgId: poison.id });
    expect(await f.transactions()).toEqual([[sent[0]!.id], [sent[2]!.id]]);
  });

  it('runs a call outside a batch (a message run alone, a plain transaction) at once, as a batch of one', async () => {
    const { effect, calls } = recordingEffect();
    const id = randomUUID();
    const n = await f.prisma.$transaction((tx) => effect.run(tx, id));
    expect([n, calls]).toEqual([1, [[id]]]);
  });
});
