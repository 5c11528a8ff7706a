import { randomUUID } from 'node:crypto';
import { Topology } from '@passo/outbox';
import { OrderPlaced, type SagaMode } from '@passo/contracts';
import { eventually } from '../support/eventually';
import { natsConnection, storedMessages } from '../support/nats';
import { DISTANT_DEADLINE_MS } from '../support/saga-clock';
import { TestSystem } from './system';

/** One scenario list, run in both models: same contracts, same end states. */
describe.each<SagaMode>(['choreography', 'orchestration'])('order saga (%s)', (mode) => {
  // No saga here may time out (a killed service's restart must not turn an outcome into TIMEOUT).
  const system = new TestSystem({ 'saga-orchestrator': { SAGA_DEADLINE_MS: DISTANT_DEADLINE_MS } });
  const id = () => randomUUID().slice(0, 8);

  beforeAll(() => system.start());
  afterAll(() => system.stop());

  it('confirms an order that is in stock and paid for', async () => {
    const [sku, alice] = [`BOOK-${id()}`, `alice-${id()}`];
    await system.product(sku, 2_500, 10);
    await system.wallet(alice, 10_000);
    const placed = await system.place(alice, [{ sku, quantity: 2 }], mode);
    const [order] = await system.settled([placed.id]);
    expect(order).toMatchObject({ status: 'CONFIRMED', totalCents: 5_000, cancellationReason: null, sagaMode: mode });
    await eventually(async () => (await system.stock(sku)).sold === 2);
    expect(await system.stock(sku)).toMatchObject({ available: 8, reserved: 0, sold: 2 });
    expect(await system.balance(alice)).toBe(5_000);
    expect(await system.payments(placed.id)).toEqual([
      expect.objectContaining({ status: 'COMPLETED', amountCents: 5_000 }),
    ]);
    // Only orchestrated orders have a saga instance, with the steps it took.
    const saga = await system.saga(placed.id);
    if (mode === 'choreography') expect(saga.status).toBe(404);
    else expect(saga.body).toMatchObject({ state: 'CONFIRMED', version: 3 });
    await system.checkInvariants({ [sku]: 10 }, { [alice]: 10_000 });
  });

  it('cancels for insufficient funds, releasing the stock and keeping the money', async () => {
    const [sku, bob] = [`MUG-${id()}`, `bob-${id()}`];
    await system.product(sku, 900, 5);
    await system.wallet(bob, 100);
    const placed = await system.place(bob, [{ sku, quantity: 1 }], mode);
    const [order] = await system.settled([placed.id]);
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'INSUFFICIENT_FUNDS' });
    await eventually(async () => (await system.stock(sku)).reserved === 0);
    expect(await system.stock(sku)).toMatchObject({ available: 5, sold: 0 });
    expect(await system.balance(bob)).toBe(100);
    expect(await system.payments(placed.id)).toEqual([
      expect.objectContaining({ status: 'FAILED', reason: 'INSUFFICIENT_FUNDS' }),
    ]);
    await system.checkInvariants({ [sku]: 5 }, { [bob]: 100 });
  });

  it.each([
    ['out of stock', 'OUT_OF_STOCK', 1, 3],
    ['an unknown sku', 'UNKNOWN_SKU', 0, 1],
  ])('cancels for %s, charging nothing', async (_case, reason, stocked, wanted) => {
    const [sku, carol] = [`PEN-${id()}`, `carol-${id()}`];
    if (stocked > 0) await system.product(sku, 100, stocked);
    await system.wallet(carol, 10_000);
    const placed = await system.place(carol, [{ sku, quantity: wanted }], mode);
    expect((await system.settled([placed.id]))[0]).toMatchObject({ status: 'CANCELLED', cancellationReason: reason });
    expect(await system.payments(placed.id)).toEqual([]);
    expect(await system.balance(carol)).toBe(10_000);
    await system.checkInvariants(stocked > 0 ? { [sku]: stocked } : {}, { [carol]: 10_000 });
  });

  it('reserves nothing of a multi-line order when one line lacks stock', async () => {
    const [plenty, scarce, dave] = [`A-${id()}`, `B-${id()}`, `dave-${id()}`];
    await system.product(plenty, 100, 10);
    await system.product(scarce, 100, 1);
    await system.wallet(dave, 10_000);
    const placed = await system.place(
      dave,
      [
        { sku: plenty, quantity: 2 },
        { sku: scarce, quantity: 2 },
      ],
      mode,
    );
    expect((await system.settled([placed.id]))[0]).toMatchObject({
      status: 'CANCELLED',
      cancellationReason: 'OUT_OF_STOCK',
    });
    expect(await system.stock(plenty)).toMatchObject({ available: 10, reserved: 0 });
    await system.checkInvariants({ [plenty]: 10, [scarce]: 1 }, { [dave]: 10_000 });
  });

  it('cancels for an unknown customer and releases the stock', async () => {
    const sku = `C-${id()}`;
    await system.product(sku, 100, 3);
    const placed = await system.place(`ghost-${id()}`, [{ sku, quantity: 1 }], mode);
    expect((await system.settled([placed.id]))[0]).toMatchObject({
      status: 'CANCELLED',
      cancellationReason: 'UNKNOWN_CUSTOMER',
    });
    await eventually(async () => (await system.stock(sku)).reserved === 0);
    await system.checkInvariants({ [sku]: 3 }, {});
  });

  it('places one order for one Idempotency-Key', async () => {
    const [sku, erin, key] = [`D-${id()}`, `erin-${id()}`, randomUUID()];
    await system.product(sku, 100, 5);
    await system.wallet(erin, 1_000);
    const first = await system.place(erin, [{ sku, quantity: 1 }], mode, key);
    const again = await system.place(erin, [{ sku, quantity: 1 }], mode, key);
    expect(again.id).toBe(first.id);
    await system.settled([first.id]);
    await eventually(async () => (await system.stock(sku)).sold === 1);
    await system.checkInvariants({ [sku]: 5 }, { [erin]: 1_000 });
  });

  it('sells exactly the stock under 60 concurrent orders for 20 units', async () => {
    const [sku, rich] = [`HOT-${id()}`, `rich-${id()}`];
    await system.product(sku, 100, 20);
    await system.wallet(rich, 1_000_000);
    const placed = await Promise.all(
      Array.from({ length: 60 }, () => system.place(rich, [{ sku, quantity: 1 }], mode)),
    );
    const orders = await system.settled(
      placed.map((o) => o.id),
      60_000,
    );
    expect(orders.filter((o) => o.status === 'CONFIRMED')).toHaveLength(20);
    expect(orders.filter((o) => o.cancellationReason === 'OUT_OF_STOCK')).toHaveLength(40);
    await eventually(async () => (await system.stock(sku)).sold === 20);
    expect(await system.stock(sku)).toMatchObject({ available: 0, reserved: 0, sold: 20 });
    await system.checkInvariants({ [sku]: 20 }, { [rich]: 1_000_000 });
  }, 90_000);

  it('spends exactly the wallet under 12 concurrent orders when it covers 5', async () => {
    const [sku, frank] = [`E-${id()}`, `frank-${id()}`];
    await system.product(sku, 200, 100);
    await system.wallet(frank, 1_000);
    const placed = await Promise.all(
      Array.from({ length: 12 }, () => system.place(frank, [{ sku, quantity: 1 }], mode)),
    );
    const orders = await system.settled(
      placed.map((o) => o.id),
      60_000,
    );
    expect(orders.filter((o) => o.status === 'CONFIRMED')).toHaveLength(5);
    expect(await system.balance(frank)).toBe(0);
    await eventually(async () => (await system.stock(sku)).reserved === 0);
    await system.checkInvariants({ [sku]: 100 }, { [frank]: 1_000 });
  }, 90_000);

  it('ignores a duplicate OrderPlaced injected with a new message id', async () => {
    const [sku, gina] = [`F-${id()}`, `gina-${id()}`];
    await system.product(sku, 300, 5);
    await system.wallet(gina, 10_000);
    const placed = await system.place(gina, [{ sku, quantity: 1 }], mode);
    await system.settled([placed.id]);
    const topology = new Topology({ prefix: system.prefix });
    const [original] = (
      await storedMessages<OrderPlaced>(topology.stream('orders').name, topology.subject(OrderPlaced))
    ).filter((m) => m.envelope.payload.orderId === placed.id);
    const duplicate = { ...original.envelope, id: randomUUID() };
    const js = (await natsConnection()).jetstream();
    await js.publish(topology.subject(OrderPlaced), JSON.stringify(duplicate), { msgID: duplicate.id });
    // The duplicate is consumed (the stream's consumer catches up), and changes nothing.
    await eventually(async () => {
      const jsm = await (await natsConnection()).jetstreamManager();
      const info = await jsm.consumers.info(
        topology.stream('orders').name,
        // The one who acts on OrderPlaced: inventory in choreography, the orchestrator otherwise.
        topology.durable(mode === 'choreography' ? 'inventory-service' : 'saga-orchestrator', OrderPlaced),
      );
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
    expect(await system.stock(sku)).toMatchObject({ available: 4, reserved: 0, sold: 1 });
    expect(await system.balance(gina)).toBe(9_700);
    await system.checkInvariants({ [sku]: 5 }, { [gina]: 10_000 });
  });

  const victims = ['inventory-service', 'payment-service', 'order-service', 'saga-orchestrator'] as const;
  it.each(mode === 'orchestration' ? victims : victims.slice(0, 3))(
    'settles every saga when %s is killed with SIGKILL mid-run and restarted',
    async (victim) => {
      const [sku, hank] = [`K-${id()}`, `hank-${id()}`];
      await system.product(sku, 100, 30);
      await system.wallet(hank, 2_000);
      const first = await Promise.all(
        Array.from({ length: 15 }, () => system.place(hank, [{ sku, quantity: 1 }], mode)),
      );
      await system.apps[victim].stop('SIGKILL');
      const second =
        victim === 'order-service'
          ? []
          : await Promise.all(Array.from({ length: 10 }, () => system.place(hank, [{ sku, quantity: 1 }], mode)));
      await system.boot(victim);
      const orders = await system.settled(
        [...first, ...second].map((o) => o.id),
        60_000,
      );
      expect(orders.filter((o) => o.status === 'CONFIRMED').length).toBeGreaterThan(0);
      // The outcome is known: 30 in stock is enough for all, 2,000 cents pays for 20 at 100, so
      // exactly 20 (or all, when fewer) are confirmed and the rest run out of money.
      const paid = Math.min(orders.length, 20);
      expect(orders.filter((o) => o.status === 'CONFIRMED')).toHaveLength(paid);
      expect(orders.filter((o) => o.status !== 'CONFIRMED').map((o) => [o.status, o.cancellationReason])).toEqual(
        Array.from({ length: orders.length - paid }, () => ['CANCELLED', 'INSUFFICIENT_FUNDS']),
      );
      await eventually(async () => (await system.stock(sku)).reserved === 0, 30_000);
      expect(await system.stock(sku)).toMatchObject({ available: 30 - paid, reserved: 0, sold: paid });
      expect(await system.balance(hank)).toBe(2_000 - 100 * paid);
      await system.checkInvariants({ [sku]: 30 }, { [hank]: 2_000 });
    },
    120_000,
  );
});
