import type { AuditDatabases } from './types';

// What the audit reads, as plain rows. Ages are by each database's own clock (the clock that
// wrote the timestamps), in milliseconds.

export interface OrderRow {
  id: string;
  customerId: string;
  status: 'PENDING' | 'CONFIRMED' | 'CANCELLED';
  sagaMode: 'choreography' | 'orchestration';
  /** Since placement. */
  ageMs: number;
  /** Since the last change of the row (for a settled order: its settlement). */
  idleMs: number;
}

export interface ReservationRow {
  orderId: string;
  status: 'RESERVED' | 'RELEASED' | 'SOLD';
  skus: string[];
  idleMs: number;
}

export interface PaymentRow {
  id: string;
  orderId: string;
  customerId: string;
  amountCents: number;
  status: 'COMPLETED' | 'REFUNDED' | 'FAILED';
  idleMs: number;
}

export interface ProductRow {
  sku: string;
  available: number;
  reserved: number;
  sold: number;
  /** Sums of the lines of RESERVED and of SOLD reservations. */
  reservedLines: number;
  soldLines: number;
}

export interface WalletRow {
  id: string;
  balanceCents: number;
  completedCents: number;
}

export interface OutboxRow {
  service: 'order-service' | 'inventory-service' | 'payment-service' | 'saga-orchestrator';
  type: string;
  orderId: string;
  published: boolean;
  parked: boolean;
  lastError: string | null;
}

export interface SagaRow {
  orderId: string;
  state: string;
}

export interface Snapshot {
  orders: OrderRow[];
  reservations: ReservationRow[];
  payments: PaymentRow[];
  products: ProductRow[];
  wallets: WalletRow[];
  /** Only of the orders asked about (the unsettled ones). */
  outbox: OutboxRow[];
  /** null: the orchestrator's database was not given. */
  sagas: SagaRow[] | null;
}

const MS = (column: string) => `(extract(epoch FROM now() - ${column}) * 1000)::float8`;

/**
 * The effects are read before the orders: an order commits before anything acts on it, so
 * every effect read has its order in the later read, and a live system shows no false ghosts.
 * Each check that compares two tables of one database reads them in one statement (one snapshot).
 */
export async function readEffects(db: AuditDatabases): Promise<Omit<Snapshot, 'orders' | 'outbox'>> {
  const products = await db.inventory<ProductRow>(
    `SELECT p.sku, p.available, p.reserved, p.sold,
            coalesce(sum(l.quantity) FILTER (WHERE r.status = 'RESERVED'), 0)::int AS "reservedLines",
            coalesce(sum(l.quantity) FILTER (WHERE r.status = 'SOLD'), 0)::int AS "soldLines"
       FROM products p
       LEFT JOIN reservation_lines l ON l.sku = p.sku
       LEFT JOIN reservations r ON r.order_id = l.order_id
      GROUP BY p.sku ORDER BY p.sku`,
  );
  const reservations = await db.inventory<ReservationRow>(
    `SELECT r.order_id::text AS "orderId", r.status::text AS status, ${MS('r.updated_at')} AS "idleMs",
            coalesce(array_agg(DISTINCT l.sku) FILTER (WHERE l.sku IS NOT NULL), '{}') AS skus
       FROM reservations r LEFT JOIN reservation_lines l ON l.order_id = r.order_id
      GROUP BY r.ctid, r.order_id, r.status, r.updated_at ORDER BY r.order_id`,
  );
  const wallets = await db.payment<WalletRow>(
    `SELECT c.id, c.balance_cents AS "balanceCents",
            coalesce((SELECT sum(p.amount_cents) FROM payments p WHERE p.customer_id = c.id AND p.status = 'COMPLETED'), 0)::float8 AS "completedCents"
       FROM customers c ORDER BY c.id`,
  );
  const payments = await db.payment<PaymentRow>(
    `SELECT id::text, order_id::text AS "orderId", customer_id AS "customerId", amount_cents AS "amountCents",
            status::text AS status, ${MS('updated_at')} AS "idleMs"
       FROM payments ORDER BY order_id, id`,
  );
  const sagas = db.orchestrator
    ? await db.orchestrator<SagaRow>(`SELECT order_id::text AS "orderId", state FROM saga_instances`)
    : null;
  return { products, reservations, wallets, payments, sagas };
}

export async function readOrders(db: AuditDatabases): Promise<OrderRow[]> {
  return db.order<OrderRow>(
    `SELECT id::text, customer_id AS "customerId", status::text AS status, saga_mode::text AS "sagaMode",
            ${MS('created_at')} AS "ageMs", ${MS('updated_at')} AS "idleMs"
       FROM orders ORDER BY created_at, id`,
  );
}

/** Every outbox row, published or not, about these orders (the correlation id is the order id). */
export async function readOutbox(db: AuditDatabases, orderIds: string[]): Promise<OutboxRow[]> {
  if (orderIds.length === 0) return [];
  const services = [
    ['order-service', db.order],
    ['inventory-service', db.inventory],
    ['payment-service', db.payment],
    ['saga-orchestrator', db.orchestrator],
  ] as const;
  const rows: OutboxRow[] = [];
  for (const [service, query] of services) {
    if (!query) continue;
    const found = await query<Omit<OutboxRow, 'service'>>(
      `SELECT type, correlation_id AS "orderId", published_at IS NOT NULL AS published,
              parked_at IS NOT NULL AS parked, last_error AS "lastError"
         FROM outbox_messages WHERE correlation_id = ANY($1::text[]) ORDER BY sequence`,
      [orderIds],
    );
    rows.push(...found.map((row) => ({ service, ...row })));
  }
  return rows;
}
