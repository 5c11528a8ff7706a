import { randomBytes, randomUUID } from 'node:crypto';
import {
  OrderCancelled,
  OrderConfirmed,
  OrderPlaced,
  PaymentFailed,
  ReleaseStock as ReleaseStockCommand,
  ReserveStock as ReserveStockCommand,
  SellStock as SellStockCommand,
  StockReleased,
  StockReservationFailed,
  StockReserved,
  type Envelope,
  type MessageContract,
  type ProductView,
  type SagaMode,
} from '@passo/contracts';
import type { JetStreamManager, PubAck } from 'nats';
import type { AppProcess } from '../support/app-process';
import type { TestDatabase } from '../support/databases';
import { asChoreographed, deadLetterOf, expectSagaModeRefused } from '../support/dead-letters';
import { eventually } from '../support/eventually';
import { http } from '../support/http';
import { consumedUpTo, publishAs, storedMessages, type StoredMessage } from '../support/nats';
import { TestService } from '../support/service';
import { newTraceparent } from '../support/trace';

type InventoryEvent = StockReserved | StockReservationFailed | StockReleased;
type Item = { sku: string; quantity: number };
/** What every message that moves a reservation carries. */
type Sent = { orderId: string; sagaMode: SagaMode };

/** A message that moves a reservation: an event of the choreography or a command of the orchestrator. */
interface Trigger<A extends unknown[]> {
  name: string;
  sagaMode: SagaMode;
  build(...args: A): Envelope<Sent>;
  publish(message: Envelope<Sent>): Promise<PubAck>;
  deliver(message: Envelope<Sent>): Promise<void>;
}

