import { randomUUID } from 'node:crypto';
import { DEFAULT_LAB_SETTINGS, OrderPlaced, type Envelope } from '@passo/contracts';
import {
  DeadLetterNotFoundError,
  ensureStreams,
  Topology,
  getDeadLetter,
  Lab,
  listDeadLetters,
  replayDeadLetter,
} from '@passo/outbox';
import { from } from 'rxjs';
import { eventually } from '../support/eventually';
import {
  boot,
  ChoreographyConsumer,
  js,
  jsm,
  orderPlaced,
  PlainConsumer,
  StrayConsumer,
  until,
} from '../support/transport-harness';

describe('JetStreamTransport', () => {
  it('hands a valid envelope to an @EventPattern handler and acks it once', async () => {
    const seen: Array<{ envelope: Envelope<OrderPlaced>; subject: string; delivery: number }> = [];
    const t = await boot(
      (envelope, ctx) => {
        seen.push({ envelope, subject: ctx.subject, delivery: ctx.deliveryCount });
        return from(Promise.resolve());
      },
      {},
      PlainConsumer,
    );
    const sent = orderPlaced();
    await t.publish(sent);
    await eventually(() => seen.length === 1);
    const info = await t.settled();
    expect(seen[0]).toEqual({ envelope: sent, subject: t.topology.subject(OrderPlaced), delivery: 1 });
    expect(info).toMatchObject({ num_redelivered: 0, delivered: { stream_seq: 1 }, ack_floor: { stream_seq: 1 } });
    expect(info.config).toMatchObject({ filter_subject: t.topology.subject(OrderPlaced), max_deliver: -1 });
  });

  it('naks a failing message with growing delays, then acks it', async () => {
    const at: number[] = [];
    const t = await boot(
      async (_envelope, ctx) => {
        at.push(Date.now());
        if (ctx.deliveryCount < 3) throw new Error(`not yet (${ctx.deliveryCount})`);
      },
      { backoffMs: [50, 200] },
    );
    await t.publish(orderPlaced());
    await eventually(() => at.length === 3);
    await t.settled();
    const [first, second] = [at[1] - at[0], at[2] - at[1]];
    expect(second).toBeGreaterThan(first);
    expect(first).toBeGreaterThanOrEqual(40); // 50 ms - 20% jitter
    expect(t.logger.at('debug').filter((line) => line.startsWith('retry'))).toHaveLength(2);
    expect(at).toHaveLength(3);
  });

  it('dead-letters a message that fails maxDeliver times, with the reason, and stops redelivering it', async () => {
    let calls = 0;
    const t = await boot(
      async () => {
        calls++;
        throw new Error('stock database\nis down');
      },
      { maxDeliver: 3, backoffMs: [20] },
    );
    const sent = orderPlaced();
    await t.publish(sent);
    const [letter] = await t.deadLetters(1);
    await t.settled();
    expect(letter).toMatchObject({
      consumer: t.consumer,
      originalSubject: t.topology.subject(OrderPlaced),
      originalMsgId: sent.id,
      deliveryCount: 3,
      error: 'stock database is down',
    });
    expect(letter.headers).toMatchObject({ 'Passo-Type': 'OrderPlaced', 'Nats-Msg-Id': `${sent.id}:${t.consumer}` });
    expect(JSON.parse(Buffer.from(letter.data).toString())).toEqual(sent);
    expect(calls).toBe(3);
    expect(t.logger.at('warn').filter((line) => line.startsWith('dead-lettered'))).toHaveLength(1);
  });

  it('dead-letters invalid messages at once without calling the handler, and goes on', async () => {
    const handled: string[] = [];
    const t = await boot(async (envelope) => void handled.push(envelope.id), { concurrency: 1 });
    await t.publish(new Uint8Array([0xff, 0xfe, 0x00, 0x7b]), 'garbage-1');
    await t.publish(orderPlaced({ items: [] }));
    const good = orderPlaced();
    await t.publish(good);
    await eventually(() => handled.length === 1);
    const letters = await t.deadLetters(2);
    await t.settled();
    expect(handled).toEqual([good.id]);
    expect(letters.map((l) => l.deliveryCount)).toEqual([1, 1]);
    const [schema, garbage] = letters; // newest first
    expect(garbage).toMatchObject({
      originalMsgId: 'garbage-1',
      error: expect.stringMatching(/^invalid message: body is not JSON/),
    });
    expect(schema.error).toMatch(/^invalid message: payload: .*items/);
  });

  it('replays a dead letter to the fixed handler and removes it', async () => {
    let broken = true;
    const handled: Envelope<OrderPlaced>[] = [];
    const t = await boot(
      async (envelope) => {
        if (broken) throw new Error('bug');
        handled.push(envelope);
      },
      { maxDeliver: 1 },
    );
    const sent = orderPlaced();
    await t.publish(sent);
    const [letter] = await t.deadLetters(1);
    broken = false;
    const replay = await replayDeadLetter(js, jsm, t.topology, letter.seq);
    expect(replay).toMatchObject({
      subject: t.topology.subject(OrderPlaced),
      msgId: `${sent.id}:replay:${letter.seq}`,
      duplicate: false,
    });
    await eventually(() => handled.length === 1);
    expect(handled[0]).toEqual(sent);
    await expect(getDeadLetter(jsm, t.topology, letter.seq)).rejects.toBeInstanceOf(DeadLetterNotFoundError);
    expect(await listDeadLetters(jsm, t.topology)).toEqual([]);
    await t.settled();
  });

  it('lists no dead letters on a fresh, empty dead-letter stream', async () => {
    const topology = new Topology({ prefix: `t${randomUUID().slice(0, 8)}` });
    await ensureStreams(jsm, topology, [], { deadLetters: true });
    try {
      expect(await listDeadLetters(jsm, topology)).toEqual([]);
    } finally {
      await jsm.streams.delete(topology.deadLetters().name);
    }
  });

  it('runs at most `concurrency` handlers at once', async () => {
    let active = 0;
    let peak = 0;
    let handled = 0;
    const t = await boot(
      async () => {
        peak = Math.max(peak, ++active);
        await new Promise((resolve) => setTimeout(resolve, 50));
        active--;
        handled++;
      },
      { concurrency: 2 },
    );
    await Promise.all(Array.from({ length: 8 }, () => t.publish(orderPlaced())));
    await eventually(() => handled === 8);
    expect(peak).toBe(2);
    await t.settled();
  });

  it('keeps a handler that outlives ackWait from being redelivered', async () => {
    const deliveries: number[] = [];
    let done = false;
    const t = await boot(
      async (_envelope, ctx) => {
        deliveries.push(ctx.deliveryCount);
        await new Promise((resolve) => setTimeout(resolve, 3_200)); // > 2 x ackWait
        done = true;
      },
      { ackWaitMs: 1_500 },
    );
    await t.publish(orderPlaced());
    await eventually(() => done, 10_000);
    const info = await t.settled();
    expect(deliveries).toEqual([1]);
    expect(info.num_redelivered).toBe(0);
  });

  it('waits for an in-flight handler to finish and ack before closing', async () => {
    let closing: Promise<void> | undefined;
    let finishedAt = 0;
    const t = await boot(async () => {
      closing = t.app.close(); // the app is told to stop while this handler is still working
      await new Promise((resolve) => setTimeout(resolve, 300));
      finishedAt = Date.now();
    });
    await t.publish(orderPlaced());
    await eventually(() => closing !== undefined); // (a bare promise would be awaited by eventually)
    await closing;
    const closedAt = Date.now();
    expect(finishedAt).toBeGreaterThan(0);
    expect(closedAt).toBeGreaterThanOrEqual(finishedAt);
    // Already settled right after close(): the ack went out before the connection was drained.
    expect(await t.consumerInfo()).toMatchObject({
      num_ack_pending: 0,
      num_redelivered: 0,
      ack_floor: { stream_seq: 1 },
    });
  });

  it('refuses to listen when a handler pattern has no contract, naming it', async () => {
    await expect(boot(async () => undefined, {}, StrayConsumer)).rejects.toThrow(
      /no contract for handler pattern "orders\.event\.order-shipped\.v1"/,
    );
  });

  describe("@OnMessage's only", () => {
    const sent = () => [
      orderPlaced({ sagaMode: 'orchestration' }),
      orderPlaced({ sagaMode: 'choreography' }),
      orderPlaced({ sagaMode: 'orchestration' }),
    ];

    it('acks the messages the handler is not for without a unit of work or the handler, in batches', async () => {
      const handled: string[] = [];
      const units: string[][] = [];
      const t = await boot(
        async (envelope) => void handled.push(envelope.id),
        {
          unitOfWork: async (work, messages) => {
            units.push(messages.map((m) => m.id));
            await work();
          },
        },
        ChoreographyConsumer,
      );
      const messages = sent();
      for (const envelope of messages) await t.publish(envelope);
      const info = await t.settled();
      expect(info.num_redelivered).toBe(0);
      expect(handled).toEqual([messages[1]!.id]);
      expect(units.flat()).toEqual([messages[1]!.id]);
    });

    it('acks them unhandled when each message runs alone too', async () => {
      const handled: string[] = [];
      const t = await boot(async (envelope) => void handled.push(envelope.id), {}, ChoreographyConsumer);
      const messages = sent();
      for (const envelope of messages) await t.publish(envelope);
      await t.settled();
      expect(handled).toEqual([messages[1]!.id]);
    });

    it('acks them together once skippedAckDelayMs has passed since the first (one write, not one each)', async () => {
      const t = await boot(async () => undefined, { skippedAckDelayMs: 500 }, ChoreographyConsumer);
      const skipped = [1, 2, 3].map(() => orderPlaced({ sagaMode: 'orchestration' }));
      const start = Date.now();
      for (const envelope of skipped) await t.publish(envelope);
      // Delivered and screened, none acked yet: their acks wait for the first one's delay.
      await until(async () => {
        const info = await t.consumerInfo();
        return info.num_pending === 0 && info.num_ack_pending === 3;
      });
      const info = await t.settled();
      expect(Date.now() - start).toBeGreaterThanOrEqual(500);
      expect([info.ack_floor.stream_seq, info.num_redelivered]).toEqual([3, 0]);
    });

    it('acks the skipped messages still waiting when the transport closes, rather than leave them to the ack wait', async () => {
      const t = await boot(async () => undefined, { skippedAckDelayMs: 500 }, ChoreographyConsumer);
      for (const envelope of [1, 2].map(() => orderPlaced({ sagaMode: 'orchestration' }))) await t.publish(envelope);
      await until(async () => (await t.consumerInfo()).num_ack_pending === 2);
      await t.app.close();
      // Left to the ack wait (30 s), they would stay pending for longer than `until` waits.
      const info = await t.settled();
      expect([info.ack_floor.stream_seq, info.num_redelivered]).toEqual([2, 0]);
    });

    it("acks them even while the lab's redeliver fault is armed: it loses acks after effects, and they had none", async () => {
      // Seeded draws of a run must fall on the messages handled (lab.spec: "inbox off + redeliver"), not on skips.
      const lab = new Lab(() => undefined);
      lab.apply({ ...DEFAULT_LAB_SETTINGS, faults: { ...DEFAULT_LAB_SETTINGS.faults, redeliver: 1 } });
      const t = await boot(async () => undefined, { lab, skippedAckDelayMs: 20 }, ChoreographyConsumer);
      for (const envelope of [1, 2, 3].map(() => orderPlaced({ sagaMode: 'orchestration' }))) await t.publish(envelope);
      const info = await t.settled();
      expect([info.ack_floor.stream_seq, info.num_redelivered]).toEqual([3, 0]);
    });

    it('still dead-letters an invalid message: the checks come first', async () => {
      const t = await boot(async () => undefined, {}, ChoreographyConsumer);
      await t.publish({ ...orderPlaced({ sagaMode: 'orchestration' }), payload: { orderId: 'not-a-uuid' } } as never);
      expect(await t.deadLetters(1)).toHaveLength(1);
    });
  });
});
