import { randomUUID } from 'node:crypto';
import type { Envelope } from '@passo/contracts';
import { joinUnitOfWork, runInUnitOfWork, type TransactionRunner, type SqlExecutor } from '@passo/outbox';
import * as Inventory from '@passo/prisma/inventory';
import * as Orchestrator from '@passo/prisma/orchestrator';
import * as Order from '@passo/prisma/order';
import * as Payment from '@passo/prisma/payment';
import { PrismaPg } from '@prisma/adapter-pg';
import { Client } from 'pg';
import { ReservationsRepository } from '../../apps/inventory-service/src/reservations/reservations.repository';
import { OrderSagaRepository } from '../../apps/order-service/src/saga/order-saga.repository';
import { PaymentsRepository } from '../../apps/payment-service/src/payments/payments.repository';
import { SagasRepository } from '../../apps/saga-orchestrator/src/runtime/sagas.repository';
import { testDatabase, waitingOnLocks } from '../support/databases';

/**
 * The participants' use cases on a consumed batch (BatchedEffect): the calls of a batch's orders
 * run as one or two statements, and each caller gets what running them one after the other in
 * that order would have given it — on the real PostgreSQL.
 */
type Client$ = TransactionRunner<SqlExecutor> & { $disconnect(): Promise<void> };

/** A service's database with a Prisma client that reports its statements. */
async function open<C extends Client$>(
  service: 'order' | 'inventory' | 'payment' | 'orchestrator',
  make: (adapter: PrismaPg) => C,
) {
  const db = await testDatabase(service);
  const client = make(new PrismaPg({ connectionString: db.url }));
  const statements: string[] = [];
  (client as unknown as { $on(e: 'query', f: (event: { query: string }) => void): void }).$on('query', (event) =>
    statements.push(event.query),
  );
  return { db, client, statements, close: async () => (await client.$disconnect(), await db.drop()) };
}
const log = [{ emit: 'event' as const, level: 'query' as const }];

/**
 * Runs each call in its own step of one batch unit of work, concurrently, as the transport runs
 * a batch's orders; resolves with every call's outcome and whether the unit committed.
 */
async function inOneBatch<Tx extends SqlExecutor, R>(db: TransactionRunner<Tx>, calls: Array<(tx: Tx) => Promise<R>>) {
  const messages = calls.map(() => ({ id: randomUUID(), correlationId: randomUUID() }) as Envelope);
  let outcomes: PromiseSettledResult<R>[] = [];
  const committed = await runInUnitOfWork(
    db,
    async () => {
      outcomes = await Promise.allSettled(calls.map((call) => joinUnitOfWork(db)!.step(call)));
      return true;
    },
    { batch: true, messages },
  ).catch(() => false);
  return { outcomes, committed, results: outcomes.map((o) => (o.status === 'fulfilled' ? o.value : o.reason)) };
}

const writes = (statements: string[]) => statements.filter((sql) => !/^(BEGIN|COMMIT|ROLLBACK)/.test(sql.trim()));

