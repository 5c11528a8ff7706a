import { randomUUID } from 'node:crypto';
import {
  OrderConfirmed,
  OrderPlaced,
  PaymentCompleted,
  PaymentFailed,
  StockReservationFailed,
  StockReserved,
  type Envelope,
  type MessageContract,
  type SagaView,
} from '@passo/contracts';
import { eventually } from '../support/eventually';
import { http } from '../support/http';
import { natsConnection, streamMessages } from '../support/nats';
import { DISTANT_DEADLINE_MS, passDeadlines } from '../support/saga-clock';
import { TestService } from '../support/service';

interface SentCommand {
  type: string;
  causationId: string | null;
  payload: Record<string, unknown>;
}

/** The orchestrator alone: events are published by the test, its commands read back from the streams. */
function orchestratorUnderTest(env: Record<string, string> = {}) {
  const system = new TestService('saga-orchestrator', { env, streams: [OrderPlaced, StockReserved, PaymentCompleted] });
  const { topology } = system;
  const contexts = ['orders', 'inventory', 'payments'];
  /** A second replica: same database, same consumer group. */
  const boot = () => system.replica();

  beforeAll(() => system.start());
  afterAll(() => system.stop());

  const publish = async <P extends { orderId: string }>(contract: MessageContract<P>, payload: P) => {
    const envelope: Envelope<P> = {
      ...{ id: randomUUID(), type: contract.name, occurredAt: new Date().toISOString() },
      ...{ correlationId: payload.orderId, causationId: null, traceparent: null },
      payload,
    };
    const js = (await natsConnection()).jetstream();
    await js.publish(topology.subject(contract), JSON.stringify(envelope), { msgID: envelope.id });
    return envelope;
  };

  /** Every command the orchestrator published for the order, in stream order per context. */
  const commands = async (orderId: string): Promise<SentCommand[]> => {
    const all = await Promise.all(contexts.map((c) => streamMessages<{ orderId: string }>(topology.stream(c).name)));
    return all
      .flat()
      .filter((m) => m.subject.includes('.command.') && m.envelope.payload.orderId === orderId)
      .map(({ envelope: { type, causationId, payload } }) => ({ type, causationId, payload }));
  };
  const types = async (orderId: string) => (await commands(orderId)).map((c) => c.type).sort();
  const saga = async (orderId: string) => http<SagaView>('GET', `${system.apps[0].url}/sagas/${orderId}`);
  const untilCommands = (orderId: string, expected: string[]) =>
    eventually(async () => JSON.stringify(await types(orderId)) === JSON.stringify([...expected].sort()));

  /** Times the orders' sagas out now (their deadline is an hour away otherwise). */
  const passDeadline = (...orderIds: string[]) => passDeadlines(system.db, orderIds);

  return { system, boot, publish, commands, types, saga, untilCommands, passDeadline };
}

const placed = (orderId: string, sagaMode: 'orchestration' | 'choreography' = 'orchestration') => ({
  orderId,
  sagaMode,
  customerId: 'alice',
  items: [{ sku: 'BOOK', quantity: 2 }],
});
const reserved = (orderId: string) => ({
  ...{ orderId, sagaMode: 'orchestration' as const, customerId: 'alice', amountCents: 3_000 },
  lines: [{ sku: 'BOOK', quantity: 2, priceCents: 1_500 }],
});
const paid = (orderId: string, paymentId = randomUUID()) => ({
  ...{ orderId, sagaMode: 'orchestration' as const, paymentId, customerId: 'alice', amountCents: 3_000 },
});

