import { Injectable } from '@nestjs/common';
import type { StockReservationFailed } from '@passo/contracts';
import type { Prisma } from '@passo/prisma/inventory';
import { bySku, type PricedLine, type StockLine } from './reservation';

type Tx = Prisma.TransactionClient;
export type Refusal = StockReservationFailed['reason'];
export type LineOutcome = { priceCents: number } | { refused: Refusal };

/** The only place that knows the reservation tables (and how a reservation moves stock). */
@Injectable()
export class ReservationsRepository {
  /**
   * Inserts the order's one reservation unless it has one: false when it had. A concurrent claim
   * for the same order waits for this transaction to settle, then sees its outcome.
   */
  async claim(tx: Tx, orderId: string, status: 'RESERVED' | 'RELEASED'): Promise<boolean> {
    const { count } = await tx.reservation.createMany({
      data: [{ orderId, status, amountCents: 0 }],
      skipDuplicates: true,
    });
    return count === 1;
  }

  /**
   * available → reserved for one line, at the catalogue's price. One conditional UPDATE: the stock
   * check runs under the row lock (re-checked after a concurrent writer commits), so no oversell.
   */
  async take(tx: Tx, { sku, quantity }: StockLine): Promise<LineOutcome> {
    const [product] = await tx.product.updateManyAndReturn({
      where: { sku, available: { gte: quantity } },
      data: { available: { decrement: quantity }, reserved: { increment: quantity } },
      select: { priceCents: true },
    });
    if (product) return { priceCents: product.priceCents };
    return { refused: (await tx.product.count({ where: { sku } })) > 0 ? 'OUT_OF_STOCK' : 'UNKNOWN_SKU' };
  }

  async complete(tx: Tx, orderId: string, amountCents: number, lines: PricedLine[]): Promise<void> {
    await tx.reservation.update({
      where: { orderId },
      data: { amountCents, lines: { createMany: { data: lines } } },
      select: { orderId: true },
    });
  }

  /**
   * RESERVED → `to`, moving each line's stock out of `reserved`. Only from RESERVED: a repeated or
   * late message finds nothing to move (null), so stock never moves twice nor state backwards.
   */
  async settle(tx: Tx, orderId: string, to: 'RELEASED' | 'SOLD'): Promise<PricedLine[] | null> {
    const { count } = await tx.reservation.updateMany({ where: { orderId, status: 'RESERVED' }, data: { status: to } });
    if (count === 0) return null;
    const rows = await tx.reservationLine.findMany({ where: { orderId } });
    const lines = rows.map(({ sku, quantity, priceCents }) => ({ sku, quantity, priceCents })).sort(bySku);
    for (const { sku, quantity } of lines) {
      const moved =
        to === 'RELEASED'
          ? { reserved: { decrement: quantity }, available: { increment: quantity } }
          : { reserved: { decrement: quantity }, sold: { increment: quantity } };
      await tx.product.update({ where: { sku }, data: moved });
    }
    return lines;
  }
}
