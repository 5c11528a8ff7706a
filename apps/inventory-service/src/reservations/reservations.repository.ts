import { Injectable } from '@nestjs/common';
import type { Prisma } from '@passo/prisma/inventory';
import { bySku, type PricedLine, type Refusal, type StockLine } from './stock-lines';

type Tx = Prisma.TransactionClient;

/** What reserve() did: every line reserved at its price, or the first line refused and why. */
export type Reservation = { claimed: boolean } & ({ lines: PricedLine[] } | { refused: Refusal; sku: string });

interface ReservationRow {
  claimed: boolean;
  refused: Refusal | null;
  refusedSku: string | null;
  lines: PricedLine[];
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
   * The order's one reservation, decided and written in one statement: the products locked in
   * code-unit order (COLLATE "C", as every use case locks them), then every line reserved at the
   * catalogue's price (RESERVED, stock moved available → reserved) or none — the first line in sku
   * order that cannot be (no such product, not enough available) refuses it, and the reservation
   * is kept closed and empty (RELEASED), so a re-sent OrderPlaced cannot reserve later, after a
   * restock, for an order that is cancelled by then. `claimed` is false (nothing written) when the
   * order has a reservation already; a concurrent claim waits for this transaction, then sees it.
   */
  async reserve(tx: Tx, orderId: string, lines: readonly StockLine[]): Promise<Reservation> {
    const skus = lines.map((line) => line.sku);
    const quantities = lines.map((line) => line.quantity);
    const [row] = await tx.$queryRaw<[ReservationRow]>`
      WITH line AS (
          SELECT * FROM unnest(${skus}::text[], ${quantities}::int[]) WITH ORDINALITY AS l(sku, quantity, n)),
        locked AS (
          SELECT sku, available, price_cents FROM products
           WHERE sku = ANY(${skus}::text[]) ORDER BY sku COLLATE "C" FOR UPDATE),
        checked AS (
          SELECT line.sku, line.quantity, line.n, locked.price_cents,
                 CASE WHEN locked.sku IS NULL THEN 'UNKNOWN_SKU'
                      WHEN locked.available < line.quantity THEN 'OUT_OF_STOCK' END AS refused
            FROM line LEFT JOIN locked USING (sku)),
        refusal AS (SELECT sku, refused FROM checked WHERE refused IS NOT NULL ORDER BY n LIMIT 1),
        claimed AS (
          INSERT INTO reservations (order_id, status, amount_cents, updated_at)
          SELECT ${orderId}::uuid,
                 CASE WHEN EXISTS (SELECT FROM refusal) THEN 'RELEASED' ELSE 'RESERVED' END::"ReservationStatus",
                 CASE WHEN EXISTS (SELECT FROM refusal) THEN 0
                      ELSE (SELECT sum(quantity * price_cents) FROM checked) END, now()
          ON CONFLICT (order_id) DO NOTHING
          RETURNING order_id, status),
        lines AS (
          INSERT INTO reservation_lines (order_id, sku, quantity, price_cents)
          SELECT claimed.order_id, checked.sku, checked.quantity, checked.price_cents
            FROM claimed, checked WHERE claimed.status = 'RESERVED'),
        taken AS (
          UPDATE products p SET available = p.available - checked.quantity,
                 reserved = p.reserved + checked.quantity, updated_at = now()
            FROM checked WHERE p.sku = checked.sku AND EXISTS (SELECT FROM claimed WHERE status = 'RESERVED'))
      SELECT EXISTS (SELECT FROM claimed) AS claimed,
             (SELECT refused FROM refusal) AS refused, (SELECT sku FROM refusal) AS "refusedSku",
             (SELECT json_agg(json_build_object('sku', sku, 'quantity', quantity, 'priceCents', price_cents) ORDER BY n)
                FROM checked) AS lines`;
    if (row.refused) return { claimed: row.claimed, refused: row.refused, sku: row.refusedSku! };
    return { claimed: row.claimed, lines: row.lines };
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
