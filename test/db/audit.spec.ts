import { randomUUID } from 'node:crypto';
import { audit, checkInvariants, openReadOnly, type AuditOptions, type Violation } from '../../tools/audit';
import { runScript } from '../support/cli';
import { testDatabase, type TestDatabase } from '../support/databases';

/**
 * The auditor the e2e tests, `npm run compare` and operators trust, shown to catch each
 * violation it looks for: a consistent world planted by hand audits clean, then one fault at a
 * time is planted in it and must be reported, alone, with its kind and exactly its ids. Planted
 * rows are two minutes old, past the live deadline (30 s), unless a test says otherwise.
 */
describe('auditor (Failure semantics 1–4) on planted data', () => {
  let order: TestDatabase;
  let inventory: TestDatabase;
  let payment: TestDatabase;
  let orchestrator: TestDatabase;
  const [sold, cancelled] = [randomUUID(), randomUUID()];
  const [soldPayment, failedPayment] = [randomUUID(), randomUUID()];
  const SKU = 'PLANTED-1';
  const ALICE = 'alice';
  const STOCK = { [SKU]: 10 };
  const BALANCES = { [ALICE]: 1_000 };
  const OLD = `now() - interval '2 minutes'`;

  beforeEach(async () => {
    [order, inventory, payment, orchestrator] = await Promise.all([
      testDatabase('order'),
      testDatabase('inventory'),
      testDatabase('payment'),
      testDatabase('orchestrator'),
    ]);
    // One order confirmed and paid (2 units at 100), one orchestrated and cancelled for funds (its stock released).
    await order.query(
      `INSERT INTO orders (id, customer_id, status, saga_mode, total_cents, cancellation_reason, created_at, updated_at) VALUES
        ($1, $3, 'CONFIRMED', 'choreography', 200, NULL, ${OLD}, ${OLD}),
        ($2, $3, 'CANCELLED', 'orchestration', 100, 'INSUFFICIENT_FUNDS', ${OLD}, ${OLD})`,
      [sold, cancelled, ALICE],
    );
    await orchestrator.query(
      `INSERT INTO saga_instances (order_id, state, deadline, updated_at) VALUES ($1, 'CANCELLED', now(), ${OLD})`,
      [cancelled],
    );
    await inventory.query(
      `INSERT INTO products (sku, price_cents, available, reserved, sold, updated_at) VALUES ($1, 100, 8, 0, 2, ${OLD})`,
      [SKU],
    );
    await inventory.query(
      `INSERT INTO reservations (order_id, status, amount_cents, updated_at) VALUES
        ($1, 'SOLD', 200, ${OLD}), ($2, 'RELEASED', 100, ${OLD})`,
      [sold, cancelled],
    );
    await inventory.query(
      `INSERT INTO reservation_lines (order_id, sku, quantity, price_cents) VALUES ($1, $3, 2, 100), ($2, $3, 1, 100)`,
      [sold, cancelled, SKU],
    );
    await payment.query(`INSERT INTO customers (id, balance_cents, updated_at) VALUES ($1, 800, ${OLD})`, [ALICE]);
    await payment.query(
      `INSERT INTO payments (id, order_id, customer_id, amount_cents, status, reason, updated_at) VALUES
        ($1, $3, $5, 200, 'COMPLETED', NULL, ${OLD}),
        ($2, $4, $5, 100, 'FAILED', 'INSUFFICIENT_FUNDS', ${OLD})`,
      [soldPayment, failedPayment, sold, cancelled, ALICE],
    );
  });
  afterEach(async () => {
    await Promise.all([order, inventory, payment, orchestrator].map((db) => db?.drop()));
  });

  const databases = () => ({
    order: order.query,
    inventory: inventory.query,
    payment: payment.query,
    orchestrator: orchestrator.query,
  });
  const violations = async (options: AuditOptions = {}) => (await audit(databases(), options)).violations;
  const withTotals = (options: AuditOptions = {}) =>
    violations({ stockTotals: STOCK, initialBalances: BALANCES, ...options });

  /** Exactly one violation, of this kind, naming exactly these ids (the rest empty). */
  const only = (kind: Violation['kind'], ids: Partial<Omit<Violation, 'kind' | 'message'>>, message: RegExp) => [
    {
      kind,
      orderIds: ids.orderIds ?? [],
      skus: ids.skus ?? [],
      customerIds: ids.customerIds ?? [],
      paymentIds: ids.paymentIds ?? [],
      message: expect.stringMatching(message),
    },
  ];

  // Orders placed in one millisecond come in either order: compare those as sorted lists.
  const kindsAndOrders = (found: Pick<Violation, 'kind' | 'orderIds'>[]) =>
    found.map((v) => `${v.kind} ${v.orderIds.join(',')}`).sort();
  const unsettled = (...ids: string[]) => ids.map((id) => ({ kind: 'unsettled-order' as const, orderIds: [id] }));
  const about = (found: Violation[], orderId: string) =>
    found.find((v) => v.orderIds.length === 1 && v.orderIds[0] === orderId)?.message;

  const placeOrder = async (status: string, mode = 'choreography', age = OLD, customer = ALICE) => {
    const id = randomUUID();
    await order.query(
      `INSERT INTO orders (id, customer_id, status, saga_mode, created_at, updated_at) VALUES ($1, $2, $3, $4, ${age}, ${age})`,
      [id, customer, status, mode],
    );
    return id;
  };
  const outboxRow = (db: TestDatabase, type: string, orderId: string, state: 'published' | 'pending' | 'parked') =>
    db.query(
      `INSERT INTO outbox_messages (id, subject, type, payload, correlation_id, published_at, parked_at, last_error)
       VALUES ($1, 'x.event.y.v1', $2, '{}', $3, ${state === 'published' ? 'now()' : 'NULL'},
               ${state === 'parked' ? 'now()' : 'NULL'}, ${state === 'parked' ? `'no stream for subject'` : 'NULL'})`,
      [randomUUID(), type, orderId],
    );
  /** One unit of SKU reserved for `orderId` (counters kept consistent). */
  const reserveOne = async (orderId: string, status = 'RESERVED', age = OLD) => {
    const counter = status === 'RESERVED' ? 'reserved' : status === 'SOLD' ? 'sold' : undefined;
    if (counter) await inventory.query(`UPDATE products SET available = available - 1, ${counter} = ${counter} + 1`);
    await inventory.query(
      `INSERT INTO reservations (order_id, status, amount_cents, updated_at) VALUES ($1, $2, 100, ${age})`,
      [orderId, status],
    );
    await inventory.query(
      `INSERT INTO reservation_lines (order_id, sku, quantity, price_cents) VALUES ($1, $2, 1, 100)`,
      [orderId, SKU],
    );
  };
  /** A payment of 100 for `orderId` (the wallet kept consistent). */
  const charge = async (orderId: string, status = 'COMPLETED', customer = ALICE) => {
    const id = randomUUID();
    if (status === 'COMPLETED') await payment.query(`UPDATE customers SET balance_cents = balance_cents - 100`);
    await payment.query(
      `INSERT INTO payments (id, order_id, customer_id, amount_cents, status, updated_at) VALUES ($1, $2, $3, 100, $4, ${OLD})`,
      [id, orderId, customer, status],
    );
    return id;
  };

  it('finds nothing wrong in the consistent world, with the totals, without, and as checkInvariants', async () => {
    expect(await violations()).toEqual([]);
    expect(await withTotals()).toEqual([]);
    expect(await withTotals({ deadlineMs: 0, graceMs: 0 })).toEqual([]);
    expect(await checkInvariants(databases(), STOCK, BALANCES)).toEqual([]);
    expect((await audit(databases())).counts).toEqual({
      orders: 2,
      inFlight: 0,
      reservations: 2,
      payments: 2,
      products: 1,
      customers: 1,
    });
  });

  describe('unsettled orders (1): PENDING past the deadline, and why', () => {
    it('no OrderPlaced recorded at all: the event was lost (publish-after-commit)', async () => {
      const id = await placeOrder('PENDING');
      expect(await withTotals()).toEqual(
        only(
          'unsettled-order',
          { orderIds: [id], customerIds: [ALICE] },
          new RegExp(
            `^order ${id} \\(choreography, customer alice\\) PENDING for 1[12]\\d\\.\\d s, deadline 30\\.0 s: ` +
              `no OrderPlaced recorded \\(nothing in order-service's outbox, no reservation\\)$`,
          ),
        ),
      );
    });

    it("no OrderPlaced left past the relays' retention: it may have been deleted, not lost", async () => {
      const id = await placeOrder('PENDING');
      expect(await withTotals({ retentionMs: 60_000 })).toEqual(
        only(
          'unsettled-order',
          { orderIds: [id], customerIds: [ALICE] },
          new RegExp(
            `: no OrderPlaced left in order-service's outbox \\(published rows are deleted after 60\\.0 s\\), no reservation$`,
          ),
        ),
      );
    });

    it('OrderPlaced never published, or parked', async () => {
      const [pending, parked] = [await placeOrder('PENDING'), await placeOrder('PENDING')];
      await outboxRow(order, 'OrderPlaced', pending, 'pending');
      await outboxRow(order, 'OrderPlaced', parked, 'parked');
      const found = await withTotals();
      expect(kindsAndOrders(found)).toEqual(kindsAndOrders(unsettled(pending, parked)));
      expect(about(found, pending)).toMatch(/: OrderPlaced never published \(still in order-service's outbox\)$/);
      expect(about(found, parked)).toMatch(/: OrderPlaced parked in order-service's outbox \(no stream for subject\)$/);
    });

    it('stock reserved but no payment; StockReserved never published', async () => {
      const [unpaid, unannounced] = [await placeOrder('PENDING'), await placeOrder('PENDING')];
      for (const id of [unpaid, unannounced]) {
        await outboxRow(order, 'OrderPlaced', id, 'published');
        await reserveOne(id);
      }
      await outboxRow(inventory, 'StockReserved', unpaid, 'published');
      await outboxRow(inventory, 'StockReserved', unannounced, 'pending');
      const found = await violations({ stockTotals: STOCK });
      expect(kindsAndOrders(found)).toEqual(kindsAndOrders(unsettled(unpaid, unannounced)));
      expect(found.map((v) => [v.skus, v.customerIds, v.paymentIds])).toEqual([
        [[SKU], [ALICE], []],
        [[SKU], [ALICE], []],
      ]);
      expect(about(found, unpaid)).toMatch(/: stock reserved but no payment$/);
      expect(about(found, unannounced)).toMatch(
        /: StockReserved never published \(still in inventory-service's outbox\)$/,
      );
    });

    it('payment completed but order not settled', async () => {
      const id = await placeOrder('PENDING');
      await outboxRow(order, 'OrderPlaced', id, 'published');
      await reserveOne(id);
      const paid = await charge(id);
      expect(await withTotals()).toEqual(
        only(
          'unsettled-order',
          { orderIds: [id], skus: [SKU], customerIds: [ALICE], paymentIds: [paid] },
          /: payment completed but order not settled$/,
        ),
      );
    });

    it("an orchestrated order: the saga's state, or that there is none", async () => {
      const [cancelledSaga, noSaga] = [
        await placeOrder('PENDING', 'orchestration'),
        await placeOrder('PENDING', 'orchestration'),
      ];
      await outboxRow(order, 'OrderPlaced', cancelledSaga, 'published');
      await outboxRow(order, 'OrderPlaced', noSaga, 'published');
      await orchestrator.query(
        `INSERT INTO saga_instances (order_id, state, deadline, updated_at) VALUES ($1, 'CANCELLED', now(), now())`,
        [cancelledSaga],
      );
      const found = await withTotals();
      expect(kindsAndOrders(found)).toEqual(kindsAndOrders(unsettled(cancelledSaga, noSaga)));
      expect(about(found, cancelledSaga)).toMatch(
        /deadline 40\.0 s: OrderPlaced published, but no reservation recorded; its saga is CANCELLED$/,
      );
      expect(about(found, noSaga)).toMatch(
        /: OrderPlaced published, but no reservation recorded; no saga in saga-orchestrator$/,
      );
    });

    it('leaves sagas within their deadline alone (orchestrated ones get the grace), unless told all settled', async () => {
      const fresh = await placeOrder('PENDING', 'choreography', 'now()');
      const graced = await placeOrder('PENDING', 'orchestration', `now() - interval '35 seconds'`);
      await reserveOne(fresh, 'RESERVED', 'now()');
      const { violations: live, counts } = await audit(databases(), { stockTotals: STOCK });
      expect(live).toEqual([]);
      expect(counts.inFlight).toBe(2);
      const settled = await violations({ stockTotals: STOCK, deadlineMs: 0, graceMs: 0 });
      expect(settled.map((v) => [v.kind, v.orderIds])).toEqual([
        ['unsettled-order', [graced]],
        ['unsettled-order', [fresh]],
      ]);
    });
  });

  describe('ghost effects (2, 3)', () => {
    it('a payment and a reservation of an order that does not exist', async () => {
      const ghost = randomUUID();
      await reserveOne(ghost);
      const paid = await charge(ghost);
      const found = await violations();
      expect(found).toEqual([
        ...only(
          'ghost-effect',
          { orderIds: [ghost], skus: [SKU] },
          /RESERVED \(stock held: PLANTED-1\), but no such order$/,
        ),
        ...only(
          'ghost-effect',
          { orderIds: [ghost], customerIds: [ALICE], paymentIds: [paid] },
          new RegExp(
            `^payment ${paid} of order ${ghost} COMPLETED \\(customer alice, 100 cents\\), but no such order$`,
          ),
        ),
      ]);
    });

    it('money kept and stock held for a CANCELLED order', async () => {
      await payment.query(`UPDATE payments SET status = 'COMPLETED', reason = NULL WHERE order_id = $1`, [cancelled]);
      await payment.query(`UPDATE customers SET balance_cents = 700`);
      await inventory.query(`UPDATE reservations SET status = 'SOLD' WHERE order_id = $1`, [cancelled]);
      await inventory.query(`UPDATE products SET available = 7, sold = 3`);
      const found = await withTotals();
      expect(found).toEqual([
        ...only(
          'ghost-effect',
          { orderIds: [cancelled], skus: [SKU], customerIds: [ALICE] },
          /still SOLD .* CANCELLED$/,
        ),
        ...only(
          'ghost-effect',
          { orderIds: [cancelled], customerIds: [ALICE], paymentIds: [failedPayment] },
          /COMPLETED .*not refunded\), but the order is CANCELLED$/,
        ),
      ]);
    });

    it('waits for a compensation still in flight (a cancel written just now), unless told all settled', async () => {
      const id = await placeOrder('CANCELLED', 'choreography', 'now()');
      await reserveOne(id, 'RESERVED', 'now()');
      expect(await withTotals()).toEqual([]);
      expect(await withTotals({ deadlineMs: 0 })).toEqual(
        only('ghost-effect', { orderIds: [id], skus: [SKU], customerIds: [ALICE] }, /still RESERVED/),
      );
    });
  });

  describe('double effects (2): the schema forbids them, the auditor does not rely on it', () => {
    it('an order charged twice', async () => {
      await payment.query(`DROP INDEX payments_order_id_key`);
      const again = await charge(sold);
      expect(await withTotals()).toEqual(
        only(
          'double-effect',
          { orderIds: [sold], customerIds: [ALICE], paymentIds: [soldPayment, again].sort() },
          /has 2 completed payments .*300 cents in all\)$/,
        ),
      );
    });

    it('an order reserved twice', async () => {
      await inventory.query(`ALTER TABLE reservation_lines DROP CONSTRAINT reservation_lines_order_id_fkey`);
      await inventory.query(`ALTER TABLE reservations DROP CONSTRAINT reservations_pkey`);
      await inventory.query(
        `INSERT INTO reservations (order_id, status, amount_cents, updated_at) VALUES ($1, 'RELEASED', 200, ${OLD})`,
        [sold],
      );
      expect(await withTotals()).toEqual(
        only(
          'double-effect',
          { orderIds: [sold], skus: [SKU] },
          /has 2 reservations \((SOLD, RELEASED|RELEASED, SOLD)\)$/,
        ),
      );
    });
  });

  describe('confirmations without their effects (1, 3)', () => {
    it('CONFIRMED without a completed payment (refunded)', async () => {
      await payment.query(`UPDATE payments SET status = 'REFUNDED' WHERE order_id = $1`, [sold]);
      await payment.query(`UPDATE customers SET balance_cents = 1000`);
      expect(await withTotals()).toEqual(
        only(
          'unbacked-confirmation',
          { orderIds: [sold], skus: [SKU], customerIds: [ALICE], paymentIds: [soldPayment] },
          /CONFIRMED without a completed payment \(its payment is REFUNDED\)$/,
        ),
      );
    });

    it('CONFIRMED without SOLD stock (released)', async () => {
      await inventory.query(`UPDATE reservations SET status = 'RELEASED' WHERE order_id = $1`, [sold]);
      await inventory.query(`UPDATE products SET available = 10, sold = 0`);
      expect(await withTotals()).toEqual(
        only(
          'unbacked-confirmation',
          { orderIds: [sold], skus: [SKU], customerIds: [ALICE], paymentIds: [soldPayment] },
          /CONFIRMED without SOLD stock \(its reservation is RELEASED\)$/,
        ),
      );
    });
  });

  describe('stock not conserved (3)', () => {
    it('a SKU it was told about that does not exist', async () => {
      expect(await violations({ stockTotals: { ...STOCK, 'NO-SUCH-SKU': 5 } })).toEqual(
        only('stock-not-conserved', { skus: ['NO-SUCH-SKU'] }, /^SKU NO-SUCH-SKU: no such product$/),
      );
    });

    it('stock that appeared from nowhere (against the restocked total; invisible without it)', async () => {
      await inventory.query(`UPDATE products SET available = available + 1`);
      expect(await violations()).toEqual([]);
      expect(await withTotals()).toEqual(
        only(
          'stock-not-conserved',
          { skus: [SKU] },
          /^SKU PLANTED-1: available 9 \+ reserved 0 \+ sold 2 = 11, expected 10$/,
        ),
      );
    });

    it('stock held reserved that no RESERVED reservation accounts for (without totals)', async () => {
      await inventory.query(`UPDATE products SET available = 7, reserved = 1`);
      expect(await violations()).toEqual(
        only('stock-not-conserved', { skus: [SKU] }, /^SKU PLANTED-1: reserved 1, but RESERVED reservations hold 0$/),
      );
    });

    it('units sold that no SOLD reservation accounts for (without totals)', async () => {
      await inventory.query(`UPDATE products SET available = 7, sold = 3`);
      expect(await violations()).toEqual(
        only('stock-not-conserved', { skus: [SKU] }, /^SKU PLANTED-1: sold 3, but SOLD reservations hold 2$/),
      );
    });
  });

  describe('money not conserved (3)', () => {
    it('a customer it was told about that has no wallet', async () => {
      expect(await violations({ initialBalances: { ...BALANCES, bob: 500 } })).toEqual(
        only('money-not-conserved', { customerIds: ['bob'] }, /^customer bob: no such wallet$/),
      );
    });

    it('money that appeared (against the starting balance; invisible without it)', async () => {
      await payment.query(`UPDATE customers SET balance_cents = 900`);
      expect(await violations()).toEqual([]);
      expect(await withTotals()).toEqual(
        only(
          'money-not-conserved',
          { customerIds: [ALICE] },
          /^customer alice: balance 900 \+ completed payments 200 = 1100, expected 1000$/,
        ),
      );
    });

    it('a negative balance (without the starting balance)', async () => {
      await payment.query(`UPDATE customers SET balance_cents = -5`);
      expect(await violations()).toEqual(
        only('money-not-conserved', { customerIds: [ALICE] }, /^customer alice: negative balance -5$/),
      );
    });
  });

  it('reads through connections that refuse to write', async () => {
    const opened = await openReadOnly({
      order: order.url,
      inventory: inventory.url,
      payment: payment.url,
      orchestrator: orchestrator.url,
    });
    try {
      await expect(opened.databases.payment(`UPDATE customers SET balance_cents = 0`)).rejects.toThrow(
        /cannot execute UPDATE in a read-only transaction/,
      );
      await expect(opened.databases.order(`DELETE FROM orders`)).rejects.toThrow(/read-only transaction/);
      expect(await audit(opened.databases)).toMatchObject({ violations: [] });
    } finally {
      await opened.close();
    }
    expect(await payment.query(`SELECT balance_cents FROM customers`)).toEqual([{ balance_cents: 800 }]);
  });

  describe('npm run audit', () => {
    const cli = (args: string[] = [], env: Record<string, string> = {}) =>
      runScript('audit', args, {
        ORDER_DATABASE_URL: order.url,
        INVENTORY_DATABASE_URL: inventory.url,
        PAYMENT_DATABASE_URL: payment.url,
        ORCHESTRATOR_DATABASE_URL: orchestrator.url,
        ...env,
      });

    it('exits 0 on a clean system, 1 with the violations grouped by kind, and prints the records with --json', async () => {
      expect(await cli()).toEqual({
        code: 0,
        out: 'audit: no violations in 2 orders (order, inventory, payment, orchestrator databases read)\n',
        err: '',
      });
      const lost = await placeOrder('PENDING');
      await payment.query(`UPDATE customers SET balance_cents = 900`);
      const dirty = await cli(['--balance', `${ALICE}=1000`, '--stock', `${SKU}=10`]);
      expect(dirty.code).toBe(1);
      expect(dirty.out.split('\n')).toEqual([
        'audit: 2 violations in 3 orders (order, inventory, payment, orchestrator databases read)',
        '  unsettled orders (1):',
        expect.stringMatching(
          new RegExp(
            `^    order ${lost} .*: no OrderPlaced recorded \\(nothing in order-service's outbox, no reservation\\)$`,
          ),
        ),
        '  money not conserved (1):',
        '    customer alice: balance 900 + completed payments 200 = 1100, expected 1000',
        '',
      ]);
      const json = await cli(['--json', '--deadline-ms', '3600000']);
      expect(json.code).toBe(0); // an hour's deadline: the order is in flight, the wallet unjudged
      expect(JSON.parse(json.out)).toMatchObject({ violations: [], counts: { orders: 3, inFlight: 1 } });
      const records = await cli(['--json']);
      expect(records.code).toBe(1);
      expect(JSON.parse(records.out).violations).toEqual(
        only('unsettled-order', { orderIds: [lost], customerIds: [ALICE] }, /no OrderPlaced recorded/),
      );
    });

    it('exits 2 naming the database it cannot read, and for a bad option', async () => {
      const down = await cli([], { PAYMENT_DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:1/passo_payment' });
      expect(down.code).toBe(2);
      expect(down.err).toMatch(
        /^\[audit\] cannot read the payment database: .*ECONNREFUSED.* \(set PAYMENT_DATABASE_URL/,
      );
      expect(down.err).not.toContain('secret');
      expect(down.out).toBe('');
      const bad = await cli(['--deadline-ms', 'soon']);
      expect(bad.code).toBe(2);
      expect(bad.err).toContain('--deadline-ms must be a whole number');
    });
  });
});