describe('payments: a batch of charges, of refunds', () => {
  let t: Awaited<ReturnType<typeof open<Payment.PrismaClient>>>;
  let payments: PaymentsRepository;
  beforeAll(async () => {
    t = await open('payment', (adapter) => new Payment.PrismaClient({ adapter, log }));
    payments = new PaymentsRepository(t.client);
  });
  afterAll(() => t.close());

  it('decides each charge against the balance the ones before it left, in two statements', async () => {
    const [rich, poor] = [`rich-${randomUUID()}`, `poor-${randomUUID()}`];
    await t.db.query(
      `INSERT INTO customers (id, balance_cents, updated_at) VALUES ($1, 500, now()), ($2, 100, now())`,
      [rich, poor],
    );
    const paidBefore = randomUUID();
    await t.client.$transaction((tx) =>
      payments.charge(tx, { id: randomUUID(), orderId: paidBefore, customerId: poor, amountCents: 50 }),
    );
    const charges = [
      [rich, 300],
      [poor, 200],
      [rich, 300],
      [`ghost-${randomUUID()}`, 10],
      [rich, 200],
      [poor, 50],
    ].map(([customerId, amountCents]) => ({
      id: randomUUID(),
      orderId: randomUUID(),
      customerId: String(customerId),
      amountCents: Number(amountCents),
    }));
    const again = { id: randomUUID(), orderId: paidBefore, customerId: poor, amountCents: 50 };
    t.statements.length = 0;
    const { results, committed } = await inOneBatch(
      t.client,
      [...charges, again].map((c) => (tx) => payments.charge(tx, c)),
    );
    expect(committed).toBe(true);
    expect(results.map((p) => (p ? [p.status, p.reason] : null))).toEqual([
      ['COMPLETED', null],
      ['FAILED', 'INSUFFICIENT_FUNDS'],
      ['FAILED', 'INSUFFICIENT_FUNDS'],
      ['FAILED', 'UNKNOWN_CUSTOMER'],
      ['COMPLETED', null],
      ['COMPLETED', null],
      null, // the order paid before: nothing written
    ]);
    expect(writes(t.statements)).toHaveLength(2);
    const balances = await t.db.query<{ id: string; balance_cents: number }>(
      'SELECT id, balance_cents FROM customers WHERE id = ANY($1) ORDER BY id COLLATE "C"',
      [[rich, poor]],
    );
    expect(balances.map((row) => [row.id, row.balance_cents])).toEqual([
      [poor, 0],
      [rich, 0],
    ]);
    expect(
      await t.db.query('SELECT 1 FROM payments WHERE order_id = ANY($1::uuid[])', [charges.map((c) => c.orderId)]),
    ).toHaveLength(6);
  });

  it('refunds each COMPLETED payment once, credits each wallet with the sum of its refunds, in one statement', async () => {
    const [ana, bo] = [`ana-${randomUUID()}`, `bo-${randomUUID()}`];
    await t.db.query(`INSERT INTO customers (id, balance_cents, updated_at) VALUES ($1, 0, now()), ($2, 0, now())`, [
      ana,
      bo,
    ]);
    const payment = async (customerId: string, amountCents: number, status: 'COMPLETED' | 'FAILED') => {
      const [id, orderId] = [randomUUID(), randomUUID()];
      await t.db.query(
        `INSERT INTO payments (id, order_id, customer_id, amount_cents, status, reason, updated_at)
         VALUES ($1, $2, $3, $4, $5::"PaymentStatus", $6::"PaymentFailureReason", now())`,
        [id, orderId, customerId, amountCents, status, status === 'FAILED' ? 'INSUFFICIENT_FUNDS' : null],
      );
      return { id, orderId };
    };
    const a1 = await payment(ana, 300, 'COMPLETED');
    const a2 = await payment(ana, 200, 'COMPLETED');
    const failed = await payment(ana, 999, 'FAILED');
    const b1 = await payment(bo, 50, 'COMPLETED');
    const wrongOrder = { id: b1.id, orderId: randomUUID() };
    t.statements.length = 0;
    const { results, committed } = await inOneBatch(
      t.client,
      [a1, a2, failed, wrongOrder, b1, a1].map((p) => (tx) => payments.refund(tx, p.id, p.orderId)),
    );
    expect(committed).toBe(true);
    expect(results.map((p) => (p ? [p.id, p.status, p.amountCents] : null))).toEqual([
      [a1.id, 'REFUNDED', 300],
      [a2.id, 'REFUNDED', 200],
      null, // FAILED: nothing to give back
      null, // not this order's payment
      [b1.id, 'REFUNDED', 50],
      null, // refunded already, by the first
    ]);
    expect(writes(t.statements)).toHaveLength(1);
    const balances = await t.db.query<{ id: string; balance_cents: number }>(
      'SELECT id, balance_cents FROM customers WHERE id = ANY($1) ORDER BY id COLLATE "C"',
      [[ana, bo]],
    );
    expect(balances.map((row) => [row.id, row.balance_cents])).toEqual([
      [ana, 500],
      [bo, 50],
    ]);
  });
});