describe('saga-orchestrator: driving orchestrated sagas by commands', () => {
  const t = orchestratorUnderTest();

  it('drives the happy path: ReserveStock → ChargePayment → ConfirmOrder → SellStock, each caused by the reply', async () => {
    const orderId = randomUUID();
    const order = await t.publish(OrderPlaced, placed(orderId));
    await t.untilCommands(orderId, ['ReserveStock']);
    const stock = await t.publish(StockReserved, reserved(orderId));
    await t.untilCommands(orderId, ['ReserveStock', 'ChargePayment']);
    const payment = await t.publish(PaymentCompleted, paid(orderId));
    await t.untilCommands(orderId, ['ReserveStock', 'ChargePayment', 'ConfirmOrder']);
    const confirmed = await t.publish(OrderConfirmed, { orderId, sagaMode: 'orchestration', totalCents: 3_000 });
    await t.untilCommands(orderId, ['ReserveStock', 'ChargePayment', 'ConfirmOrder', 'SellStock']);

    const sent = new Map((await t.commands(orderId)).map((c) => [c.type, c]));
    expect(sent.get('ReserveStock')).toEqual({
      type: 'ReserveStock',
      causationId: order.id,
      payload: { orderId, sagaMode: 'orchestration', customerId: 'alice', items: [{ sku: 'BOOK', quantity: 2 }] },
    });
    expect(sent.get('ChargePayment')).toMatchObject({ causationId: stock.id, payload: { amountCents: 3_000 } });
    expect(sent.get('ConfirmOrder')).toMatchObject({ causationId: payment.id, payload: { totalCents: 3_000 } });
    expect(sent.get('SellStock')?.causationId).toBe(confirmed.id);
    const { body } = await t.saga(orderId);
    expect(body).toMatchObject({ orderId, state: 'CONFIRMED', version: 3 });
    expect(body.steps.map((s) => [s.name, s.status])).toEqual([
      ['OrderPlaced', 'RESERVING'],
      ['StockReserved', 'CHARGING'],
      ['PaymentCompleted', 'CONFIRMING'],
      ['OrderConfirmed', 'CONFIRMED'],
    ]);
  });

  it('cancels on a failed reservation without anything to undo', async () => {
    const orderId = randomUUID();
    await t.publish(OrderPlaced, placed(orderId));
    await t.untilCommands(orderId, ['ReserveStock']);
    await t.publish(StockReservationFailed, {
      orderId,
      sagaMode: 'orchestration',
      reason: 'OUT_OF_STOCK',
      sku: 'BOOK',
    });
    await t.untilCommands(orderId, ['ReserveStock', 'CancelOrder']);
    const cancel = (await t.commands(orderId)).find((c) => c.type === 'CancelOrder');
    expect(cancel?.payload).toEqual({ orderId, sagaMode: 'orchestration', reason: 'OUT_OF_STOCK' });
    expect((await t.saga(orderId)).body).toMatchObject({ state: 'CANCELLED' });
  });

  it('releases the stock and cancels when the payment fails', async () => {
    const orderId = randomUUID();
    await t.publish(OrderPlaced, placed(orderId));
    await t.untilCommands(orderId, ['ReserveStock']);
    await t.publish(StockReserved, reserved(orderId));
    await t.untilCommands(orderId, ['ReserveStock', 'ChargePayment']);
    await t.publish(PaymentFailed, { ...paid(orderId), reason: 'INSUFFICIENT_FUNDS' });
    await t.untilCommands(orderId, ['ReserveStock', 'ChargePayment', 'ReleaseStock', 'CancelOrder']);
  });

  it('has no saga for a choreographed order', async () => {
    const orderId = randomUUID();
    await t.publish(OrderPlaced, placed(orderId, 'choreography'));
    const witness = randomUUID();
    await t.publish(OrderPlaced, placed(witness));
    await t.untilCommands(witness, ['ReserveStock']);
    expect((await t.saga(orderId)).status).toBe(404);
    expect(await t.commands(orderId)).toEqual([]);
  });

  it('ignores a reply for an order it has no saga for', async () => {
    const orderId = randomUUID();
    await t.publish(StockReserved, reserved(orderId));
    const witness = randomUUID();
    await t.publish(OrderPlaced, placed(witness));
    await t.untilCommands(witness, ['ReserveStock']);
    await t.publish(StockReserved, reserved(witness));
    await t.untilCommands(witness, ['ReserveStock', 'ChargePayment']);
    expect((await t.saga(orderId)).status).toBe(404);
    expect(await t.commands(orderId)).toEqual([]);
  });

  it('decides once under concurrent duplicates on two replicas (optimistic concurrency on the version)', async () => {
    await t.boot(); // a second replica: same database, same consumer group
    const orders = Array.from({ length: 8 }, () => randomUUID());
    await Promise.all(orders.map((orderId) => t.publish(OrderPlaced, placed(orderId))));
    for (const orderId of orders) await t.untilCommands(orderId, ['ReserveStock']);
    // Six copies of each reply under new message ids: the inbox cannot tell them apart, only the saga can.
    await Promise.all(
      orders.flatMap((orderId) => Array.from({ length: 6 }, () => t.publish(StockReserved, reserved(orderId)))),
    );
    for (const orderId of orders) {
      await eventually(async () => (await t.saga(orderId)).body.steps?.length === 7);
      expect(await t.types(orderId)).toEqual(['ChargePayment', 'ReserveStock']);
      expect((await t.saga(orderId)).body).toMatchObject({ state: 'CHARGING', version: 1 });
    }
    // The second replica works on its own: with the first stopped, it takes the next step.
    const [orderId] = orders;
    await t.system.apps[0].stop();
    await t.publish(PaymentCompleted, paid(orderId));
    await t.untilCommands(orderId, ['ReserveStock', 'ChargePayment', 'ConfirmOrder']);
    const second = await http<SagaView>('GET', `${t.system.apps[1].url}/sagas/${orderId}`);
    expect(second.body).toMatchObject({ state: 'CONFIRMING', version: 2 });
  });
});

