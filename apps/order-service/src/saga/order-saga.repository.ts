import { Injectable } from '@nestjs/common';
import type { CancellationReason, SagaMode } from '@passo/contracts';
import { Prisma, PrismaClient } from '@passo/prisma/order';

type Tx = Prisma.TransactionClient;

/** The order's side of the saga: state moves only forward, from PENDING. */
@Injectable()
export class OrderSagaRepository {
  constructor(readonly db: PrismaClient) {}

  /**
   * PENDING → `to` (CONFIRMED with its total, or CANCELLED with the reason), only for an order
   * placed in `sagaMode`, in one statement. Returns the mode the order was placed in (undefined:
   * no such order) and whether it moved: not from another state (a stale or repeated outcome),
   * nor across modes.
   */
  async settle(
    tx: Tx,
    orderId: string,
    sagaMode: SagaMode,
    to: { status: 'CONFIRMED'; totalCents: number } | { status: 'CANCELLED'; reason: CancellationReason },
  ): Promise<{ stored: SagaMode | undefined; moved: boolean }> {
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
    return { stored: rows[0]?.stored, moved: rows[0]?.moved ?? false };
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
