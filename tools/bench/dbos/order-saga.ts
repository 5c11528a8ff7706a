import { DBOS } from '@dbos-inc/dbos-sdk';
import type { Pool, PoolClient } from 'pg';

export interface SagaOrder {
  id: string;
  customerId: string;
  items: { sku: string; quantity: number }[];
}
export type SagaResult = 'CONFIRMED' | 'OUT_OF_STOCK' | 'INSUFFICIENT_FUNDS';

/**
 * The order saga as one DBOS durable workflow, written as a Node user would: each step a plain
 * `pg` transaction run by DBOS.runStep (checkpointed; at least once, so each step is idempotent
 * by a row keyed on the order id), the compensation a readable list after the failure.
 *   place order → reserve stock (fails if out of stock) → charge wallet (fails if too poor) → confirm
 *   on failure: release the stock reserved, cancel the order with the reason.
 */
export function registerOrderSaga(pool: Pool): (order: SagaOrder) => Promise<SagaResult> {
  const tx = async <T>(work: (client: PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };

  const placeOrder = (o: SagaOrder) =>
    pool.query(
      `INSERT INTO orders (id, customer_id, items, status) VALUES ($1, $2, $3, 'PENDING') ON CONFLICT (id) DO NOTHING`,
      [o.id, o.customerId, JSON.stringify(o.items)],
    );

  /** All lines or none; the total price of the order, or null when a line is out of stock. */
  const reserveStock = (o: SagaOrder) =>
    tx(async (c): Promise<number> => {
      const fresh = await c.query(
        `INSERT INTO reservations (order_id, status) VALUES ($1, 'RESERVED') ON CONFLICT DO NOTHING`,
        [o.id],
      );
      let total = 0;
      for (const { sku, quantity } of o.items) {
        const { rows } =
          fresh.rowCount === 0 // a retried step: already reserved, only the price is wanted
            ? await c.query<{ price_cents: number }>('SELECT price_cents FROM products WHERE sku = $1', [sku])
            : await c.query<{ price_cents: number }>(
                `UPDATE products SET available = available - $2, reserved = reserved + $2
                  WHERE sku = $1 AND available >= $2 RETURNING price_cents`,
                [sku, quantity],
              );
        if (rows.length === 0) throw new Refused(); // rolls back the lines reserved so far
        total += rows[0].price_cents * quantity;
      }
      return total;
    }).catch(refusedAs(null));

  const chargeWallet = (o: SagaOrder, amount: number) =>
    tx(async (c): Promise<boolean> => {
      const fresh = await c.query(
        `INSERT INTO payments (order_id, customer_id, amount_cents) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
        [o.id, o.customerId, amount],
      );
      if (fresh.rowCount === 0) return true; // a retried step: already paid
      const { rowCount } = await c.query(
        'UPDATE customers SET balance_cents = balance_cents - $2 WHERE id = $1 AND balance_cents >= $2',
        [o.customerId, amount],
      );
      if (rowCount === 0) throw new Refused(); // rolls back the payment row
      return true;
    }).catch(refusedAs(false));

  const moveStock = (o: SagaOrder, from: 'RESERVED', to: 'SOLD' | 'RELEASED', c: PoolClient) =>
    c
      .query(`UPDATE reservations SET status = $2 WHERE order_id = $1 AND status = $3`, [o.id, to, from])
      .then(async ({ rowCount }) => {
        if (rowCount === 0) return; // a retried step
        for (const { sku, quantity } of o.items) {
          await c.query(
            to === 'SOLD'
              ? 'UPDATE products SET reserved = reserved - $2, sold = sold + $2 WHERE sku = $1'
              : 'UPDATE products SET reserved = reserved - $2, available = available + $2 WHERE sku = $1',
            [sku, quantity],
          );
        }
      });

  const confirm = (o: SagaOrder, total: number) =>
    tx(async (c) => {
      await moveStock(o, 'RESERVED', 'SOLD', c);
      await c.query(`UPDATE orders SET status = 'CONFIRMED', total_cents = $2, updated_at = now() WHERE id = $1`, [
        o.id,
        total,
      ]);
    });

  const releaseStock = (o: SagaOrder) => tx((c) => moveStock(o, 'RESERVED', 'RELEASED', c));
  const cancel = (o: SagaOrder, reason: SagaResult) =>
    pool.query(`UPDATE orders SET status = 'CANCELLED', cancellation_reason = $2, updated_at = now() WHERE id = $1`, [
      o.id,
      reason,
    ]);

  async function orderSaga(placed: SagaOrder): Promise<SagaResult> {
    // Every step locks product rows in SKU order: two orders holding the same SKUs cannot deadlock.
    const order = { ...placed, items: [...placed.items].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0)) };
    await DBOS.runStep(() => placeOrder(order), { name: 'placeOrder' });
    const total = await DBOS.runStep(() => reserveStock(order), { name: 'reserveStock' });
    if (total === null) {
      await DBOS.runStep(() => cancel(order, 'OUT_OF_STOCK'), { name: 'cancelOrder' });
      return 'OUT_OF_STOCK';
    }
    if (!(await DBOS.runStep(() => chargeWallet(order, total), { name: 'chargeWallet' }))) {
      // Compensations, in reverse order of the steps that succeeded.
      await DBOS.runStep(() => releaseStock(order), { name: 'releaseStock' });
      await DBOS.runStep(() => cancel(order, 'INSUFFICIENT_FUNDS'), { name: 'cancelOrder' });
      return 'INSUFFICIENT_FUNDS';
    }
    await DBOS.runStep(() => confirm(order, total), { name: 'confirmOrder' });
    return 'CONFIRMED';
  }
  return DBOS.registerWorkflow(orderSaga, { name: 'orderSaga' });
}

/** A conditional update found nothing to change: the step's transaction is rolled back, the saga told. */
class Refused extends Error {}

const refusedAs =
  <T>(value: T) =>
  (error: unknown): T => {
    if (error instanceof Refused) return value;
    throw error;
  };
