import { Injectable } from '@nestjs/common';
import { BatchedEffect, BatchNeedsSplit } from '@passo/outbox';
import type { Prisma } from '@passo/prisma/inventory';
import { amountOf, bySku, type PricedLine, type Refusal, type StockLine } from './stock-lines';

type Tx = Prisma.TransactionClient;

/** What reserve() did: every line reserved at its price, or the first line refused and why. */
export type Reservation = { claimed: boolean } & ({ lines: PricedLine[] } | { refused: Refusal; sku: string });

/** One order's wanted lines (one per sku, in sku order: stockLines), as a batched statement's item. */
interface Wanted {
  orderId: string;
  lines: readonly StockLine[];
}

/** One reservation's move out of RESERVED, as a batched statement's item. */
interface Settlement {
  orderId: string;
  to: 'RELEASED' | 'SOLD';
}

/** What reserveMany reads first: the batch's products (locked) and which of its orders have a reservation. */
interface StockRow {
  products: Record<string, { available: number; priceCents: number }> | null;
  reserved: string[] | null;
}

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
  claim(tx: Tx, orderId: string, status: 'RESERVED' | 'RELEASED'): Promise<boolean> {
    return this.claims.run(tx, { orderId, status });
  }

  /** A consumed batch's claims in one statement; an order claimed twice in it gets true the first time only. */
  private readonly claims = new BatchedEffect<Tx, { orderId: string; status: 'RESERVED' | 'RELEASED' }, boolean>(
    async (tx, items) => {
      const rows = await tx.$queryRaw<Array<{ orderId: string }>>`
        INSERT INTO reservations (order_id, status, amount_cents, updated_at)
        SELECT order_id, status::"ReservationStatus", 0, now()
          FROM unnest(${items.map((i) => i.orderId)}::uuid[], ${items.map((i) => i.status)}::text[])
               WITH ORDINALITY AS c(order_id, status, n)
         ORDER BY n
        ON CONFLICT (order_id) DO NOTHING
        RETURNING order_id::text AS "orderId"`;
      const inserted = new Set(rows.map((row) => row.orderId));
      return items.map(({ orderId }) => inserted.delete(orderId.toLowerCase()));
    },
  );

  /**
   * The order's one reservation, decided and written in one statement: the products locked in
   * code-unit order (COLLATE "C", as every use case locks them), then every line reserved at the
   * catalogue's price (RESERVED, stock moved available → reserved) or none — the first line in sku
   * order that cannot be (no such product, not enough available) refuses it, and the reservation
   * is kept closed and empty (RELEASED), so a re-sent OrderPlaced cannot reserve later, after a
   * restock, for an order that is cancelled by then. `claimed` is false (nothing written) when the
   * order has a reservation already; a concurrent claim waits for this transaction, then sees it.
   */
  reserve(tx: Tx, orderId: string, lines: readonly StockLine[]): Promise<Reservation> {
    return this.reservations.run(tx, { orderId, lines });
  }

  /** A consumed batch's reservations: one statement alone, two for many (see reserveMany). */
  private readonly reservations = new BatchedEffect<Tx, Wanted, Reservation>((tx, items) =>
    items.length === 1 ? this.reserveOne(tx, items[0]!).then((one) => [one]) : this.reserveMany(tx, items),
  );

  private async reserveOne(tx: Tx, { orderId, lines }: Wanted): Promise<Reservation> {
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
   * The reservations of a consumed batch, decided as if they ran one after the other: every
   * product of the batch locked in sku order (FOR UPDATE: nothing moves their stock until the
   * commit) with the orders that have a reservation already, then each order decided in turn
   * against the stock the ones before it left (the same rules as reserveOne), and every
   * reservation, line and stock move written with one statement. A concurrent claim of one of the
   * orders (unseen by the first statement) leaves its INSERT without effect: BatchNeedsSplit rolls
   * the batch back and it runs one by one, where reserveOne sees that claim.
   */
  private async reserveMany(tx: Tx, items: readonly Wanted[]): Promise<Reservation[]> {
    const skus = [...new Set(items.flatMap(({ lines }) => lines.map((line) => line.sku)))];
    const [{ products, reserved }] = await tx.$queryRaw<[StockRow]>`
      WITH locked AS (
          SELECT sku, available, price_cents FROM products
           WHERE sku = ANY(${skus}::text[]) ORDER BY sku COLLATE "C" FOR UPDATE)
      SELECT (SELECT json_object_agg(sku, json_build_object('available', available, 'priceCents', price_cents))
                FROM locked) AS products,
             (SELECT array_agg(order_id::text) FROM reservations
               WHERE order_id = ANY(${items.map((i) => i.orderId)}::uuid[])) AS reserved`;
    const stock = new Map(Object.entries(products ?? {}));
    const claimed = new Set(reserved ?? []);
    const outcomes = items.map(({ orderId, lines }): Reservation => {
      const id = orderId.toLowerCase(); // as the database spells a uuid
      if (claimed.has(id)) return { claimed: false, lines: [] };
      claimed.add(id);
      for (const { sku, quantity } of lines) {
        const product = stock.get(sku);
        if (!product) return { claimed: true, refused: 'UNKNOWN_SKU', sku };
        if (product.available < quantity) return { claimed: true, refused: 'OUT_OF_STOCK', sku };
      }
      for (const { sku, quantity } of lines) stock.get(sku)!.available -= quantity;
      return { claimed: true, lines: lines.map((line) => ({ ...line, priceCents: stock.get(line.sku)!.priceCents })) };
    });
    // A refusal is kept as an empty RELEASED reservation (see reserveOne).
    const written = items.flatMap(({ orderId }, i) => {
      const outcome = outcomes[i]!;
      if (!outcome.claimed) return [];
      const lines = 'lines' in outcome ? outcome.lines : [];
      return [{ orderId, status: lines.length > 0 ? 'RESERVED' : 'RELEASED', amountCents: amountOf(lines), lines }];
    });
    const rows = written.flatMap(({ orderId, lines }) => lines.map((line) => ({ orderId, ...line })));
    const taken = new Map<string, number>();
    for (const { sku, quantity } of rows) taken.set(sku, (taken.get(sku) ?? 0) + quantity);
    const [{ inserted }] = await tx.$queryRaw<[{ inserted: number }]>`
      WITH claimed AS (
          INSERT INTO reservations (order_id, status, amount_cents, updated_at)
          SELECT order_id, status::"ReservationStatus", amount_cents, now()
            FROM unnest(${written.map((w) => w.orderId)}::uuid[], ${written.map((w) => w.status)}::text[],
                        ${written.map((w) => w.amountCents)}::int[]) AS r(order_id, status, amount_cents)
          ON CONFLICT (order_id) DO NOTHING RETURNING order_id),
        lines AS (
          INSERT INTO reservation_lines (order_id, sku, quantity, price_cents)
          SELECT l.* FROM unnest(${rows.map((r) => r.orderId)}::uuid[], ${rows.map((r) => r.sku)}::text[],
                                 ${rows.map((r) => r.quantity)}::int[], ${rows.map((r) => r.priceCents)}::int[])
                          AS l(order_id, sku, quantity, price_cents)
            JOIN claimed USING (order_id)),
        moved AS (
          UPDATE products p SET available = p.available - t.quantity, reserved = p.reserved + t.quantity, updated_at = now()
            FROM unnest(${[...taken.keys()]}::text[], ${[...taken.values()]}::int[]) AS t(sku, quantity)
           WHERE p.sku = t.sku)
      SELECT count(*)::int AS inserted FROM claimed`;
    if (inserted !== written.length)
      throw new BatchNeedsSplit('a concurrent transaction reserved one of the orders first');
    return outcomes;
  }

  /**
   * RESERVED → `to`, moving each line's stock out of `reserved`. Only from RESERVED: a repeated or
   * late message finds nothing to move (null), so stock never moves twice nor state backwards.
   */
  settle(tx: Tx, orderId: string, to: 'RELEASED' | 'SOLD'): Promise<PricedLine[] | null> {
    return this.settlements.run(tx, { orderId, to });
  }

  /**
   * Every settlement of a consumed batch in one statement: the reservations moved from RESERVED,
   * then the products of all their lines locked in sku order (as every use case locks them) before
   * one UPDATE moves each product's stock by the sum of those lines.
   */
  private readonly settlements = new BatchedEffect<Tx, Settlement, PricedLine[] | null>(async (tx, items) => {
    // A RESERVED reservation always has lines: no line back for an order means it had nothing to settle.
    const rows = await tx.$queryRaw<Array<{ orderId: string } & PricedLine>>`
      WITH want AS (
          SELECT * FROM unnest(${items.map((i) => i.orderId)}::uuid[], ${items.map((i) => i.to)}::text[])
                   AS w(order_id, status)),
        settled AS (
          UPDATE reservations r SET status = w.status::"ReservationStatus", updated_at = now()
            FROM want w WHERE r.order_id = w.order_id AND r.status = 'RESERVED' RETURNING r.order_id, w.status),
        line AS (
          SELECT l.order_id, l.sku, l.quantity, l.price_cents, settled.status
            FROM reservation_lines l JOIN settled USING (order_id)),
        delta AS (
          SELECT sku, sum(quantity)::int AS quantity,
                 sum(CASE WHEN status = 'SOLD' THEN quantity ELSE 0 END)::int AS sold
            FROM line GROUP BY sku),
        locked AS (
          SELECT p.sku FROM products p JOIN delta USING (sku) ORDER BY p.sku COLLATE "C" FOR UPDATE OF p),
        moved AS (
          UPDATE products p SET reserved = p.reserved - delta.quantity,
                 available = p.available + delta.quantity - delta.sold,
                 sold = p.sold + delta.sold, updated_at = now()
            FROM delta JOIN locked USING (sku) WHERE p.sku = delta.sku)
      SELECT order_id::text AS "orderId", sku, quantity, price_cents AS "priceCents" FROM line`;
    return items.map(({ orderId }) => {
      const lines = rows
        .filter((row) => row.orderId === orderId.toLowerCase())
        .map(({ sku, quantity, priceCents }) => ({ sku, quantity, priceCents }));
      return lines.length === 0 ? null : lines.sort(bySku);
    });
  });
}