describe('inventory-service: reservations in the choreographed saga', () => {
  const consumed = [
    ...[OrderPlaced, PaymentFailed, OrderCancelled, OrderConfirmed],
    ...[ReserveStockCommand, ReleaseStockCommand, SellStockCommand],
  ];
  const service = new TestService('inventory-service', { streams: consumed });
  const { topology } = service;
  /** Stock each sku was given: available + reserved + sold must stay equal to it. */
  const stocked = new Map<string, number>();
  let db: TestDatabase, app: AppProcess, jsm: JetStreamManager;

  beforeAll(async () => {
    ({ db, app, jsm } = await service.start());
    // start() returns once HTTP answers; the consumers (and the dead-letter stream they create)
    // start after that: the checks below read that stream, so wait for it (seen racing in CI).
    await eventually(() => jsm.streams.info(topology.deadLetters().name));
  });
  afterAll(() => service.stop());

  // Every message is valid unless a test says how many it expects dead-lettered: any other one
  // means a handler kept failing.
  // The app created the stream at start: a failed read must fail the check, not count as none.
  const deadLetters = async () => (await jsm.streams.info(topology.deadLetters().name)).state.messages;
  let deadBefore = 0;
  let expectedDeadLetters = 0;
  beforeEach(async () => {
    deadBefore = await deadLetters();
    expectedDeadLetters = 0;
  });
  afterEach(async () =>
    expect({ newDeadLetters: (await deadLetters()) - deadBefore }).toEqual({ newDeadLetters: expectedDeadLetters }),
  );

  /** A sku of this test only. */
  const sku = (name: string) => `${name}-${randomBytes(3).toString('hex')}`;

  async function product(name: string, priceCents: number, available: number): Promise<string> {
    const id = sku(name);
    expect((await http('PUT', `${app.url}/products/${id}`, { priceCents, available })).status).toBe(200);
    stocked.set(id, available);
    return id;
  }

  async function stock(id: string): Promise<ProductView> {
    const response = await http<ProductView>('GET', `${app.url}/products/${id}`);
    expect(response.status).toBe(200);
    return response.body;
  }

  /** docs/ARCHITECTURE.md, "Failure semantics" 3: stock only moves between available, reserved and sold. */
  async function expectConserved(...ids: string[]): Promise<void> {
    for (const id of ids) {
      const { available, reserved, sold } = await stock(id);
      expect({ sku: id, total: available + reserved + sold }).toEqual({ sku: id, total: stocked.get(id) });
    }
  }

  function envelope<P extends { orderId: string }>(contract: MessageContract<P>, payload: P): Envelope<P> {
    return {
      ...{ id: randomUUID(), type: contract.name, occurredAt: new Date().toISOString() },
      ...{ correlationId: payload.orderId, causationId: null, traceparent: null },
      payload,
    };
  }

  const orderPlaced = (items: Item[], sagaMode: SagaMode = 'choreography', orderId: string = randomUUID()) =>
    envelope(OrderPlaced, { orderId, sagaMode, customerId: 'alice', items });
  const paymentFailed = (orderId: string, sagaMode: SagaMode = 'choreography') =>
    envelope(PaymentFailed, {
      ...{ orderId, sagaMode, paymentId: randomUUID(), customerId: 'alice' },
      ...{ amountCents: 1, reason: 'INSUFFICIENT_FUNDS' },
    });
  const orderCancelled = (orderId: string, sagaMode: SagaMode = 'choreography') =>
    envelope(OrderCancelled, { orderId, sagaMode, reason: 'TIMEOUT' });
  const orderConfirmed = (orderId: string, sagaMode: SagaMode = 'choreography') =>
    envelope(OrderConfirmed, { orderId, sagaMode, totalCents: 1 });
  const reserveStock = (items: Item[], orderId: string = randomUUID()): Envelope<ReserveStockCommand> =>
    envelope(ReserveStockCommand, { orderId, sagaMode: 'orchestration', customerId: 'alice', items });
  const releaseStock = (orderId: string): Envelope<ReleaseStockCommand> =>
    envelope(ReleaseStockCommand, { orderId, sagaMode: 'orchestration' });
  const sellStock = (orderId: string): Envelope<SellStockCommand> =>
    envelope(SellStockCommand, { orderId, sagaMode: 'orchestration' });

  const publish = <P>(contract: MessageContract<P>, message: Envelope<P>, msgID = message.id) =>
    publishAs(topology, contract, message, msgID);

  /** Publishes, then waits until inventory-service has acknowledged it. */
  async function deliver<P>(contract: MessageContract<P>, message: Envelope<P>, msgID = message.id): Promise<void> {
    const { seq } = await publish(contract, message, msgID);
    await consumedUpTo(topology, 'inventory-service', contract, seq);
  }

  /** Binds a builder to its contract, so one test body can send an event or a command alike. */
  function trigger<A extends unknown[], P extends Sent>(
    contract: MessageContract<P>,
    sagaMode: SagaMode,
    build: (...args: A) => Envelope<P>,
  ): Trigger<A> {
    // A trigger is only handed back the envelopes it built: the cast restores the payload type.
    const own = (message: Envelope<Sent>) => message as Envelope<P>;
    return {
      ...{ name: contract.name, sagaMode, build },
      publish: (message) => publish(contract, own(message)),
      deliver: (message) => deliver(contract, own(message)),
    };
  }

  /** Both modes drive the same reservation: a test that holds in each runs once per trigger. */
  const on = {
    OrderPlaced: trigger(OrderPlaced, 'choreography', (items: Item[], orderId?: string) =>
      orderPlaced(items, 'choreography', orderId),
    ),
    ReserveStock: trigger(ReserveStockCommand, 'orchestration', reserveStock),
    PaymentFailed: trigger(PaymentFailed, 'choreography', (orderId: string) => paymentFailed(orderId)),
    OrderCancelled: trigger(OrderCancelled, 'choreography', (orderId: string) => orderCancelled(orderId)),
    ReleaseStock: trigger(ReleaseStockCommand, 'orchestration', releaseStock),
    OrderConfirmed: trigger(OrderConfirmed, 'choreography', (orderId: string) => orderConfirmed(orderId)),
    SellStock: trigger(SellStockCommand, 'orchestration', sellStock),
  };
  /** What each mode sends to reserve and to release. */
  const modes = {
    choreography: { reserve: on.OrderPlaced, releases: [on.PaymentFailed, on.OrderCancelled] },
    orchestration: { reserve: on.ReserveStock, releases: [on.ReleaseStock] },
  };

  /** What inventory-service published (to NATS, through its relay), in stream order. */
  async function emittedAll(): Promise<StoredMessage<InventoryEvent>[]> {
    const stream = topology.stream('inventory').name;
    const found: StoredMessage<InventoryEvent>[] = [];
    for (const contract of [StockReserved, StockReservationFailed, StockReleased]) {
      found.push(...(await storedMessages<InventoryEvent>(stream, topology.subject(contract))));
    }
    return found.sort((a, b) => a.seq - b.seq);
  }

  async function emitted(orderId: string): Promise<StoredMessage<InventoryEvent>[]> {
    return (await emittedAll()).filter((m) => m.envelope.payload.orderId === orderId);
  }

  async function emittedTypes(orderId: string): Promise<string[]> {
    return (await emitted(orderId)).map((m) => m.envelope.type);
  }

  /** Waits for the order's event of that type and returns it. */
  async function event<P>(contract: MessageContract<P>, orderId: string): Promise<Envelope<P>> {
    const found = await eventually(async () => (await emitted(orderId)).find((m) => m.envelope.type === contract.name));
    return found!.envelope as unknown as Envelope<P>;
  }

  /** What the service wrote to publish for an order (its outbox, published or not). */
  async function outboxTypes(orderId: string): Promise<string[]> {
    const rows = await db.query<{ type: string }>(
      `SELECT type FROM outbox_messages WHERE correlation_id = $1 ORDER BY sequence`,
      [orderId],
    );
    return rows.map((row) => row.type);
  }

  async function reservation(orderId: string) {
    const [row] = await db.query<{ status: string; amount_cents: number }>(
      `SELECT status, amount_cents FROM reservations WHERE order_id = $1`,
      [orderId],
    );
    const lines = await db.query(`SELECT sku, quantity, price_cents FROM reservation_lines WHERE order_id = $1`, [
      orderId,
    ]);
    return row ? { status: row.status, amountCents: row.amount_cents, lines: lines.length } : undefined;
  }

  /** Reserves through `by` (places an order, or commands ReserveStock) and waits for its StockReserved. */
  async function reserved(items: Item[], by = on.OrderPlaced): Promise<Envelope<StockReserved>> {
    const message = by.build(items);
    await by.publish(message);
    return event(StockReserved, message.payload.orderId);
  }

  it.each([on.OrderPlaced, on.ReserveStock])(
    'on $name: reserves every line at the catalogue prices and emits StockReserved with the amount, marked $sagaMode',
    async (reserve) => {
      const book = await product('BOOK', 2_500, 10);
      const mug = await product('MUG', 900, 5);
      const sent = reserve.build([
        { sku: mug, quantity: 2 },
        { sku: book, quantity: 3 },
      ]);
      await reserve.publish(sent);

      const { orderId } = sent.payload;
      const message = await event(StockReserved, orderId);
      expect(message).toMatchObject({ correlationId: orderId, causationId: sent.id });
      expect(message.payload).toEqual({
        ...{ orderId, sagaMode: reserve.sagaMode, customerId: 'alice', amountCents: 3 * 2_500 + 2 * 900 },
        lines: [
          { sku: book, quantity: 3, priceCents: 2_500 },
          { sku: mug, quantity: 2, priceCents: 900 },
        ].sort((a, b) => (a.sku < b.sku ? -1 : 1)),
      });
      expect(await stock(book)).toMatchObject({ available: 7, reserved: 3, sold: 0 });
      expect(await stock(mug)).toMatchObject({ available: 3, reserved: 2, sold: 0 });
      expect(await reservation(orderId)).toEqual({ status: 'RESERVED', amountCents: 9_300, lines: 2 });
      expect(await outboxTypes(orderId)).toEqual(['StockReserved']);
      await expectConserved(book, mug);
    },
  );

  it.each(['choreography', 'orchestration'] as const)(
    '%s: every answer carries the trace context (W3C traceparent) of the message it answers',
    async (sagaMode) => {
      const { reserve, releases } = modes[sagaMode];
      const pen = await product('PEN', 150, 3);
      const reserving = { ...reserve.build([{ sku: pen, quantity: 1 }]), traceparent: newTraceparent() };
      await reserve.publish(reserving);
      const { orderId } = reserving.payload;
      expect(await event(StockReserved, orderId)).toMatchObject({
        ...{ causationId: reserving.id, traceparent: reserving.traceparent },
      });
      const releasing = { ...releases[0].build(orderId), traceparent: newTraceparent() };
      await releases[0].publish(releasing);
      expect(await event(StockReleased, orderId)).toMatchObject({
        ...{ causationId: releasing.id, traceparent: releasing.traceparent },
      });
      const refused = { ...reserve.build([{ sku: sku('NONE'), quantity: 1 }]), traceparent: newTraceparent() };
      await reserve.publish(refused);
      expect(await event(StockReservationFailed, refused.payload.orderId)).toMatchObject({
        ...{ causationId: refused.id, traceparent: refused.traceparent },
      });
      await expectConserved(pen);
    },
  );

  it('refuses an unknown sku with UNKNOWN_SKU and reserves nothing', async () => {
    const pen = await product('PEN', 150, 10);
    const ghost = sku('GHOST');
    const placed = orderPlaced([
      { sku: pen, quantity: 1 },
      { sku: ghost, quantity: 1 },
    ]);
    await publish(OrderPlaced, placed);

    const { orderId } = placed.payload;
    const message = await event(StockReservationFailed, orderId);
    expect(message).toMatchObject({ correlationId: orderId, causationId: placed.id });
    expect(message.payload).toEqual({ orderId, sagaMode: 'choreography', reason: 'UNKNOWN_SKU', sku: ghost });
    expect(await stock(pen)).toMatchObject({ available: 10, reserved: 0, sold: 0 });
    expect((await http('GET', `${app.url}/products/${ghost}`)).status).toBe(404);
    expect(await reservation(orderId)).toMatchObject({ status: 'RELEASED', lines: 0 });
    expect(await outboxTypes(orderId)).toEqual(['StockReservationFailed']);
    await expectConserved(pen);
  });

  it.each([on.OrderPlaced, on.ReserveStock])(
    'on $name: refuses a short line with OUT_OF_STOCK and leaves the lines that fitted untouched',
    async (reserve) => {
      // 'A…' sorts before 'Z…': the line that fits is taken first, then rolled back.
      const plenty = await product('A-PLENTY', 100, 10);
      const scarce = await product('Z-SCARCE', 200, 2);
      const sent = reserve.build([
        { sku: scarce, quantity: 3 },
        { sku: plenty, quantity: 4 },
      ]);
      await reserve.publish(sent);

      const { orderId } = sent.payload;
      const message = await event(StockReservationFailed, orderId);
      expect(message).toMatchObject({ correlationId: orderId, causationId: sent.id });
      expect(message.payload).toEqual({ orderId, sagaMode: reserve.sagaMode, reason: 'OUT_OF_STOCK', sku: scarce });
      expect(await stock(plenty)).toMatchObject({ available: 10, reserved: 0, sold: 0 });
      expect(await stock(scarce)).toMatchObject({ available: 2, reserved: 0, sold: 0 });
      expect(await reservation(orderId)).toMatchObject({ status: 'RELEASED', lines: 0 });
      expect(await outboxTypes(orderId)).toEqual(['StockReservationFailed']);
      expect(await emittedTypes(orderId)).toEqual(['StockReservationFailed']);
      await expectConserved(plenty, scarce);
    },
  );

  it('reports the first failing line in sku order', async () => {
    const a = await product('A-SHORT', 100, 0);
    const b = sku('B-UNKNOWN');
    const placed = orderPlaced([
      { sku: b, quantity: 1 },
      { sku: a, quantity: 1 },
    ]);
    await publish(OrderPlaced, placed);
    const { payload } = await event(StockReservationFailed, placed.payload.orderId);
    expect(payload).toMatchObject({ reason: 'OUT_OF_STOCK', sku: a });
  });

  it('never oversells: 30 concurrent orders of 1 for 10 units → 10 reserved, 20 OUT_OF_STOCK', async () => {
    const hot = await product('HOT', 1_000, 10);
    const orders = Array.from({ length: 30 }, () => orderPlaced([{ sku: hot, quantity: 1 }]));
    await Promise.all(orders.map((placed) => publish(OrderPlaced, placed)));

    const outcomes = (await eventually(async () => {
      const all = await emittedAll();
      const byOrder = orders.map((placed) => all.filter((m) => m.envelope.payload.orderId === placed.payload.orderId));
      return byOrder.every((events) => events.length > 0) ? byOrder : undefined;
    }, 45_000))!;
    expect(outcomes.every((events) => events.length === 1)).toBe(true);
    const types = outcomes.map(([first]) => first.envelope.type);
    expect(types.filter((type) => type === 'StockReserved')).toHaveLength(10);
    const failed = outcomes.map(([first]) => first.envelope.payload).filter((p) => 'reason' in p);
    expect(failed).toHaveLength(20);
    expect(failed.every((p) => 'reason' in p && p.reason === 'OUT_OF_STOCK')).toBe(true);
    expect(await stock(hot)).toMatchObject({ available: 0, reserved: 10, sold: 0 });
    await expectConserved(hot);
  });

  it.each([on.PaymentFailed, on.OrderCancelled, on.ReleaseStock])(
    'on $name: releases a reservation and emits StockReleased once, however often it is sent',
    async (release) => {
      const lamp = await product('LAMP', 4_000, 3);
      const { payload } = await reserved([{ sku: lamp, quantity: 2 }], modes[release.sagaMode].reserve);
      const first = release.build(payload.orderId);
      await release.deliver(first);
      await release.deliver(release.build(payload.orderId));

      expect(await stock(lamp)).toMatchObject({ available: 3, reserved: 0, sold: 0 });
      expect(await reservation(payload.orderId)).toMatchObject({ status: 'RELEASED' });
      expect(await outboxTypes(payload.orderId)).toEqual(['StockReserved', 'StockReleased']);
      const released = await event(StockReleased, payload.orderId);
      expect(released).toMatchObject({ correlationId: payload.orderId, causationId: first.id });
      expect(released.payload).toEqual({
        ...{ orderId: payload.orderId, sagaMode: release.sagaMode },
        lines: [{ sku: lamp, quantity: 2, priceCents: 4_000 }],
      });
      expect(await emittedTypes(payload.orderId)).toEqual(['StockReserved', 'StockReleased']);
      await expectConserved(lamp);
    },
  );

  it('releases once: a later OrderCancelled (and a repeated PaymentFailed) give nothing back twice', async () => {
    const chair = await product('CHAIR', 7_000, 4);
    const { payload } = await reserved([{ sku: chair, quantity: 3 }]);
    await deliver(PaymentFailed, paymentFailed(payload.orderId));
    await deliver(OrderCancelled, orderCancelled(payload.orderId));
    await deliver(PaymentFailed, paymentFailed(payload.orderId));

    expect(await stock(chair)).toMatchObject({ available: 4, reserved: 0, sold: 0 });
    await eventually(async () => (await emittedTypes(payload.orderId)).length === 2);
    expect(await emittedTypes(payload.orderId)).toEqual(['StockReserved', 'StockReleased']);
    expect(await outboxTypes(payload.orderId)).toEqual(['StockReserved', 'StockReleased']);
    await expectConserved(chair);
  });

  it.each([on.OrderConfirmed, on.SellStock])(
    'on $name: sells a reservation once, with no event; a release after the sale gives nothing back',
    async (sell) => {
      const tea = await product('TEA', 350, 10);
      const { payload } = await reserved([{ sku: tea, quantity: 4 }], modes[sell.sagaMode].reserve);
      const expectSold = async () => {
        expect(await stock(tea)).toMatchObject({ available: 6, reserved: 0, sold: 4 });
        expect(await reservation(payload.orderId)).toMatchObject({ status: 'SOLD' });
      };
      await sell.deliver(sell.build(payload.orderId));
      await expectSold();
      await sell.deliver(sell.build(payload.orderId));
      await expectSold();

      for (const release of modes[sell.sagaMode].releases) await release.deliver(release.build(payload.orderId));
      await sell.deliver(sell.build(payload.orderId));
      await expectSold();
      expect(await outboxTypes(payload.orderId)).toEqual(['StockReserved']);
      await expectConserved(tea);
    },
  );

  it('never sells a released reservation', async () => {
    const jam = await product('JAM', 500, 5);
    const { payload } = await reserved([{ sku: jam, quantity: 1 }]);
    await deliver(PaymentFailed, paymentFailed(payload.orderId));
    await deliver(OrderConfirmed, orderConfirmed(payload.orderId));
    expect(await stock(jam)).toMatchObject({ available: 5, reserved: 0, sold: 0 });
    expect(await reservation(payload.orderId)).toMatchObject({ status: 'RELEASED' });
    await expectConserved(jam);
  });

  it.each([on.OrderPlaced, on.ReserveStock])(
    'ignores a duplicate $name with a new message id: no second reservation, no second event',
    async (reserve) => {
      const cup = await product('CUP', 600, 10);
      const original = await reserved([{ sku: cup, quantity: 2 }], reserve);
      await reserve.deliver(reserve.build([{ sku: cup, quantity: 2 }], original.payload.orderId));

      expect(await stock(cup)).toMatchObject({ available: 8, reserved: 2, sold: 0 });
      expect(await outboxTypes(original.payload.orderId)).toEqual(['StockReserved']);
      expect(await emittedTypes(original.payload.orderId)).toEqual(['StockReserved']);
      await expectConserved(cup);
    },
  );

  it('reserves once when duplicates with new message ids arrive together', async () => {
    const pot = await product('POT', 800, 10);
    const orderId = randomUUID();
    const copies = Array.from({ length: 6 }, () => orderPlaced([{ sku: pot, quantity: 3 }], 'choreography', orderId));
    await Promise.all(copies.map((copy) => deliver(OrderPlaced, copy)));

    expect(await stock(pot)).toMatchObject({ available: 7, reserved: 3, sold: 0 });
    expect(await outboxTypes(orderId)).toEqual(['StockReserved']);
    await expectConserved(pot);
  });

  it('keeps a refusal as the answer: the same order re-sent after a restock reserves nothing', async () => {
    const rare = await product('RARE', 9_900, 0);
    const placed = orderPlaced([{ sku: rare, quantity: 1 }]);
    await publish(OrderPlaced, placed);
    await event(StockReservationFailed, placed.payload.orderId);

    expect((await http('PUT', `${app.url}/products/${rare}`, { priceCents: 9_900, available: 5 })).status).toBe(200);
    stocked.set(rare, 5);
    await deliver(OrderPlaced, { ...placed, id: randomUUID() });
    expect(await stock(rare)).toMatchObject({ available: 5, reserved: 0 });
    expect(await outboxTypes(placed.payload.orderId)).toEqual(['StockReservationFailed']);
    await expectConserved(rare);
  });

  it('handles the same message once when it is delivered again', async () => {
    const bag = await product('BAG', 3_000, 10);
    const placed = orderPlaced([{ sku: bag, quantity: 1 }]);
    await deliver(OrderPlaced, placed);

    // Within the duplicate window the broker drops a re-publish with the same Nats-Msg-Id...
    expect((await publish(OrderPlaced, placed)).duplicate).toBe(true);
    // ...past it (or replayed from the dead letters under a new Nats-Msg-Id) the inbox does.
    await deliver(OrderPlaced, placed, randomUUID());
    expect(await stock(bag)).toMatchObject({ available: 9, reserved: 1 });
    expect(await outboxTypes(placed.payload.orderId)).toEqual(['StockReserved']);
    expect(await db.query(`SELECT 1 FROM inbox_messages WHERE message_id = $1`, [placed.id])).toHaveLength(1);
    await expectConserved(bag);
  });

  it('ignores an orchestrated OrderPlaced (the orchestrator commands that reservation)', async () => {
    const kite = await product('KITE', 1_500, 3);
    const placed = orderPlaced([{ sku: kite, quantity: 1 }], 'orchestration');
    await deliver(OrderPlaced, placed);

    expect(await stock(kite)).toMatchObject({ available: 3, reserved: 0, sold: 0 });
    expect(await reservation(placed.payload.orderId)).toBeUndefined();
    expect(await outboxTypes(placed.payload.orderId)).toEqual([]);
    await expectConserved(kite);
  });

  it('ignores release and sale events of orchestrated orders', async () => {
    const yoyo = await product('YOYO', 250, 3);
    const { payload } = await reserved([{ sku: yoyo, quantity: 1 }]);
    await deliver(PaymentFailed, paymentFailed(payload.orderId, 'orchestration'));
    await deliver(OrderCancelled, orderCancelled(payload.orderId, 'orchestration'));
    await deliver(OrderConfirmed, orderConfirmed(payload.orderId, 'orchestration'));
    expect(await stock(yoyo)).toMatchObject({ available: 2, reserved: 1, sold: 0 });
    expect(await reservation(payload.orderId)).toMatchObject({ status: 'RESERVED' });
    expect(await outboxTypes(payload.orderId)).toEqual(['StockReserved']);
    await expectConserved(yoyo);
  });

  it.each([
    { release: on.OrderCancelled, reserve: on.OrderPlaced },
    { release: on.ReleaseStock, reserve: on.ReserveStock },
  ])(
    'reserves nothing once $release.name has overtaken $reserve.name: the late one finds the order closed',
    async ({ release, reserve }) => {
      const fan = await product('FAN', 2_000, 5);
      const late = reserve.build([{ sku: fan, quantity: 2 }]);
      await release.deliver(release.build(late.payload.orderId));
      await reserve.deliver(late);

      expect(await stock(fan)).toMatchObject({ available: 5, reserved: 0, sold: 0 });
      expect(await reservation(late.payload.orderId)).toMatchObject({ status: 'RELEASED', lines: 0 });
      expect(await outboxTypes(late.payload.orderId)).toEqual([]);
      await expectConserved(fan);
    },
  );

  describe('orchestration: the orchestrator commands, inventory answers with the same events', () => {
    it('dead-letters commands for a choreographed order at once, with the reason, and acts on none', async () => {
      const kite = await product('O-KITE', 1_500, 5);
      const { payload } = await reserved([{ sku: kite, quantity: 1 }], on.ReserveStock);
      const reserve = asChoreographed(reserveStock([{ sku: kite, quantity: 2 }]));
      const release = asChoreographed(releaseStock(payload.orderId));
      const sell = asChoreographed(sellStock(payload.orderId));
      await publish(ReserveStockCommand, reserve);
      await publish(ReleaseStockCommand, release);
      await publish(SellStockCommand, sell);
      expectedDeadLetters = 3;

      for (const [contract, message] of [
        [ReserveStockCommand, reserve],
        [ReleaseStockCommand, release],
        [SellStockCommand, sell],
      ] as const) {
        expectSagaModeRefused(await deadLetterOf(jsm, topology, message.id), {
          consumer: 'inventory-service',
          originalSubject: topology.subject(contract),
        });
      }
      expect(await stock(kite)).toMatchObject({ available: 4, reserved: 1, sold: 0 });
      expect(await reservation(payload.orderId)).toMatchObject({ status: 'RESERVED' });
      expect(await reservation(reserve.payload.orderId)).toBeUndefined();
      expect(await outboxTypes(payload.orderId)).toEqual(['StockReserved']);
      expect(await outboxTypes(reserve.payload.orderId)).toEqual([]);
      await expectConserved(kite);
    });
  });
});