describe('saga-orchestrator: deadlines', () => {
  // The deadline is an hour away; each test times its saga out when the saga is where it wants it.
  const t = orchestratorUnderTest({ SAGA_DEADLINE_MS: DISTANT_DEADLINE_MS, SAGA_DEADLINE_CHECK_MS: '100' });

  it('cancels a saga stuck in RESERVING with TIMEOUT, then releases stock that is reserved late', async () => {
    const orderId = randomUUID();
    await t.publish(OrderPlaced, placed(orderId));
    await t.untilCommands(orderId, ['ReserveStock']);
    await t.passDeadline(orderId);
    await t.untilCommands(orderId, ['ReserveStock', 'CancelOrder']);
    const cancel = (await t.commands(orderId)).find((c) => c.type === 'CancelOrder');
    expect(cancel).toMatchObject({ causationId: null, payload: { reason: 'TIMEOUT' } });
    await t.publish(StockReserved, reserved(orderId));
    await t.untilCommands(orderId, ['ReserveStock', 'CancelOrder', 'ReleaseStock']);
    expect((await t.saga(orderId)).body.state).toBe('CANCELLED');
  });

  it('refunds, once, a payment that completes after the timeout', async () => {
    const orderId = randomUUID();
    await t.publish(OrderPlaced, placed(orderId));
    await t.untilCommands(orderId, ['ReserveStock']);
    await t.publish(StockReserved, reserved(orderId));
    await t.untilCommands(orderId, ['ReserveStock', 'ChargePayment']);
    await t.passDeadline(orderId);
    await t.untilCommands(orderId, ['ReserveStock', 'ChargePayment', 'ReleaseStock', 'CancelOrder']);
    const paymentId = randomUUID();
    await t.publish(PaymentCompleted, paid(orderId, paymentId));
    await t.publish(PaymentCompleted, paid(orderId, paymentId));
    await t.untilCommands(orderId, ['ReserveStock', 'ChargePayment', 'ReleaseStock', 'CancelOrder', 'RefundPayment']);
    await eventually(async () => (await t.saga(orderId)).body.steps.length === 5);
    const refund = (await t.commands(orderId)).find((c) => c.type === 'RefundPayment');
    expect(refund?.payload).toEqual({ orderId, sagaMode: 'orchestration', paymentId });
    expect(await t.types(orderId)).toHaveLength(5);
  });

  it('past the pivot, re-sends ConfirmOrder at the deadline instead of undoing a paid order', async () => {
    const orderId = randomUUID();
    await t.publish(OrderPlaced, placed(orderId));
    await t.untilCommands(orderId, ['ReserveStock']);
    await t.publish(StockReserved, reserved(orderId));
    await t.untilCommands(orderId, ['ReserveStock', 'ChargePayment']);
    await t.publish(PaymentCompleted, paid(orderId));
    await t.untilCommands(orderId, ['ReserveStock', 'ChargePayment', 'ConfirmOrder']);
    const first = (await t.saga(orderId)).body.deadline;
    await t.passDeadline(orderId);
    await t.untilCommands(orderId, ['ReserveStock', 'ChargePayment', 'ConfirmOrder', 'ConfirmOrder']);
    const { body } = await t.saga(orderId);
    expect(body.state).toBe('CONFIRMING');
    expect(Date.parse(body.deadline)).toBeGreaterThan(Date.parse(first));
    await t.publish(OrderConfirmed, { orderId, sagaMode: 'orchestration', totalCents: 3_000 });
    await eventually(async () => (await t.saga(orderId)).body.state === 'CONFIRMED');
    expect((await t.commands(orderId)).filter((c) => ['RefundPayment', 'CancelOrder'].includes(c.type))).toEqual([]);
  });
});
