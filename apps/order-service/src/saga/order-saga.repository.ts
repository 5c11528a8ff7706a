import { Injectable } from '@nestjs/common';
import type { CancellationReason, OrderCancelled, OrderConfirmed, SagaMode } from '@passo/contracts';
import { MessageRejectedError } from '@passo/outbox';
import type { Prisma } from '@passo/prisma/order';

type Tx = Prisma.TransactionClient;

/** The order's side of the saga: state moves only forward, from PENDING. */
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
   * PENDING → `to`, only for an order placed in `sagaMode`, in one statement. False when nothing
   * moved: no such order, or not from PENDING (a stale or repeated outcome, which announces nothing).
   * The order's stored mode says who decides its outcome: a command for a choreographed order (or
   * an event for an orchestrated one) is refused, with nothing changed (dead letter).
   */
  private async settle(
    tx: Tx,
    orderId: string,
    sagaMode: SagaMode,
    to: { status: 'CONFIRMED'; totalCents: number } | { status: 'CANCELLED'; reason: CancellationReason },
  ): Promise<boolean> {
    const totalCents = to.status === 'CONFIRMED' ? to.totalCents : null;
    const reason = to.status === 'CANCELLED' ? to.reason : null;
    const rows = await tx.$queryRaw<Array<{ stored: SagaMode; moved: boolean }>>`
      WITH target AS (SELECT id, saga_mode FROM orders WHERE id = ${orderId}::uuid),
        moved AS (
          UPDATE orders o SET status = ${to.status}::"OrderStatus",
                 total_cents = coalesce(${totalCents}::int, o.total_cents),
                 cancellation_reason = ${reason}::"CancellationReason", updated_at = now()
            FROM target WHERE o.id = target.id AND o.status = 'PENDING' AND target.saga_mode = ${sagaMode}::"SagaMode"
          RETURNING o.id)
      SELECT saga_mode::text AS stored, EXISTS (SELECT 1 FROM moved) AS moved FROM target`;
    const stored = rows[0]?.stored;
    if (stored && stored !== sagaMode) {
      throw new MessageRejectedError(`order ${orderId} runs in ${stored}: a ${sagaMode} outcome cannot settle it`);
    }
    return rows[0]?.moved ?? false;
  }

  /** The catalogue's prices, once: the first priced reservation wins. */
  async recordPrices(tx: Tx, orderId: string, totalCents: number, prices: Map<string, number>): Promise<void> {
    const skus = [...prices.keys()];
    const cents = [...prices.values()];
    await tx.$executeRaw`
      WITH priced AS (
          UPDATE orders SET total_cents = ${totalCents}, updated_at = now()
           WHERE id = ${orderId}::uuid AND total_cents IS NULL RETURNING id)
      UPDATE order_lines l SET price_cents = p.price_cents
        FROM priced, unnest(${skus}::text[], ${cents}::int[]) AS p(sku, price_cents)
       WHERE l.order_id = priced.id AND l.sku = p.sku`;
  }
}
