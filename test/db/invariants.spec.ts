import { randomUUID } from 'node:crypto';
import { checkInvariants } from '../../scripts/lib/invariants';
import { testDatabase, type TestDatabase } from '../support/databases';

/**
 * The checker the e2e tests and `npm run compare` trust, shown to catch each violation it looks
 * for: a consistent world planted by hand checks clean, then one fault at a time is planted in
 * it and must be reported, alone, in its own words.
 */
describe('invariants checker (Failure semantics 1–4) on planted data', () => {
  let order: TestDatabase;
  let inventory: TestDatabase;
  let payment: TestDatabase;
  const [sold, cancelled] = [randomUUID(), randomUUID()];
  const SKU = 'PLANTED-1';
  const ALICE = 'alice';
  const STOCK = { [SKU]: 10 };
  const BALANCES = { [ALICE]: 1_000 };

  beforeEach(async () => {
    [order, inventory, payment] = await Promise.all([
      testDatabase('order'),
      testDatabase('inventory'),
      testDatabase('payment'),
    ]);
    // One order confirmed and paid (2 units at 100), one cancelled for funds (its stock released).
    await order.query(
      `INSERT INTO orders (id, customer_id, status, saga_mode, total_cents, cancellation_reason, updated_at) VALUES
        ($1, $3, 'CONFIRMED', 'choreography', 200, NULL, now()),
        ($2, $3, 'CANCELLED', 'orchestration', 100, 'INSUFFICIENT_FUNDS', now())`,
      [sold, cancelled, ALICE],
    );
    await inventory.query(
      `INSERT INTO products (sku, price_cents, available, reserved, sold, updated_at) VALUES ($1, 100, 8, 0, 2, now())`,
      [SKU],
    );
    await inventory.query(
      `INSERT INTO reservations (order_id, status, amount_cents, updated_at) VALUES
        ($1, 'SOLD', 200, now()), ($2, 'RELEASED', 100, now())`,
      [sold, cancelled],
    );
    await inventory.query(
      `INSERT INTO reservation_lines (order_id, sku, quantity, price_cents) VALUES ($1, $3, 2, 100), ($2, $3, 1, 100)`,
      [sold, cancelled, SKU],
    );
    await payment.query(`INSERT INTO customers (id, balance_cents, updated_at) VALUES ($1, 800, now())`, [ALICE]);
    await payment.query(
      `INSERT INTO payments (id, order_id, customer_id, amount_cents, status, reason, updated_at) VALUES
        ($1, $3, $5, 200, 'COMPLETED', NULL, now()),
        ($2, $4, $5, 100, 'FAILED', 'INSUFFICIENT_FUNDS', now())`,
      [randomUUID(), randomUUID(), sold, cancelled, ALICE],
    );
  });
  afterEach(async () => {
    await Promise.all([order, inventory, payment].map((db) => db?.drop()));
  });

  const check = (stock: Record<string, number> = STOCK, balances: Record<string, number> = BALANCES) =>
    checkInvariants({ order: order.query, inventory: inventory.query, payment: payment.query }, stock, balances);

  it('finds nothing wrong in the consistent world', async () => {
    expect(await check()).toEqual([]);
  });

  it('reports a SKU it was asked about that does not exist', async () => {
    expect(await check({ ...STOCK, 'NO-SUCH-SKU': 5 })).toEqual(['SKU NO-SUCH-SKU: no such product']);
  });

  it('reports stock that appeared from nowhere (available + reserved + sold changed)', async () => {
    await inventory.query(`UPDATE products SET available = available + 1 WHERE sku = $1`, [SKU]);
    expect(await check()).toEqual([`SKU ${SKU}: available 9 + reserved 0 + sold 2 = 11, expected 10`]);
  });

  it('reports stock a product still holds reserved', async () => {
    await inventory.query(`UPDATE products SET available = 7, reserved = 1 WHERE sku = $1`, [SKU]);
    expect(await check()).toEqual([`SKU ${SKU}: 1 still reserved after every saga settled`]);
  });

  it('reports a reservation left RESERVED', async () => {
    const stray = randomUUID();
    await inventory.query(
      `INSERT INTO reservations (order_id, status, amount_cents, updated_at) VALUES ($1, 'RESERVED', 100, now())`,
      [stray],
    );
    expect(await check()).toEqual([`1 reservation(s) still RESERVED: ${stray}`]);
  });

  it('reports units sold that no SOLD reservation accounts for', async () => {
    await inventory.query(`UPDATE products SET available = 7, sold = 3 WHERE sku = $1`, [SKU]);
    expect(await check()).toEqual([`SKU ${SKU}: sold 3, but SOLD reservations hold 2`]);
  });

  it('reports an order left PENDING', async () => {
    await order.query(`UPDATE orders SET status = 'PENDING', cancellation_reason = NULL WHERE id = $1`, [cancelled]);
    expect(await check()).toEqual([`1 order(s) still PENDING: ${cancelled}`]);
  });

  it('reports money kept for an order that was not confirmed', async () => {
    await payment.query(`UPDATE payments SET status = 'COMPLETED', reason = NULL WHERE order_id = $1`, [cancelled]);
    await payment.query(`UPDATE customers SET balance_cents = 700 WHERE id = $1`, [ALICE]);
    expect(await check()).toEqual([`1 completed payment(s) for an order not CONFIRMED: ${cancelled}`]);
  });

  it('reports an order charged twice', async () => {
    // The schema allows one payment per order; the checker must not rely on it, so lift it here.
    await payment.query(`ALTER TABLE payments DROP CONSTRAINT IF EXISTS payments_order_id_key`);
    await payment.query(`DROP INDEX IF EXISTS payments_order_id_key`);
    await payment.query(
      `INSERT INTO payments (id, order_id, customer_id, amount_cents, status, updated_at)
        VALUES ($1, $2, $3, 200, 'COMPLETED', now())`,
      [randomUUID(), sold, ALICE],
    );
    await payment.query(`UPDATE customers SET balance_cents = 600 WHERE id = $1`, [ALICE]);
    expect(await check()).toEqual([`1 order(s) with more than one completed payment: ${sold}`]);
  });

  it('reports an order confirmed without a completed payment', async () => {
    await payment.query(`UPDATE payments SET status = 'REFUNDED' WHERE order_id = $1`, [sold]);
    await payment.query(`UPDATE customers SET balance_cents = 1000 WHERE id = $1`, [ALICE]);
    expect(await check()).toEqual([`1 CONFIRMED order(s) without a completed payment: ${sold}`]);
  });

  it('reports a customer it was asked about that has no wallet', async () => {
    expect(await check(STOCK, { ...BALANCES, bob: 500 })).toEqual(['customer bob: no such wallet']);
  });

  it('reports money that appeared or vanished (balance + completed payments changed)', async () => {
    await payment.query(`UPDATE customers SET balance_cents = 900 WHERE id = $1`, [ALICE]);
    expect(await check()).toEqual([`customer ${ALICE}: balance 900 + completed payments 200 = 1100, expected 1000`]);
  });
});
