/**
 * docs/ARCHITECTURE.md, "Failure semantics", checked from the three saga databases once every saga should
 * have settled. Shared by the e2e tests and `npm run compare`; it reports, the caller decides.
 */

/** Runs one SQL statement on one service's database and returns its rows. */
export type QueryFn = <R = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>;

export interface SagaDatabases {
  order: QueryFn;
  inventory: QueryFn;
  payment: QueryFn;
}

/** How many ids a message names before it says "…". */
const SHOWN = 5;
const some = (ids: readonly string[]) => ids.slice(0, SHOWN).join(', ') + (ids.length > SHOWN ? ', …' : '');

/**
 * Every violated invariant as a sentence; [] when all held. `stockTotals` (per SKU, available +
 * reserved + sold as set up) and `initialBalances` (per customer) name what the caller created;
 * the other checks cover every order, payment and reservation in the databases.
 */
export async function checkInvariants(
  db: SagaDatabases,
  stockTotals: Record<string, number>,
  initialBalances: Record<string, number>,
): Promise<string[]> {
  const violations = [
    ...(await stockInvariants(db, stockTotals)),
    ...(await sagaInvariants(db)),
    ...(await moneyInvariants(db, initialBalances)),
  ];
  return violations;
}

/** Stock is conserved per SKU, nothing stays reserved, and what is sold was sold to orders. */
async function stockInvariants({ inventory }: SagaDatabases, stockTotals: Record<string, number>): Promise<string[]> {
  const skus = Object.keys(stockTotals);
  const products = await inventory<{ sku: string; available: number; reserved: number; sold: number }>(
    'SELECT sku, available, reserved, sold FROM products WHERE sku = ANY($1::text[])',
    [skus],
  );
  const soldToOrders = await inventory<{ sku: string; quantity: number }>(
    `SELECT l.sku, sum(l.quantity)::int AS quantity FROM reservation_lines l JOIN reservations r USING (order_id)
      WHERE r.status = 'SOLD' AND l.sku = ANY($1::text[]) GROUP BY l.sku`,
    [skus],
  );
  const violations: string[] = [];
  for (const [sku, total] of Object.entries(stockTotals)) {
    const product = products.find((p) => p.sku === sku);
    if (!product) {
      violations.push(`SKU ${sku}: no such product`);
      continue;
    }
    const { available, reserved, sold } = product;
    if (available + reserved + sold !== total) {
      violations.push(
        `SKU ${sku}: available ${available} + reserved ${reserved} + sold ${sold} = ${available + reserved + sold}, expected ${total}`,
      );
    }
    if (reserved !== 0) violations.push(`SKU ${sku}: ${reserved} still reserved after every saga settled`);
    const toOrders = soldToOrders.find((s) => s.sku === sku)?.quantity ?? 0;
    if (toOrders !== sold) violations.push(`SKU ${sku}: sold ${sold}, but SOLD reservations hold ${toOrders}`);
  }
  const reservedLeft = await inventory<{ order_id: string }>(
    `SELECT order_id::text FROM reservations WHERE status = 'RESERVED' ORDER BY order_id`,
  );
  if (reservedLeft.length > 0) {
    violations.push(
      `${reservedLeft.length} reservation(s) still RESERVED: ${some(reservedLeft.map((r) => r.order_id))}`,
    );
  }
  return violations;
}

/** Every saga settled; money is taken once, and only for, every confirmed order. */
async function sagaInvariants({ order, payment }: SagaDatabases): Promise<string[]> {
  const orders = await order<{ id: string; status: string }>('SELECT id::text, status::text FROM orders ORDER BY id');
  const completed = await payment<{ order_id: string }>(
    `SELECT order_id::text FROM payments WHERE status = 'COMPLETED' ORDER BY order_id`,
  );
  const violations: string[] = [];
  const pending = orders.filter((o) => o.status === 'PENDING').map((o) => o.id);
  if (pending.length > 0) violations.push(`${pending.length} order(s) still PENDING: ${some(pending)}`);
  const status = new Map(orders.map((o) => [o.id, o.status]));
  const paymentsPerOrder = new Map<string, number>();
  for (const p of completed) paymentsPerOrder.set(p.order_id, (paymentsPerOrder.get(p.order_id) ?? 0) + 1);
  const notConfirmed = [...paymentsPerOrder.keys()].filter((id) => status.get(id) !== 'CONFIRMED');
  if (notConfirmed.length > 0) {
    violations.push(`${notConfirmed.length} completed payment(s) for an order not CONFIRMED: ${some(notConfirmed)}`);
  }
  const twice = [...paymentsPerOrder].filter(([, n]) => n > 1).map(([id]) => id);
  if (twice.length > 0)
    violations.push(`${twice.length} order(s) with more than one completed payment: ${some(twice)}`);
  const unpaid = orders.filter((o) => o.status === 'CONFIRMED' && !paymentsPerOrder.has(o.id)).map((o) => o.id);
  if (unpaid.length > 0)
    violations.push(`${unpaid.length} CONFIRMED order(s) without a completed payment: ${some(unpaid)}`);
  return violations;
}

/** Per customer, balance + completed payments is what the wallet started with. */
async function moneyInvariants({ payment }: SagaDatabases, initialBalances: Record<string, number>): Promise<string[]> {
  const ids = Object.keys(initialBalances);
  const wallets = await payment<{ id: string; balance_cents: number; paid: number }>(
    `SELECT c.id, c.balance_cents,
            coalesce((SELECT sum(p.amount_cents) FROM payments p WHERE p.customer_id = c.id AND p.status = 'COMPLETED'), 0)::float8 AS paid
       FROM customers c WHERE c.id = ANY($1::text[])`,
    [ids],
  );
  const violations: string[] = [];
  for (const [id, initial] of Object.entries(initialBalances)) {
    const wallet = wallets.find((w) => w.id === id);
    if (!wallet) violations.push(`customer ${id}: no such wallet`);
    else if (wallet.balance_cents + wallet.paid !== initial) {
      violations.push(
        `customer ${id}: balance ${wallet.balance_cents} + completed payments ${wallet.paid} = ${wallet.balance_cents + wallet.paid}, expected ${initial}`,
      );
    }
  }
  return violations;
}
