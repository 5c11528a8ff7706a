import { randomUUID } from 'node:crypto';
import {
  CancelOrder,
  ConfirmOrder,
  OrderCancelled,
  OrderConfirmed,
  PaymentCompleted,
  PaymentFailed,
  StockReservationFailed,
  type Envelope,
  type MessageContract,
  type OrderView,
  type SagaMode,
} from '@passo/contracts';
import { listDeadLetters } from '@passo/outbox';
import type { JetStreamManager } from 'nats';
import type { AppProcess } from '../support/app-process';
import type { TestDatabase } from '../support/databases';
import { asChoreographed, deadLetterOf, expectSagaModeRefused } from '../support/dead-letters';
import { eventually } from '../support/eventually';
import { http } from '../support/http';
import { consumedUpTo, publishAs, storedMessages } from '../support/nats';
import { TestService } from '../support/service';
import { newTraceparent } from '../support/trace';

type Settled = OrderConfirmed | OrderCancelled;

describe('order-service: settling the order', () => {
  const service = new TestService('order-service', {
    streams: [ConfirmOrder, PaymentCompleted, StockReservationFailed],
  });
  const { topology } = service;
  let db: TestDatabase, app: AppProcess, jsm: JetStreamManager;
  beforeAll(async () => ({ db, app, jsm } = await service.start()));
  afterAll(() => service.stop());

  /** A PENDING order placed through the public API, in the given mode. */
  async function placed(sagaMode: SagaMode): Promise<string> {
    const body = { customerId: 'alice', items: [{ sku: 'BOOK-1', quantity: 2 }], sagaMode };
    const response = await http<OrderView>('POST', `${app.url}/orders`, body);
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ status: 'PENDING', sagaMode });
    return response.body.id;
  }

  async function order(id: string): Promise<OrderView> {
    const response = await http<OrderView>('GET', `${app.url}/orders/${id}`);
    expect(response.status).toBe(200);
    return response.body;
  }

  function envelope<P extends { orderId: string }>(contract: MessageContract<P>, payload: P): Envelope<P> {
    return {
      ...{ id: randomUUID(), type: contract.name, occurredAt: new Date().toISOString() },
      ...{ correlationId: payload.orderId, causationId: randomUUID(), traceparent: null },
      payload,
    };
  }

  const confirmOrder = (orderId: string, totalCents: number) =>
    envelope(ConfirmOrder, { orderId, sagaMode: 'orchestration', totalCents });
  const cancelOrder = (orderId: string, reason: CancelOrder['reason']) =>
    envelope(CancelOrder, { orderId, sagaMode: 'orchestration', reason });

  const publish = <P>(contract: MessageContract<P>, message: Envelope<P>) => publishAs(topology, contract, message);

  /** Publishes, then waits until order-service has acknowledged it. */
  async function deliver<P>(contract: MessageContract<P>, message: Envelope<P>): Promise<void> {
    await consumedUpTo(topology, 'order-service', contract, (await publish(contract, message)).seq);
  }

  /** What the service wrote to publish for an order (its outbox, published or not), in order. */
  async function outboxTypes(orderId: string): Promise<string[]> {
    const rows = await db.query<{ type: string }>(
      `SELECT type FROM outbox_messages WHERE correlation_id = $1 ORDER BY sequence`,
      [orderId],
    );
    return rows.map((row) => row.type);
  }

  /** The order's OrderConfirmed / OrderCancelled published to NATS, in stream order. */
  async function settlements(orderId: string) {
    const stream = topology.stream('orders').name;
    const found = [
      ...(await storedMessages<Settled>(stream, topology.subject(OrderConfirmed))),
      ...(await storedMessages<Settled>(stream, topology.subject(OrderCancelled))),
    ];
    return found.filter((m) => m.envelope.payload.orderId === orderId).sort((a, b) => a.seq - b.seq);
  }

  /** Waits until exactly `count` settlements of the order are on NATS and returns their envelopes. */
  async function published(orderId: string, count: number): Promise<Envelope<Settled>[]> {
    const found = await eventually(async () => {
      const messages = await settlements(orderId);
      return messages.length === count ? messages : undefined;
    });
    return found!.map((m) => m.envelope);
  }

  describe('orchestration: the orchestrator commands the outcome', () => {
    /** Each command has one answer: the order's only settlement on NATS, caused by the command. */
    async function expectAnswered(command: Envelope<{ orderId: string }>, type: string, fields: Partial<Settled>) {
      const { orderId } = command.payload;
      const [answer] = await published(orderId, 1);
      expect(answer).toMatchObject({
        type,
        correlationId: orderId,
        causationId: command.id,
        payload: { orderId, sagaMode: 'orchestration', ...fields },
      });
    }

    it('ConfirmOrder confirms a PENDING order with its total and answers OrderConfirmed, once', async () => {
      const id = await placed('orchestration');
      const confirm = confirmOrder(id, 4_200);
      await deliver(ConfirmOrder, confirm);
      await deliver(ConfirmOrder, confirmOrder(id, 4_200));

      expect(await order(id)).toMatchObject({ status: 'CONFIRMED', totalCents: 4_200, cancellationReason: null });
      expect(await outboxTypes(id)).toEqual(['OrderPlaced', 'OrderConfirmed']);
      await expectAnswered(confirm, 'OrderConfirmed', { totalCents: 4_200 });
    });

    it('CancelOrder cancels a PENDING order with the reason and answers OrderCancelled', async () => {
      const id = await placed('orchestration');
      const cancel = cancelOrder(id, 'INSUFFICIENT_FUNDS');
      await deliver(CancelOrder, cancel);

      expect(await order(id)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'INSUFFICIENT_FUNDS' });
      expect(await outboxTypes(id)).toEqual(['OrderPlaced', 'OrderCancelled']);
      await expectAnswered(cancel, 'OrderCancelled', { reason: 'INSUFFICIENT_FUNDS' });
    });

    it('a ConfirmOrder after a CancelOrder leaves the order CANCELLED and announces nothing more', async () => {
      const id = await placed('orchestration');
      await deliver(CancelOrder, cancelOrder(id, 'TIMEOUT'));
      await deliver(ConfirmOrder, confirmOrder(id, 4_200));

      expect(await order(id)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'TIMEOUT', totalCents: null });
      expect(await outboxTypes(id)).toEqual(['OrderPlaced', 'OrderCancelled']);
      expect((await published(id, 1)).map((message) => message.type)).toEqual(['OrderCancelled']);
    });

    it('a CancelOrder after a ConfirmOrder leaves the order CONFIRMED (no state goes backwards)', async () => {
      const id = await placed('orchestration');
      await deliver(ConfirmOrder, confirmOrder(id, 1_500));
      await deliver(CancelOrder, cancelOrder(id, 'TIMEOUT'));

      expect(await order(id)).toMatchObject({ status: 'CONFIRMED', totalCents: 1_500, cancellationReason: null });
      expect(await outboxTypes(id)).toEqual(['OrderPlaced', 'OrderConfirmed']);
    });

    it('dead-letters a command for a choreographed order at once, and leaves the order PENDING', async () => {
      const id = await placed('choreography');
      const confirm = asChoreographed(confirmOrder(id, 4_200));
      await publish(ConfirmOrder, confirm);

      expectSagaModeRefused(await deadLetterOf(jsm, topology, confirm.id), {
        consumer: 'order-service',
        originalSubject: topology.subject(ConfirmOrder),
      });
      expect(await order(id)).toMatchObject({ status: 'PENDING', totalCents: null });
      expect(await outboxTypes(id)).toEqual(['OrderPlaced']);
    });

    it('refuses a well-formed command for an order stored as choreographed: dead letter, order unchanged', async () => {
      const id = await placed('choreography');
      // Valid commands (sagaMode 'orchestration'): only the order's stored mode tells they are wrong.
      const confirm = confirmOrder(id, 1);
      const cancel = cancelOrder(id, 'TIMEOUT');
      await publish(ConfirmOrder, confirm);
      await publish(CancelOrder, cancel);

      for (const [command, contract] of [
        [confirm.id, ConfirmOrder],
        [cancel.id, CancelOrder],
      ] as const) {
        // MessageRejectedError: dead-lettered by the transport at its first delivery, not retried.
        const letter = await eventually(async () => {
          const letters = await listDeadLetters(jsm, topology, { limit: 100 });
          return letters.find((found) => found.originalMsgId === command);
        });
        expect(letter).toMatchObject({
          consumer: 'order-service',
          originalSubject: topology.subject(contract),
          deliveryCount: 1,
        });
        expect(letter?.error).toContain(`order ${id} runs in choreography`);
      }
      expect(await order(id)).toMatchObject({ status: 'PENDING', totalCents: null, cancellationReason: null });
      expect(await outboxTypes(id)).toEqual(['OrderPlaced']);
      const inbox = await db.query('SELECT 1 FROM inbox_messages WHERE message_id = ANY($1::uuid[])', [
        [confirm.id, cancel.id],
      ]);
      expect(inbox).toEqual([]);
    });
  });

  describe("choreography: the participants' events settle the order (same use case)", () => {
    const paymentCompleted = (orderId: string, sagaMode: SagaMode, amountCents: number) =>
      envelope(PaymentCompleted, { orderId, sagaMode, paymentId: randomUUID(), customerId: 'alice', amountCents });
    const paymentFailed = (orderId: string, sagaMode: SagaMode) =>
      envelope(PaymentFailed, {
        ...{ orderId, sagaMode, paymentId: randomUUID(), customerId: 'alice' },
        ...{ amountCents: 1, reason: 'UNKNOWN_CUSTOMER' },
      });
    const stockReservationFailed = (orderId: string, sagaMode: SagaMode) =>
      envelope(StockReservationFailed, { orderId, sagaMode, reason: 'OUT_OF_STOCK', sku: 'BOOK-1' });

    it('PaymentCompleted confirms with the amount charged as total and announces OrderConfirmed', async () => {
      const id = await placed('choreography');
      const completed = paymentCompleted(id, 'choreography', 3_300);
      await deliver(PaymentCompleted, completed);

      expect(await order(id)).toMatchObject({ status: 'CONFIRMED', totalCents: 3_300 });
      const [confirmed] = await published(id, 1);
      expect(confirmed).toMatchObject({
        causationId: completed.id,
        payload: { orderId: id, sagaMode: 'choreography', totalCents: 3_300 },
      });
    });

    it('PaymentFailed and StockReservationFailed cancel with their reason; the first one wins', async () => {
      const unpaid = await placed('choreography');
      await deliver(PaymentFailed, paymentFailed(unpaid, 'choreography'));
      const unstocked = await placed('choreography');
      await deliver(StockReservationFailed, stockReservationFailed(unstocked, 'choreography'));
      await deliver(PaymentFailed, paymentFailed(unstocked, 'choreography'));

      expect(await order(unpaid)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'UNKNOWN_CUSTOMER' });
      expect(await order(unstocked)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'OUT_OF_STOCK' });
      expect(await outboxTypes(unstocked)).toEqual(['OrderPlaced', 'OrderCancelled']);
      const [cancelled] = await published(unstocked, 1);
      expect(cancelled.payload).toEqual({ orderId: unstocked, sagaMode: 'choreography', reason: 'OUT_OF_STOCK' });
    });

    it("ignores an orchestrated order's events: the orchestrator decides its outcome", async () => {
      const id = await placed('orchestration');
      await deliver(PaymentCompleted, paymentCompleted(id, 'orchestration', 3_300));
      await deliver(PaymentFailed, paymentFailed(id, 'orchestration'));

      expect(await order(id)).toMatchObject({ status: 'PENDING', cancellationReason: null });
      expect(await outboxTypes(id)).toEqual(['OrderPlaced']);
    });
  });

  it("carries the consumed message's trace context (W3C traceparent) on to its answer, command or event", async () => {
    const commanded = await placed('orchestration');
    const confirm = { ...confirmOrder(commanded, 4_200), traceparent: newTraceparent() };
    await deliver(ConfirmOrder, confirm);
    const choreographed = await placed('choreography');
    const failed = {
      ...envelope(StockReservationFailed, {
        ...{ orderId: choreographed, sagaMode: 'choreography' },
        ...{ reason: 'UNKNOWN_SKU', sku: 'BOOK-1' },
      }),
      traceparent: newTraceparent(),
    };
    await deliver(StockReservationFailed, failed);

    expect(await published(commanded, 1)).toMatchObject([
      { type: 'OrderConfirmed', causationId: confirm.id, traceparent: confirm.traceparent },
    ]);
    expect(await published(choreographed, 1)).toMatchObject([
      { type: 'OrderCancelled', causationId: failed.id, traceparent: failed.traceparent },
    ]);
  });
});