describe('inventory: a batch of reservations, then of settlements, and of claims', () => {
  let t: Awaited<ReturnType<typeof open<Inventory.PrismaClient>>>;
  const reservations = new ReservationsRepository();
  beforeAll(async () => {
    t = await open('inventory', (adapter) => new Inventory.PrismaClient({ adapter, log }));
  });
  afterAll(() => t.close());

  const stockOf = async (skus: string[]) =>
    (
      await t.db.query<{ sku: string; available: number; reserved: number; sold: number }>(
        'SELECT sku, available, reserved, sold FROM products WHERE sku = ANY($1) ORDER BY sku',
        [skus],
      )
    ).map(({ sku, available, reserved, sold }) => [sku, available, reserved, sold]);

  it('reserves each order against the stock the ones before it left (first refused line in sku order), then settles them by sku sums', async () => {
    const tag = randomUUID().slice(0, 8);
    const [a, b, none] = [`A-${tag}`, `B-${tag}`, `0-none-${tag}`];
    await t.db.query(
      `INSERT INTO products (sku, price_cents, available, updated_at) VALUES ($1, 100, 5, now()), ($2, 250, 1, now())`,
      [a, b],
    );
    const reservedBefore = randomUUID();
    await t.client.$transaction((tx) => reservations.reserve(tx, reservedBefore, [{ sku: a, quantity: 1 }]));
    const orders = [
      [
        { sku: a, quantity: 2 },
        { sku: b, quantity: 1 },
      ],
      [{ sku: b, quantity: 1 }],
      [{ sku: a, quantity: 2 }],
      [
        { sku: none, quantity: 1 },
        { sku: a, quantity: 1 },
      ],
      [{ sku: a, quantity: 1 }],
    ].map((lines) => ({ orderId: randomUUID(), lines }));
    const calls = [...orders, { orderId: reservedBefore, lines: [{ sku: a, quantity: 1 }] }];
    t.statements.length = 0;
    const reserved = await inOneBatch(
      t.client,
      calls.map((o) => (tx) => reservations.reserve(tx, o.orderId, o.lines)),
    );
    expect(reserved.committed).toBe(true);
    expect(reserved.results).toEqual([
      {
        claimed: true,
        lines: [
          { sku: a, quantity: 2, priceCents: 100 },
          { sku: b, quantity: 1, priceCents: 250 },
        ],
      },
      { claimed: true, refused: 'OUT_OF_STOCK', sku: b },
      { claimed: true, lines: [{ sku: a, quantity: 2, priceCents: 100 }] },
      { claimed: true, refused: 'UNKNOWN_SKU', sku: none },
      { claimed: true, refused: 'OUT_OF_STOCK', sku: a },
      { claimed: false, lines: [] }, // reserved before: nothing written
    ]);
    expect(writes(t.statements)).toHaveLength(2);
    expect(await stockOf([a, b])).toEqual([
      [a, 0, 5, 0],
      [b, 0, 1, 0],
    ]);
    const statuses = await t.db.query<{ order_id: string; status: string; amount_cents: number }>(
      'SELECT order_id::text, status::text, amount_cents FROM reservations WHERE order_id = ANY($1::uuid[])',
      [orders.map((o) => o.orderId)],
    );
    const byOrder = Object.fromEntries(statuses.map((r) => [r.order_id, [r.status, r.amount_cents]]));
    expect(orders.map((o) => byOrder[o.orderId])).toEqual([
      ['RESERVED', 450],
      ['RELEASED', 0],
      ['RESERVED', 200],
      ['RELEASED', 0],
      ['RELEASED', 0],
    ]);

    t.statements.length = 0;
    const [sold, refused, released] = [orders[0]!, orders[1]!, orders[2]!];
    const settled = await inOneBatch(t.client, [
      (tx) => reservations.settle(tx, sold.orderId, 'SOLD'),
      (tx) => reservations.settle(tx, refused.orderId, 'RELEASED'),
      (tx) => reservations.settle(tx, released.orderId, 'RELEASED'),
      (tx) => reservations.settle(tx, reservedBefore, 'SOLD'),
    ]);
    expect(settled.results).toEqual([
      [
        { sku: a, quantity: 2, priceCents: 100 },
        { sku: b, quantity: 1, priceCents: 250 },
      ],
      null, // refused: nothing to settle
      [{ sku: a, quantity: 2, priceCents: 100 }],
      [{ sku: a, quantity: 1, priceCents: 100 }],
    ]);
    expect(writes(t.statements)).toHaveLength(1);
    expect(await stockOf([a, b])).toEqual([
      [a, 2, 0, 3],
      [b, 0, 0, 1],
    ]);
  });

  it('rolls the batch back (BatchNeedsSplit) when a concurrent transaction reserved one of its orders first', async () => {
    const sku = `C-${randomUUID().slice(0, 8)}`;
    await t.db.query(`INSERT INTO products (sku, price_cents, available, updated_at) VALUES ($1, 100, 10, now())`, [
      sku,
    ]);
    const [contested, other] = [randomUUID(), randomUUID()];
    const rival = new Client({ connectionString: t.db.url });
    await rival.connect();
    try {
      await rival.query('BEGIN');
      await rival.query(
        `INSERT INTO reservations (order_id, status, amount_cents, updated_at) VALUES ($1, 'RELEASED', 0, now())`,
        [contested],
      );
      const batch = inOneBatch(t.client, [
        (tx) => reservations.reserve(tx, contested, [{ sku, quantity: 1 }]),
        (tx) => reservations.reserve(tx, other, [{ sku, quantity: 1 }]),
      ]);
      // The batch's INSERT waits for the rival's row; once the rival commits, it inserts nothing for it.
      await waitingOnLocks(t.db);
      await rival.query('COMMIT');
      const { committed, results } = await batch;
      expect(committed).toBe(false);
      expect(String(results[0])).toMatch(/concurrent transaction reserved one of the orders first: running the batch/);
      expect(await stockOf([sku])).toEqual([[sku, 10, 0, 0]]);
      expect(await t.db.query('SELECT 1 FROM reservations WHERE order_id = $1', [other])).toHaveLength(0);
    } finally {
      await rival.end();
    }
  });

  it('claims each order once, in one statement: an order claimed before, or twice in the batch, gets false', async () => {
    const [before, a, b] = [randomUUID(), randomUUID(), randomUUID()];
    await t.client.$transaction((tx) => reservations.claim(tx, before, 'RELEASED'));
    t.statements.length = 0;
    const { results, committed } = await inOneBatch(
      t.client,
      [a, before, b, a].map((orderId) => (tx) => reservations.claim(tx, orderId, 'RELEASED')),
    );
    expect(committed).toBe(true);
    expect(results).toEqual([true, false, true, false]);
    expect(writes(t.statements)).toHaveLength(1);
    const rows = await t.db.query<{ status: string }>(
      'SELECT status::text FROM reservations WHERE order_id = ANY($1::uuid[])',
      [[a, b, before]],
    );
    expect(rows.map((r) => r.status)).toEqual(['RELEASED', 'RELEASED', 'RELEASED']);
  });
});

