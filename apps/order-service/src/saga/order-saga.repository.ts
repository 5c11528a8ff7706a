import { Injectable } from '@nestjs/common';
import type { CancellationReason, OrderCancelled, OrderConfirmed, SagaMode } from '@passo/contracts';
import { BatchedEffect, MessageRejectedError } from '@passo/outbox';
import type { Prisma } from '@passo/prisma/order';

type Tx = Prisma.TransactionClient;

/**
 * The order's side of the saga: state moves only forward, from PENDING. Each use case is one
 * statement for all the messages of a consumed batch that call it (BatchedEffect).
 */
@Injectable()
export class OrderSagaRepository {
  /** PENDING → CONFIRMED with its total: true when it moved (see settle). */
  confirm(tx: Tx, { orderId, sagaMode, totalCents }: OrderConfirmed): Promise<boolean> {
    return this.settle(tx, orderId, sagaMode, { status: 'CONFIRMED', totalCents });
  }

  /** PENDING → CANCELLED with the reason: true when it moved (see settle). */
  cancel(tx: Tx, { orderId, sagaMode, reason }: OrderCancelled): Promise<boolean> {
    return this.settle(tx, orderId, sagaMode, { status: 'CANCELLED', reason });
  }

  /**
   * PENDING → `to`, only for an order placed in `sagaMode`. False when nothing moved: no such
   * order, or not from PENDING (a stale or repeated outcome, which announces nothing). The order's
   * stored mode says who decides its outcome: a command for a choreographed order (or an event for
   * an orchestrated one) is refused, with nothing changed (dead letter).
   */
  private async settle(tx: Tx, orderId: string, sagaMode: SagaMode, to: Settlement['to']): Promise<boolean> {
    const { stored, moved } = await this.settlements.run(tx, { orderId, sagaMode, to });
    if (stored && stored !== sagaMode) {
      throw new MessageRejectedError(`order ${orderId} runs in ${stored}: a ${sagaMode} outcome cannot settle it`);
    }
    return moved;
  }

  /**
   * Every settlement of a consumed batch in one statement (see BatchedEffect): the orders locked
   * in id order (as a batch run one by one locked them), then each moved from PENDING if its mode
   * is the one its outcome was decided in.
   */
  private readonly settlements = new BatchedEffect<Tx, Settlement, { stored?: SagaMode; moved: boolean }>(
    async (tx, items) => {
      const rows = await tx.$queryRaw<Array<{ stored: SagaMode | null; moved: boolean }>>`
        WITH want AS (
            SELECT * FROM unnest(${items.map((i) => i.orderId)}::uuid[], ${items.map((i) => i.sagaMode)}::text[],
                                 ${items.map((i) => i.to.status)}::text[], ${items.map(totalOf)}::int[],
                                 ${items.map(reasonOf)}::text[])
                     WITH ORDINALITY AS w(id, saga_mode, status, total_cents, reason, n)),
          target AS (SELECT o.id, o.saga_mode FROM orders o JOIN want USING (id) ORDER BY o.id FOR UPDATE OF o),
          moved AS (
            UPDATE orders o SET status = w.status::"OrderStatus", total_cents = coalesce(w.total_cents, o.total_cents),
                   cancellation_reason = w.reason::"CancellationReason", updated_at = now()
              FROM want w JOIN target t USING (id)
             WHERE o.id = w.id AND o.status = 'PENDING' AND t.saga_mode = w.saga_mode::"SagaMode"
            RETURNING o.id)
        SELECT t.saga_mode::text AS stored, EXISTS (SELECT FROM moved m WHERE m.id = w.id) AS moved
          FROM want w LEFT JOIN target t USING (id) ORDER BY w.n`;
      return rows.map(({ stored, moved }) => ({ stored: stored ?? undefined, moved }));
    },
  );

  /** The catalogue's prices, once: the first priced reservation wins. */
  recordPrices(tx: Tx, orderId: string, totalCents: number, prices: Map<string, number>): Promise<void> {
    return this.pricings.run(tx, { orderId, totalCents, prices });
  }

  /** Every pricing of a consumed batch in one statement, the orders locked in id order. */
  private readonly pricings = new BatchedEffect<Tx, Pricing, void>(async (tx, items) => {
    const lines = items.flatMap(({ orderId, prices }) => [...prices].map(([sku, cents]) => ({ orderId, sku, cents })));
    await tx.$executeRaw`
      WITH want AS (
          SELECT * FROM unnest(${items.map((i) => i.orderId)}::uuid[], ${items.map((i) => i.totalCents)}::int[])
                   AS w(id, total_cents)),
        locked AS (SELECT o.id FROM orders o JOIN want USING (id) ORDER BY o.id FOR UPDATE OF o),
        priced AS (
          UPDATE orders o SET total_cents = w.total_cents, updated_at = now()
            FROM want w JOIN locked USING (id) WHERE o.id = w.id AND o.total_cents IS NULL RETURNING o.id)
      UPDATE order_lines l SET price_cents = p.price_cents
        FROM priced, unnest(${lines.map((l) => l.orderId)}::uuid[], ${lines.map((l) => l.sku)}::text[],
                            ${lines.map((l) => l.cents)}::int[]) AS p(order_id, sku, price_cents)
       WHERE l.order_id = priced.id AND p.order_id = priced.id AND l.sku = p.sku`;
    return items.map(() => undefined);
  });
}

/** One order's move out of PENDING, as a batched statement's item. */
interface Settlement {
  orderId: string;
  sagaMode: SagaMode;
  to: { status: 'CONFIRMED'; totalCents: number } | { status: 'CANCELLED'; reason: CancellationReason };
}

const totalOf = ({ to }: Settlement) => (to.status === 'CONFIRMED' ? to.totalCents : null);
const reasonOf = ({ to }: Settlement) => (to.status === 'CANCELLED' ? to.reason : null);

/** One order's prices, as a batched statement's item. */
interface Pricing {
  orderId: string;
  totalCents: number;
  prices: Map<string, number>;
}
