import { Injectable } from '@nestjs/common';
import type { Prisma } from '@passo/prisma/inventory';
import { bySku, type PricedLine } from './reservation';

type Tx = Prisma.TransactionClient;
export interface Stock {
  available: number;
  priceCents: number;
}

/** The only place that knows the reservation tables (and how a reservation moves stock). */
@Injectable()
export class ReservationsRepository {
  /**
   * Inserts the order's one reservation unless it has one: false when it had. A concurrent claim
   * for the same order waits for this transaction to settle, then sees its outcome.
   */
  async claim(tx: Tx, orderId: string, status: 'RESERVED' | 'RELEASED', amountCents = 0): Promise<boolean> {
    const { count } = await tx.reservation.createMany({
      data: [{ orderId, status, amountCents }],
      skipDuplicates: true,
    });
    return count === 1;
  }

  /**
   * The stock and price of these skus, each row locked until the transaction ends, in code-unit
   * order (COLLATE "C"): one statement, and every use case locks products in this one order.
   */
  async lockStock(tx: Tx, skus: readonly string[]): Promise<Map<string, Stock>> {
    const rows = await tx.$queryRaw<Array<Stock & { sku: string }>>`
      SELECT sku, available, price_cents AS "priceCents" FROM products
       WHERE sku = ANY(${skus}::text[]) ORDER BY sku COLLATE "C" FOR UPDATE`;
    return new Map(rows.map(({ sku, available, priceCents }) => [sku, { available, priceCents }]));
  }

  /** available → reserved for every line, in one statement (the caller checked the stock under lock). */
  async take(tx: Tx, orderId: string, lines: readonly PricedLine[]): Promise<void> {
    const skus = lines.map((line) => line.sku);
    const quantities = lines.map((line) => line.quantity);
    await tx.$executeRaw`
      UPDATE products p SET available = p.available - l.quantity, reserved = p.reserved + l.quantity, updated_at = now()
        FROM unnest(${skus}::text[], ${quantities}::int[]) AS l(sku, quantity) WHERE p.sku = l.sku`;
    await tx.reservationLine.createMany({ data: lines.map((line) => ({ orderId, ...line })) });
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