describe('orders: a batch of outcomes and of prices', () => {
  let t: Awaited<ReturnType<typeof open<Order.PrismaClient>>>;
  const orders = new OrderSagaRepository();
  beforeAll(async () => {
    t = await open('order', (adapter) => new Order.PrismaClient({ adapter, log }));
  });
  afterAll(() => t.close());

  async function placed(mode: 'choreography' | 'orchestration', status = 'PENDING'): Promise<string> {
    const id = randomUUID();
    await t.db.query(
      `INSERT INTO orders (id, customer_id, saga_mode, status, updated_at) VALUES ($1, 'c', $2, $3::"OrderStatus", now())`,
      [id, mode, status],
    );
    await t.db.query(
      `INSERT INTO order_lines (order_id, position, sku, quantity) VALUES ($1, 0, 'A', 1), ($1, 1, 'B', 2)`,
      [id],
    );
    return id;
  }
  const rowOf = async (id: string) =>
    (
      await t.db.query(
        'SELECT status::text, total_cents, cancellation_reason::text AS reason FROM orders WHERE id = $1',
        [id],
      )
    )[0];

  it('prices, then confirms and cancels the orders of a batch with one statement each, only from PENDING', async () => {
    const [a, b, settled] = [
      await placed('choreography'),
      await placed('choreography'),
      await placed('choreography', 'CONFIRMED'),
    ];
    t.statements.length = 0;
    const priced = await inOneBatch(t.client, [
      (tx) =>
        orders.recordPrices(
          tx,
          a,
          500,
          new Map([
            ['A', 100],
            ['B', 200],
          ]),
        ),
      (tx) =>
        orders.recordPrices(
          tx,
          b,
          700,
          new Map([
            ['A', 300],
            ['B', 200],
          ]),
        ),
    ]);
    expect(priced.committed).toBe(true);
    const outcomes = await inOneBatch(t.client, [
      (tx) => orders.confirm(tx, { orderId: a, sagaMode: 'choreography', totalCents: 500 }),
      (tx) => orders.cancel(tx, { orderId: b, sagaMode: 'choreography', reason: 'INSUFFICIENT_FUNDS' }),
      (tx) => orders.confirm(tx, { orderId: settled, sagaMode: 'choreography', totalCents: 1 }),
      (tx) => orders.cancel(tx, { orderId: randomUUID(), sagaMode: 'choreography', reason: 'TIMEOUT' }),
    ]);
    expect([outcomes.committed, outcomes.results]).toEqual([true, [true, true, false, false]]);
    expect(writes(t.statements)).toHaveLength(2);
    expect([await rowOf(a), await rowOf(b), await rowOf(settled)]).toEqual([
      { status: 'CONFIRMED', total_cents: 500, reason: null },
      { status: 'CANCELLED', total_cents: 700, reason: 'INSUFFICIENT_FUNDS' },
      { status: 'CONFIRMED', total_cents: null, reason: null },
    ]);
    const prices = await t.db.query<{ order_id: string; sku: string; price_cents: number }>(
      'SELECT order_id::text, sku, price_cents FROM order_lines WHERE order_id = ANY($1::uuid[]) ORDER BY order_id = $2 DESC, sku',
      [[a, b], a],
    );
    expect(prices.map((p) => [p.order_id, p.sku, p.price_cents])).toEqual([
      [a, 'A', 100],
      [a, 'B', 200],
      [b, 'A', 300],
      [b, 'B', 200],
    ]);
  });

  it('refuses only the outcome of the other saga mode (dead letter), and the batch rolls back whole', async () => {
    const [ok, orchestrated] = [await placed('choreography'), await placed('orchestration')];
    const { committed, results } = await inOneBatch(t.client, [
      (tx) => orders.confirm(tx, { orderId: ok, sagaMode: 'choreography', totalCents: 5 }),
      (tx) => orders.confirm(tx, { orderId: orchestrated, sagaMode: 'choreography', totalCents: 5 }),
    ]);
    expect(committed).toBe(false);
    expect(results[0]).toBe(true);
    expect(String(results[1])).toMatch(/runs in orchestration: a choreography outcome cannot settle it/);
    expect([(await rowOf(ok))!.status, (await rowOf(orchestrated))!.status]).toEqual(['PENDING', 'PENDING']);
  });
});

