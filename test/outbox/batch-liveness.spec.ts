import { randomUUID } from 'node:crypto';
import { MessageRejectedError } from '@passo/outbox';
import { batchFixture, gate, holdQueue, type BatchFixture } from './fixtures/batch-fixture';
import { boot, orderPlaced } from '../support/transport-harness';
import { eventually } from '../support/eventually';

/**
 * A batch holds its messages longer than one handler holds one message: none of them may reach
 * its ack wait meanwhile (a redelivery would run the message again, and put it in the next batch
 * beside itself), and close() must let the running batch commit and ack.
 */
let f: BatchFixture;
beforeEach(async () => {
  f = await batchFixture();
});
afterEach(() => f.close());

const ACK_WAIT_MS = 1_000; // the least the transport allows
/** The slow handler's work: the duration is what these tests are about, not a synchronisation. */
const work = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ordered = (correlationId: string) => ({ ...orderPlaced(), id: randomUUID(), correlationId });

describe('batched consumption: liveness', () => {
  it('keeps every message of a batch slower than ackWait from being redelivered', async () => {
    const hold = holdQueue(orderPlaced());
    const sent = [ordered('order-a'), ordered('order-b'), ordered('order-c')];
    const deliveries: number[] = [];
    const t = await boot(
      async (envelope, ctx) => {
        if (await hold.holds(envelope)) return;
        deliveries.push(ctx.deliveryCount);
        if (envelope.id === sent[0].id) await work(3.5 * ACK_WAIT_MS);
        await f.handle(envelope);
      },
      { ...f.options, ackWaitMs: ACK_WAIT_MS },
    );
    await hold.asOneBatch(t, 3, () => Promise.all(sent.map((e) => t.publish(e))));
    const info = await t.settled();
    expect(deliveries).toEqual([1, 1, 1]);
    expect(info.num_redelivered).toBe(0);
    expect(await f.transactions()).toHaveLength(1);
  });

  it('keeps the messages of a split batch alive while they wait for their turn one by one', async () => {
    const hold = holdQueue(orderPlaced());
    const [slow, waiting, refused] = [ordered('order-a'), ordered('order-b'), ordered('order-c')];
    const deliveries: number[] = [];
    const t = await boot(
      async (envelope, ctx) => {
        if (await hold.holds(envelope)) return;
        if (envelope.id === slow.id) await work(2 * ACK_WAIT_MS);
        if (envelope.id === waiting.id) deliveries.push(ctx.deliveryCount);
        if (envelope.id === refused.id) throw new MessageRejectedError('refused');
        await f.handle(envelope);
      },
      { ...f.options, ackWaitMs: ACK_WAIT_MS },
    );
    await hold.asOneBatch(t, 3, () => Promise.all([slow, waiting, refused].map((e) => t.publish(e))));
    await t.deadLetters(1);
    const info = await t.settled();
    // In the batch, then alone after `slow` ran alone for twice the ack wait: never redelivered.
    expect(deliveries).toEqual([1, 1]);
    expect(info.num_redelivered).toBe(0);
  });

  it('keeps messages waiting in the queue behind a long batch from being redelivered', async () => {
    const slow = orderPlaced();
    const waiting = orderPlaced();
    const entered = gate();
    const deliveries: number[] = [];
    const t = await boot(
      async (envelope, ctx) => {
        if (envelope.id === slow.id) {
          entered.open();
          await work(3 * ACK_WAIT_MS);
        }
        if (envelope.id === waiting.id) deliveries.push(ctx.deliveryCount);
        await f.handle(envelope);
      },
      { ...f.options, ackWaitMs: ACK_WAIT_MS },
    );
    await t.publish(slow);
    await entered.opened;
    await t.publish(waiting);
    const info = await t.settled();
    expect(deliveries).toEqual([1]);
    expect(info.num_redelivered).toBe(0);
  });

  it('lets the batch running when close() is called commit and ack before the connection drains', async () => {
    const hold = holdQueue(orderPlaced());
    const sent = [ordered('order-a'), ordered('order-b'), ordered('order-c')];
    let closing: Promise<void> | undefined;
    const t = await boot(async (envelope) => {
      if (await hold.holds(envelope)) return;
      if (envelope.id === sent[0].id) closing = t.app.close(); // told to stop in the middle of the batch
      await f.handle(envelope);
    }, f.options);
    await hold.asOneBatch(t, 3, () => Promise.all(sent.map((e) => t.publish(e))));
    await eventually(() => closing !== undefined);
    await closing;
    // Settled at once after close(): the batch committed and its acks went out before the drain.
    expect(await t.consumerInfo()).toMatchObject({ num_ack_pending: 0, num_pending: 0, num_redelivered: 0 });
    expect((await f.transactions()).map((ids) => ids.length)).toEqual([3]);
  });
});
