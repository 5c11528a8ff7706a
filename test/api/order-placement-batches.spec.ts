import { randomUUID } from 'node:crypto';
import type { OrderView } from '@passo/contracts';
import { Client } from 'pg';
import type { AppProcess } from '../support/app-process';
import { type TestDatabase, waitingOnLocks } from '../support/databases';
import { eventually } from '../support/eventually';
import { http, type HttpResult } from '../support/http';
import { TestService } from '../support/service';

/**
 * Concurrent POST /orders are written together: the requests that arrive while the placements
 * before them are out go in one statement (orders, lines and OrderPlaced rows), each request still
 * answered for itself. The test makes the coalescing certain: it locks order_lines, so the first
 * placements wait in the database while the others arrive and queue behind them.
 */
describe('order-service: concurrent placements written together', () => {
  const service = new TestService('order-service', { env: { DATABASE_POOL_TIMEOUT_MS: '30000' } });
  let db: TestDatabase, app: AppProcess;
  let locker: Client;

  beforeAll(async () => {
    ({ db, app } = await service.start());
    await eventually(async () => (await http('GET', `${app.url}/health`)).status === 200);
    locker = new Client({ connectionString: db.url });
    await locker.connect();
  });
  afterEach(async () => void (await locker.query('ROLLBACK').catch(() => undefined)));
  afterAll(async () => {
    await locker?.end();
    await service.stop();
  });

  const post = (body: unknown, headers?: Record<string, string>) =>
    http<OrderView & { message?: string }>('POST', `${app.url}/orders`, body, headers);
  const body = (n: number) => ({
    customerId: `c${n}`,
    items: [
      { sku: `SKU-${n}`, quantity: n + 1 },
      { sku: 'PEN', quantity: 1 },
    ],
  });

  /** Holds order_lines while `requests` are sent, until they have had time to queue; then lets them go. */
  async function whileLocked<T>(requests: () => Promise<T>[]): Promise<T[]> {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE order_lines IN EXCLUSIVE MODE');
    const sent = requests();
    await waitingOnLocks(db);
    await new Promise((resolve) => setTimeout(resolve, 500)); // the other requests arrive and queue
    await locker.query('COMMIT');
    return Promise.all(sent);
  }

  /** The transactions that wrote these orders and their lines (outbox rows get a new xmin when the relay marks them). */
  async function writers(ids: string[]): Promise<{ orders: number; all: number }> {
    const [row] = await db.query<{ orders: number; all: number }>(
      `SELECT (SELECT count(DISTINCT xmin::text) FROM orders WHERE id::text = ANY($1))::int AS orders,
              (SELECT count(DISTINCT tx) FROM (
                 SELECT xmin::text AS tx FROM orders WHERE id::text = ANY($1)
                 UNION ALL SELECT xmin::text FROM order_lines WHERE order_id::text = ANY($1)) AS t)::int AS "all"`,
      [ids],
    );
    return row!;
  }

  it('writes 20 concurrent orders in a few statements, each answered with its own order, lines and OrderPlaced', async () => {
    const responses = await whileLocked(() => Array.from({ length: 20 }, (_, n) => post(body(n))));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));
    responses.forEach((response, n) => {
      expect(response.body).toMatchObject({ status: 'PENDING', customerId: `c${n}`, totalCents: null });
      expect(response.body.items).toEqual(body(n).items.map((item) => ({ ...item, priceCents: null })));
    });
    const ids = responses.map((r) => r.body.id);
    expect(new Set(ids).size).toBe(20);
    // Two placements out at once (one waiting on the lock), the rest queued: at most three statements.
    const { orders, all } = await writers(ids);
    expect(orders).toBeLessThanOrEqual(3);
    expect(all).toBe(orders); // each order's lines went in with it
    const lines = await db.query<{ order_id: string; position: number; sku: string; quantity: number }>(
      `SELECT order_id::text, position, sku, quantity FROM order_lines WHERE order_id::text = ANY($1) ORDER BY order_id, position`,
      [ids],
    );
    for (const [n, id] of ids.entries()) {
      expect(lines.filter((line) => line.order_id === id).map(({ sku, quantity }) => ({ sku, quantity }))).toEqual(
        body(n).items,
      );
    }
    const messages = await db.query<{ correlation_id: string; customer: string }>(
      `SELECT correlation_id, payload->>'customerId' AS customer FROM outbox_messages WHERE correlation_id = ANY($1)`,
      [ids],
    );
    expect(messages.map((m) => [m.correlation_id, m.customer]).sort()).toEqual(
      ids.map((id, n) => [id, `c${n}`]).sort(),
    );
  });

  it('creates one order for duplicates of one Idempotency-Key written together, and 409s a different body', async () => {
    const key = randomUUID();
    const other = randomUUID();
    const responses: HttpResult<OrderView & { message?: string }>[] = await whileLocked(() => [
      ...Array.from({ length: 8 }, () => post(body(1), { 'Idempotency-Key': key })),
      post(body(2), { 'Idempotency-Key': key }),
      post(body(3), { 'Idempotency-Key': other }),
      post(body(4)),
    ]);
    const same = responses.slice(0, 8);
    const [differentBody, otherKey, noKey] = responses.slice(8);
    const winner = await db.query<{ customer_id: string }>(
      'SELECT customer_id FROM orders WHERE idempotency_key = $1',
      [key],
    );
    expect(winner).toHaveLength(1);
    // Whichever body won the key, every request with the other body is a different request: 409.
    if (winner[0]!.customer_id === 'c1') {
      expect(same.map((r) => r.status).sort()).toEqual([...Array<number>(7).fill(200), 201]);
      expect(new Set(same.map((r) => r.body.id)).size).toBe(1);
      expect(differentBody!.status).toBe(409);
    } else {
      expect(same.map((r) => r.status)).toEqual(Array(8).fill(409));
      expect(differentBody!.status).toBe(201);
    }
    expect(otherKey!.status).toBe(201);
    expect(noKey!.status).toBe(201);
    const placed = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM outbox_messages WHERE type = 'OrderPlaced' AND correlation_id IN
         (SELECT id::text FROM orders WHERE idempotency_key = $1)`,
      [key],
    );
    expect(placed).toEqual([{ n: 1 }]);
  });
});
