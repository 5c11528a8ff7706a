import { randomBytes, randomUUID } from 'node:crypto';
import {
  ChargePayment,
  PaymentCompleted,
  PaymentFailed,
  PaymentRefunded,
  RefundPayment,
  StockReserved,
  type CustomerView,
  type Envelope,
  type MessageContract,
  type PaymentView,
} from '@passo/contracts';
import type { JetStreamManager } from 'nats';
import type { AppProcess } from '../support/app-process';
import type { TestDatabase } from '../support/databases';
import { asChoreographed, deadLetterOf, expectSagaModeRefused } from '../support/dead-letters';
import { eventually } from '../support/eventually';
import { http } from '../support/http';
import { consumedUpTo, publishAs, storedMessages, type StoredMessage } from '../support/nats';
import { TestService } from '../support/service';
import { newTraceparent } from '../support/trace';

type PaymentEvent = PaymentCompleted | PaymentFailed | PaymentRefunded;

describe('payment-service: charging on StockReserved (choreography)', () => {
  const service = new TestService('payment-service', { streams: [StockReserved, PaymentCompleted] });
  const { topology } = service;
  let db: TestDatabase, app: AppProcess, jsm: JetStreamManager;
  beforeAll(async () => ({ db, app, jsm } = await service.start()));
  afterAll(() => service.stop());

  const customer = () => `cust-${randomBytes(4).toString('hex')}`;

  async function wallet(id: string, balanceCents: number): Promise<void> {
    expect((await http('PUT', `${app.url}/customers/${id}`, { balanceCents })).status).toBe(200);
  }

  async function balance(id: string): Promise<number> {
    return (await http<CustomerView>('GET', `${app.url}/customers/${id}`)).body.balanceCents;
  }

  function stockReserved(
    customerId: string,
    amountCents: number,
    payload: Partial<StockReserved> = {},
  ): Envelope<StockReserved> {
    const orderId = payload.orderId ?? randomUUID();
    return {
      ...{ id: randomUUID(), type: StockReserved.name, occurredAt: new Date().toISOString() },
      ...{ correlationId: orderId, causationId: randomUUID(), traceparent: null },
      payload: {
        ...{ orderId, sagaMode: 'choreography', customerId, amountCents },
        lines: [{ sku: 'sku-1', quantity: 1, priceCents: amountCents }],
        ...payload,
      },
    };
  }

  const publish = (envelope: Envelope<StockReserved>, msgID = envelope.id) =>
    publishAs(topology, StockReserved, envelope, msgID);
  const consumed = (seq: number) => consumedUpTo(topology, 'payment-service', StockReserved, seq);

  async function payments(orderId: string): Promise<PaymentView[]> {
    const response = await http<PaymentView[]>('GET', `${app.url}/payments?orderId=${orderId}`);
    expect(response.status).toBe(200);
    return response.body;
  }

  async function settledPayment(orderId: string): Promise<PaymentView> {
    return eventually(async () => (await payments(orderId))[0]);
  }

  /** The payment events published to NATS for one order, in stream order. */
  async function emitted(orderId: string): Promise<StoredMessage<PaymentEvent>[]> {
    const stream = topology.stream('payments').name;
    const found = [
      ...(await storedMessages<PaymentEvent>(stream, topology.subject(PaymentCompleted))),
      ...(await storedMessages<PaymentEvent>(stream, topology.subject(PaymentFailed))),
      ...(await storedMessages<PaymentEvent>(stream, topology.subject(PaymentRefunded))),
    ];
    return found.filter((m) => m.envelope.payload.orderId === orderId).sort((a, b) => a.seq - b.seq);
  }

  /** The first payment event published for the order, once the relay has published it. */
  async function emittedEvent(orderId: string): Promise<StoredMessage<PaymentEvent>> {
    return eventually(async () => (await emitted(orderId))[0]);
  }

  /** What the service wrote to publish for an order (read from its outbox, published or not). */
  async function outboxTypes(orderId: string): Promise<string[]> {
    const rows = await db.query<{ type: string }>(
      `SELECT type FROM outbox_messages WHERE correlation_id = $1 ORDER BY sequence`,
      [orderId],
    );
    return rows.map((row) => row.type);
  }

  /** Conservation (docs/ARCHITECTURE.md, "Failure semantics" 3): balance + completed payments is the initial balance. */
  async function expectMoneyConserved(customerId: string, initialCents: number): Promise<void> {
    const [{ completed }] = await db.query<{ completed: number }>(
      `SELECT COALESCE(SUM(amount_cents), 0)::int AS completed FROM payments
       WHERE customer_id = $1 AND status = 'COMPLETED'`,
      [customerId],
    );
    expect((await balance(customerId)) + completed).toBe(initialCents);
  }

  it('charges a wallet that covers the amount and emits PaymentCompleted', async () => {
    const alice = customer();
    await wallet(alice, 10_000);
    const message = stockReserved(alice, 2_500);
    await publish(message);

    const payment = await settledPayment(message.payload.orderId);
    expect(payment).toMatchObject({ customerId: alice, amountCents: 2_500, status: 'COMPLETED', reason: null });
    expect(await balance(alice)).toBe(7_500);
    const event = await emittedEvent(message.payload.orderId);
    expect(event.envelope).toMatchObject({
      type: 'PaymentCompleted',
      correlationId: message.payload.orderId,
      causationId: message.id,
      payload: {
        orderId: message.payload.orderId,
        sagaMode: 'choreography',
        paymentId: payment.id,
        customerId: alice,
        amountCents: 2_500,
      },
    });
    expect(event.msgId).toBe(event.envelope.id);
    expect(await outboxTypes(message.payload.orderId)).toEqual(['PaymentCompleted']);
    await expectMoneyConserved(alice, 10_000);
  });

  it("carries StockReserved's trace context (W3C traceparent) on to the payment's event", async () => {
    const alice = customer();
    await wallet(alice, 1_000);
    const message = { ...stockReserved(alice, 2_500), traceparent: newTraceparent() };
    await publish(message);

    const event = await emittedEvent(message.payload.orderId);
    expect(event.envelope).toMatchObject({
      type: 'PaymentFailed',
      causationId: message.id,
      traceparent: message.traceparent,
    });
  });

  it('charges a wallet holding exactly the amount down to zero', async () => {
    const exact = customer();
    await wallet(exact, 1_234);
    const message = stockReserved(exact, 1_234);
    await publish(message);
    expect(await settledPayment(message.payload.orderId)).toMatchObject({ status: 'COMPLETED' });
    expect(await balance(exact)).toBe(0);
  });

  it('records a FAILED attempt for insufficient funds, leaves the balance, emits PaymentFailed', async () => {
    const bob = customer();
    await wallet(bob, 1_000);
    const message = stockReserved(bob, 1_001);
    await publish(message);

    const payment = await settledPayment(message.payload.orderId);
    expect(payment).toMatchObject({
      customerId: bob,
      amountCents: 1_001,
      status: 'FAILED',
      reason: 'INSUFFICIENT_FUNDS',
    });
    expect(await balance(bob)).toBe(1_000);
    expect((await emittedEvent(message.payload.orderId)).envelope).toMatchObject({
      type: 'PaymentFailed',
      causationId: message.id,
      payload: {
        ...{ orderId: message.payload.orderId, sagaMode: 'choreography', paymentId: payment.id },
        ...{ customerId: bob, amountCents: 1_001, reason: 'INSUFFICIENT_FUNDS' },
      },
    });
    expect(await outboxTypes(message.payload.orderId)).toEqual(['PaymentFailed']);
  });

  it('records a FAILED attempt for an unknown customer, creating no wallet', async () => {
    const ghost = customer();
    const message = stockReserved(ghost, 500);
    await publish(message);

    const payment = await settledPayment(message.payload.orderId);
    expect(payment).toMatchObject({ customerId: ghost, status: 'FAILED', reason: 'UNKNOWN_CUSTOMER' });
    expect((await emittedEvent(message.payload.orderId)).envelope).toMatchObject({
      type: 'PaymentFailed',
      payload: { paymentId: payment.id, customerId: ghost, amountCents: 500, reason: 'UNKNOWN_CUSTOMER' },
    });
    expect((await http('GET', `${app.url}/customers/${ghost}`)).status).toBe(404);
  });

  it('never oversells a wallet: 12 concurrent orders on a wallet that covers 5', async () => {
    const carol = customer();
    await wallet(carol, 5 * 700);
    const messages = Array.from({ length: 12 }, () => stockReserved(carol, 700));
    await Promise.all(messages.map((message) => publish(message)));

    const settled = await Promise.all(messages.map((message) => settledPayment(message.payload.orderId)));
    const statuses = settled.map((payment) => payment.status);
    expect(statuses.filter((status) => status === 'COMPLETED')).toHaveLength(5);
    expect(settled.filter((payment) => payment.reason === 'INSUFFICIENT_FUNDS')).toHaveLength(7);
    expect(await balance(carol)).toBe(0);
    await expectMoneyConserved(carol, 3_500);
    const events = await Promise.all(messages.map((message) => emittedEvent(message.payload.orderId)));
    expect(events.filter((event) => event.envelope.type === 'PaymentCompleted')).toHaveLength(5);
    expect(events.filter((event) => event.envelope.type === 'PaymentFailed')).toHaveLength(7);
  });

  it('ignores a duplicate StockReserved with a new message id: no second charge, no second event', async () => {
    const dave = customer();
    await wallet(dave, 3_000);
    const original = stockReserved(dave, 1_000);
    await publish(original);
    await settledPayment(original.payload.orderId);
    await emittedEvent(original.payload.orderId);

    const duplicate = { ...original, id: randomUUID() };
    await consumed((await publish(duplicate)).seq);
    expect(await payments(original.payload.orderId)).toHaveLength(1);
    expect(await balance(dave)).toBe(2_000);
    expect(await outboxTypes(original.payload.orderId)).toEqual(['PaymentCompleted']);
    expect(await emitted(original.payload.orderId)).toHaveLength(1);
    await expectMoneyConserved(dave, 3_000);
  });

  it('charges once when duplicates with new message ids arrive together', async () => {
    const erin = customer();
    await wallet(erin, 10_000);
    const original = stockReserved(erin, 1_000);
    const copies = [original, ...Array.from({ length: 5 }, () => ({ ...original, id: randomUUID() }))];
    const acks = await Promise.all(copies.map((copy) => publish(copy)));
    await consumed(Math.max(...acks.map((ack) => ack.seq)));

    expect(await payments(original.payload.orderId)).toEqual([expect.objectContaining({ status: 'COMPLETED' })]);
    expect(await balance(erin)).toBe(9_000);
    expect(await outboxTypes(original.payload.orderId)).toEqual(['PaymentCompleted']);
    await expectMoneyConserved(erin, 10_000);
  });

  it('keeps a failed attempt as the answer: a stale StockReserved after a top-up charges nothing', async () => {
    const frank = customer();
    await wallet(frank, 100);
    const original = stockReserved(frank, 500);
    await publish(original);
    expect(await settledPayment(original.payload.orderId)).toMatchObject({ status: 'FAILED' });

    await wallet(frank, 10_000);
    await consumed((await publish({ ...original, id: randomUUID() })).seq);
    expect(await payments(original.payload.orderId)).toEqual([expect.objectContaining({ status: 'FAILED' })]);
    expect(await balance(frank)).toBe(10_000);
    expect(await outboxTypes(original.payload.orderId)).toEqual(['PaymentFailed']);
  });

  it('handles the same message once when it is delivered again', async () => {
    const gina = customer();
    await wallet(gina, 5_000);
    const message = stockReserved(gina, 1_500);
    await publish(message);
    await settledPayment(message.payload.orderId);

    // Within the duplicate window the broker itself drops a re-publish with the same Nats-Msg-Id...
    expect((await publish(message)).duplicate).toBe(true);
    // ...and past it (or replayed from the dead letters, under a new Nats-Msg-Id) the inbox does.
    await consumed((await publish(message, randomUUID())).seq);
    expect(await payments(message.payload.orderId)).toHaveLength(1);
    expect(await balance(gina)).toBe(3_500);
    expect(await outboxTypes(message.payload.orderId)).toEqual(['PaymentCompleted']);
    const inbox = await db.query(`SELECT 1 FROM inbox_messages WHERE message_id = $1`, [message.id]);
    expect(inbox).toHaveLength(1);
  });

  it('ignores StockReserved of an orchestrated order (the orchestrator commands that charge)', async () => {
    const hank = customer();
    await wallet(hank, 5_000);
    const message = stockReserved(hank, 1_000, { sagaMode: 'orchestration' });
    await consumed((await publish(message)).seq);

    expect(await payments(message.payload.orderId)).toEqual([]);
    expect(await balance(hank)).toBe(5_000);
    expect(await outboxTypes(message.payload.orderId)).toEqual([]);
  });

  describe('orchestration: the orchestrator commands charges and refunds', () => {
    function command<P extends { orderId: string }>(contract: MessageContract<P>, payload: P): Envelope<P> {
      return {
        ...{ id: randomUUID(), type: contract.name, occurredAt: new Date().toISOString() },
        ...{ correlationId: payload.orderId, causationId: randomUUID(), traceparent: null },
        payload,
      };
    }
    const chargePayment = (customerId: string, amountCents: number, orderId: string = randomUUID()) =>
      command(ChargePayment, { orderId, sagaMode: 'orchestration', customerId, amountCents });
    const refundPayment = (orderId: string, paymentId: string) =>
      command(RefundPayment, { orderId, sagaMode: 'orchestration', paymentId });

    const send = <P>(contract: MessageContract<P>, message: Envelope<P>) => publishAs(topology, contract, message);

    /** Sends, then waits until payment-service has acknowledged it. */
    async function deliver<P>(contract: MessageContract<P>, message: Envelope<P>): Promise<void> {
      await consumedUpTo(topology, 'payment-service', contract, (await send(contract, message)).seq);
    }

    /** Commands a charge and returns its payment, once settled with `status` (COMPLETED: the wallet covers it). */
    async function charged(
      customerId: string,
      amountCents: number,
      status: PaymentView['status'] = 'COMPLETED',
    ): Promise<PaymentView> {
      const charge = chargePayment(customerId, amountCents);
      await send(ChargePayment, charge);
      const payment = await settledPayment(charge.payload.orderId);
      expect(payment.status).toBe(status);
      return payment;
    }

    it('ChargePayment charges once, however often it is sent, and answers PaymentCompleted', async () => {
      const alice = customer();
      await wallet(alice, 10_000);
      const charge = chargePayment(alice, 2_500);
      await deliver(ChargePayment, charge);
      await deliver(ChargePayment, { ...charge, id: randomUUID() });

      const { orderId } = charge.payload;
      const [payment, ...more] = await payments(orderId);
      expect(more).toEqual([]);
      expect(payment).toMatchObject({ customerId: alice, amountCents: 2_500, status: 'COMPLETED', reason: null });
      expect(await balance(alice)).toBe(7_500);
      expect((await emittedEvent(orderId)).envelope).toMatchObject({
        type: 'PaymentCompleted',
        correlationId: orderId,
        causationId: charge.id,
        payload: { orderId, sagaMode: 'orchestration', paymentId: payment.id, customerId: alice, amountCents: 2_500 },
      });
      expect(await outboxTypes(orderId)).toEqual(['PaymentCompleted']);
      expect(await emitted(orderId)).toHaveLength(1);
      await expectMoneyConserved(alice, 10_000);
    });

    it('ChargePayment a wallet cannot cover records a FAILED attempt and answers PaymentFailed', async () => {
      const bob = customer();
      await wallet(bob, 1_000);
      const charge = chargePayment(bob, 1_001);
      await send(ChargePayment, charge);

      const { orderId } = charge.payload;
      const payment = await settledPayment(orderId);
      expect(payment).toMatchObject({ status: 'FAILED', reason: 'INSUFFICIENT_FUNDS' });
      expect(await balance(bob)).toBe(1_000);
      expect((await emittedEvent(orderId)).envelope).toMatchObject({
        type: 'PaymentFailed',
        causationId: charge.id,
        payload: {
          ...{ orderId, sagaMode: 'orchestration', paymentId: payment.id },
          ...{ customerId: bob, amountCents: 1_001, reason: 'INSUFFICIENT_FUNDS' },
        },
      });
      expect(await outboxTypes(orderId)).toEqual(['PaymentFailed']);
    });

    it('RefundPayment gives a completed payment back once, marks it REFUNDED, answers PaymentRefunded', async () => {
      const carol = customer();
      await wallet(carol, 5_000);
      const payment = await charged(carol, 1_800);
      expect(await balance(carol)).toBe(3_200);
      const refund = refundPayment(payment.orderId, payment.id);
      await deliver(RefundPayment, refund);

      expect(await balance(carol)).toBe(5_000);
      expect(await payments(payment.orderId)).toEqual([
        expect.objectContaining({ id: payment.id, status: 'REFUNDED' }),
      ]);
      const events = (await eventually(async () => {
        const found = await emitted(payment.orderId);
        return found.length === 2 ? found : undefined;
      }))!;
      expect(events.map((m) => m.envelope.type)).toEqual(['PaymentCompleted', 'PaymentRefunded']);
      expect(events[1].envelope).toMatchObject({
        correlationId: payment.orderId,
        causationId: refund.id,
        payload: {
          ...{ orderId: payment.orderId, sagaMode: 'orchestration', paymentId: payment.id },
          ...{ customerId: carol, amountCents: 1_800 },
        },
      });

      // A second refund under a new message id finds the payment REFUNDED: no money, no answer.
      await deliver(RefundPayment, refundPayment(payment.orderId, payment.id));
      expect(await balance(carol)).toBe(5_000);
      expect(await outboxTypes(payment.orderId)).toEqual(['PaymentCompleted', 'PaymentRefunded']);
      await expectMoneyConserved(carol, 5_000);
    });

    it('answers carry the trace context (W3C traceparent) of the command they answer', async () => {
      const dave = customer();
      await wallet(dave, 5_000);
      const charge = { ...chargePayment(dave, 1_000), traceparent: newTraceparent() };
      await deliver(ChargePayment, charge);
      const { orderId } = charge.payload;
      const refund = { ...refundPayment(orderId, (await settledPayment(orderId)).id), traceparent: newTraceparent() };
      await deliver(RefundPayment, refund);

      const events = await eventually(async () => {
        const found = await emitted(orderId);
        return found.length === 2 ? found.map((m) => m.envelope) : undefined;
      });
      expect(events).toMatchObject([
        { type: 'PaymentCompleted', causationId: charge.id, traceparent: charge.traceparent },
        { type: 'PaymentRefunded', causationId: refund.id, traceparent: refund.traceparent },
      ]);
    });

    it('refunds once when refunds with new message ids arrive together', async () => {
      const dave = customer();
      await wallet(dave, 4_000);
      const payment = await charged(dave, 1_000);
      const refunds = Array.from({ length: 6 }, () => refundPayment(payment.orderId, payment.id));
      await Promise.all(refunds.map((refund) => deliver(RefundPayment, refund)));

      expect(await balance(dave)).toBe(4_000);
      expect(await outboxTypes(payment.orderId)).toEqual(['PaymentCompleted', 'PaymentRefunded']);
      await expectMoneyConserved(dave, 4_000);
    });

    it('a refund of a FAILED payment gives nothing and answers nothing', async () => {
      const erin = customer();
      await wallet(erin, 100);
      const failed = await charged(erin, 500, 'FAILED');

      await deliver(RefundPayment, refundPayment(failed.orderId, failed.id));
      expect(await balance(erin)).toBe(100);
      expect(await payments(failed.orderId)).toEqual([expect.objectContaining({ status: 'FAILED' })]);
      expect(await outboxTypes(failed.orderId)).toEqual(['PaymentFailed']);
    });

    it("a refund naming an unknown payment, or another order's, gives nothing and answers nothing", async () => {
      const frank = customer();
      await wallet(frank, 3_000);
      const payment = await charged(frank, 1_000);
      const otherOrder = randomUUID();
      await deliver(RefundPayment, refundPayment(payment.orderId, randomUUID()));
      await deliver(RefundPayment, refundPayment(otherOrder, payment.id));

      expect(await balance(frank)).toBe(2_000);
      expect(await payments(payment.orderId)).toEqual([expect.objectContaining({ status: 'COMPLETED' })]);
      expect(await outboxTypes(payment.orderId)).toEqual(['PaymentCompleted']);
      expect(await outboxTypes(otherOrder)).toEqual([]);
      await expectMoneyConserved(frank, 3_000);
    });

    it('dead-letters a ChargePayment for a choreographed order at once, and charges nothing', async () => {
      const gina = customer();
      await wallet(gina, 5_000);
      const charge = asChoreographed(chargePayment(gina, 1_000));
      await send(ChargePayment, charge);

      expectSagaModeRefused(await deadLetterOf(jsm, topology, charge.id), {
        consumer: 'payment-service',
        originalSubject: topology.subject(ChargePayment),
      });
      expect(await payments(charge.payload.orderId)).toEqual([]);
      expect(await balance(gina)).toBe(5_000);
      expect(await outboxTypes(charge.payload.orderId)).toEqual([]);
    });
  });
});