describe('orchestrator: a batch of steps that changed nothing', () => {
  let t: Awaited<ReturnType<typeof open<Orchestrator.PrismaClient>>>;
  let sagas: SagasRepository;
  beforeAll(async () => {
    t = await open('orchestrator', (adapter) => new Orchestrator.PrismaClient({ adapter, log }));
    sagas = new SagasRepository(t.client);
  });
  afterAll(() => t.close());

  it("logs every saga's step in one statement, in the order they were logged", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await t.db.query(
      `INSERT INTO saga_instances (order_id, state, data, deadline, updated_at)
       VALUES ($1, 'CANCELLED', '{}', now(), now()), ($2, 'CONFIRMED', '{}', now(), now())`,
      [a, b],
    );
    const step = (name: string) => ({ name, status: 'CANCELLED', detail: { transition: name } });
    t.statements.length = 0;
    const { committed } = await inOneBatch(
      t.client,
      [
        [a, 'StockReleased'],
        [b, 'OrderConfirmed'],
        [a, 'PaymentRefunded'],
      ].map(
        ([orderId, name]) =>
          (tx) =>
            sagas.appendStep(tx, orderId!, step(name!)),
      ),
    );
    expect(committed).toBe(true);
    expect(writes(t.statements)).toHaveLength(1);
    const rows = await t.db.query<{ order_id: string; name: string; detail: { transition: string } }>(
      'SELECT order_id::text, name, detail FROM saga_steps WHERE order_id = ANY($1::uuid[]) ORDER BY id',
      [[a, b]],
    );
    expect(rows.map((r) => [r.order_id, r.name, r.detail.transition])).toEqual([
      [a, 'StockReleased', 'StockReleased'],
      [b, 'OrderConfirmed', 'OrderConfirmed'],
      [a, 'PaymentRefunded', 'PaymentRefunded'],
    ]);
  });
});
