import { Injectable } from '@nestjs/common';
import type { CancellationReason, SagaMode } from '@passo/contracts';
import { Prisma, PrismaClient } from '@passo/prisma/order';

type Tx = Prisma.TransactionClient;

/** The order's side of the saga: state moves only forward, from PENDING. */
@Injectable()
export class OrderSagaRepository {
  constructor(readonly db: PrismaClient) {}

  /** The mode the order was placed in (undefined for an unknown order), read in the settling transaction. */
  async sagaModeOf(tx: Tx, orderId: string): Promise<SagaMode | undefined> {
    const order = await tx.order.findUnique({ where: { id: orderId }, select: { sagaMode: true } });
    return order?.sagaMode;
  }

  /** PENDING → CONFIRMED; false when the order is unknown or already settled (stale event). */
  async confirm(tx: Tx, orderId: string, totalCents: number): Promise<boolean> {
    const { count } = await tx.order.updateMany({
      where: { id: orderId, status: 'PENDING' },
      data: { status: 'CONFIRMED', totalCents },
    });
    return count === 1;
  }

  /** PENDING → CANCELLED with the reason; false when already settled. */
  async cancel(tx: Tx, orderId: string, reason: CancellationReason): Promise<boolean> {
    const { count } = await tx.order.updateMany({
      where: { id: orderId, status: 'PENDING' },
      data: { status: 'CANCELLED', cancellationReason: reason },
    });
    return count === 1;
  }

  /** The catalogue's prices, once: the first priced reservation wins. */
  async recordPrices(tx: Tx, orderId: string, totalCents: number, prices: Map<string, number>): Promise<void> {
    const { count } = await tx.order.updateMany({ where: { id: orderId, totalCents: null }, data: { totalCents } });
    if (count === 0) return;
    for (const [sku, priceCents] of prices) {
      await tx.orderLine.updateMany({ where: { orderId, sku }, data: { priceCents } });
    }
  }
}
