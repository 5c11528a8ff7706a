import { Injectable } from '@nestjs/common';
import type { Prisma } from '@passo/prisma/inventory';
import { bySku, type PricedLine } from './stock-lines';

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
  async claim(tx: Tx, orderId: string, status: 'RESERVED' | 'RELEASED'): Promise<boolean> {
    const inserted = await tx.$executeRaw`
      INSERT INTO reservations (order_id, status, amount_cents, updated_at)
      VALUES (${orderId}::uuid, ${status}::"ReservationStatus", 0, now()) ON CONFLICT (order_id) DO NOTHING`;
    return inserted === 1;
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

  /**
   * The order's one reservation with its lines, their stock moved available → reserved, in one
   * statement: false (nothing written) when the order has a reservation already. The caller has
   * checked the stock under lockStock's locks.
   */
  async reserve(tx: Tx, orderId: string, amountCents: number, lines: readonly PricedLine[]): Promise<boolean> {
    const skus = lines.map((line) => line.sku);
    const quantities = lines.map((line) => line.quantity);
    const prices = lines.map((line) => line.priceCents);
    const [{ claimed }] = await tx.$queryRaw<[{ claimed: number }]>`
      WITH claimed AS (
          INSERT INTO reservations (order_id, status, amount_cents, updated_at)
          VALUES (${orderId}::uuid, 'RESERVED', ${amountCents}, now()) ON CONFLICT (order_id) DO NOTHING
          RETURNING order_id),
        line AS (SELECT * FROM unnest(${skus}::text[], ${quantities}::int[], ${prices}::int[]) AS l(sku, quantity, price_cents)),
        lines AS (
          INSERT INTO reservation_lines (order_id, sku, quantity, price_cents)
          SELECT claimed.order_id, line.sku, line.quantity, line.price_cents FROM claimed, line),
        taken AS (
          UPDATE products p SET available = p.available - line.quantity, reserved = p.reserved + line.quantity, updated_at = now()
            FROM line WHERE p.sku = line.sku AND EXISTS (SELECT 1 FROM claimed))
      SELECT count(*)::int AS claimed FROM claimed`;
    return claimed === 1;
  }

  /**
   * RESERVED → `to`, moving each line's stock out of `reserved`. Only from RESERVED: a repeated or
   * late message finds nothing to move (null), so stock never moves twice nor state backwards.
   */
  async settle(tx: Tx, orderId: string, to: 'RELEASED' | 'SOLD'): Promise<PricedLine[] | null> {
    const sold = to === 'SOLD' ? 1 : 0;
    // One statement: the products are locked in sku order (as every use case locks them) before
    // the UPDATE moves their stock.
    // A RESERVED reservation always has lines: no row back means there was nothing to settle.
    const rows = await tx.$queryRaw<PricedLine[]>`
      WITH settled AS (
          UPDATE reservations SET status = ${to}::"ReservationStatus", updated_at = now()
           WHERE order_id = ${orderId}::uuid AND status = 'RESERVED' RETURNING order_id),
        line AS (
          SELECT l.sku, l.quantity, l.price_cents FROM reservation_lines l JOIN settled USING (order_id)),
        locked AS (
          SELECT p.sku FROM products p JOIN line USING (sku) ORDER BY p.sku COLLATE "C" FOR UPDATE OF p),
        moved AS (
          UPDATE products p SET reserved = p.reserved - line.quantity,
                 available = p.available + line.quantity * (1 - ${sold}::int),
                 sold = p.sold + line.quantity * ${sold}::int, updated_at = now()
            FROM line JOIN locked USING (sku) WHERE p.sku = line.sku)
      SELECT sku, quantity, price_cents AS "priceCents" FROM line`;
    return rows.length === 0 ? null : rows.sort(bySku);
  }
}
