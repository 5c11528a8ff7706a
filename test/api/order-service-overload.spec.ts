import { randomUUID } from 'node:crypto';
import { ConfirmOrder, type OrderView } from '@passo/contracts';
import { Client } from 'pg';
import type { AppProcess } from '../support/app-process';
import { type TestDatabase, waitingOnLocks } from '../support/databases';
import { eventually } from '../support/eventually';
import { http, type HttpResult } from '../support/http';
import { publishAs } from '../support/nats';
import { TestService } from '../support/service';

/**
 * More requests than the database pool can serve in time answer 503 with Retry-After — never a
 * 500 — and write nothing; every 201 is an order with its OrderPlaced; and HTTP and the consumers,
 * on pools of their own, never starve each other (docs/ARCHITECTURE.md, "HTTP API"). The overload
 * is made, not hoped for: the test holds a lock the requests (or the consumer) must wait for.
 */
describe('order-service under overload', () => {
  const POOL = 1;
  const service = new TestService('order-service', {
    // One request per connection (no coalescing), so that the pool's size is what the burst exceeds.
    env: {
      DATABASE_POOL_SIZE: String(POOL),
      DATABASE_POOL_TIMEOUT_MS: '500',
      SAGA_MODE: 'orchestration',
      PLACEMENT_BATCH_SIZE: '1',
    },
    streams: [ConfirmOrder],
  });
  const { topology } = service;
  let db: TestDatabase, app: AppProcess;
  let locker: Client;

  beforeAll(async () => {
    ({ db, app } = await service.start());
    await eventually(async () => (await http('GET', `${app.url}/health`)).status === 200);
    locker = new Client({ connectionString: db.url });
    await locker.connect();
  });
  // A failed test must not leave its lock behind for the next one.
  afterEach(async () => void (await locker.query('ROLLBACK').catch(() => undefined)));
  afterAll(async () => {
    await locker?.end();
    await service.stop();
  });

  const place = () =>
    http<OrderView & { message?: string }>('POST', `${app.url}/orders`, {
      customerId: 'alice',
      items: [{ sku: 'BOOK-1', quantity: 1 }],
    });

  async function placed(): Promise<string> {
    const response = await place();
    expect(response.status).toBe(201);
    return response.body.id;
  }

  /** Read from the database itself: the API's pool is what these tests exhaust. */
  const statusOf = async (id: string) =>
    (await db.query<{ status: string }>('SELECT status::text FROM orders WHERE id = $1', [id]))[0]?.status;

  function confirm(orderId: string) {
    return publishAs(topology, ConfirmOrder, {
      ...{ id: randomUUID(), type: ConfirmOrder.name, occurredAt: new Date().toISOString() },
      ...{ correlationId: orderId, causationId: randomUUID(), traceparent: null },
      payload: { orderId, sagaMode: 'orchestration', totalCents: 100 },
    });
  }

  it('answers 503 with Retry-After (never 500) for what the pool cannot take, writes nothing of those, and loses no 201', async () => {
    const before = await placed();
    await locker.query('BEGIN');
    // Every placement writes order lines: with the table locked, the first POOL requests hold the
    // whole pool while they wait, and the others cannot get a connection in time.
    await locker.query('LOCK TABLE order_lines IN EXCLUSIVE MODE');
    const answered: HttpResult<OrderView & { message?: string }>[] = [];
    const burst = Array.from({ length: 20 }, () => place().then((response) => (answered.push(response), response)));
    await waitingOnLocks(db, POOL);
    // Meanwhile the consumers, on their own connections, still settle an order (orders is not locked).
    await confirm(before);
    await eventually(async () => (await statusOf(before)) === 'CONFIRMED');
    // Every request beyond the pool is answered while the lock is held (500 ms pool timeout).
    await eventually(async () => answered.length >= 20 - POOL, 20_000);
    expect(answered.map((r) => r.status)).toEqual(Array(20 - POOL).fill(503));
    await locker.query('COMMIT');
    const responses = await Promise.all(burst);

    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s !== 201 && s !== 503)).toEqual([]);
    const accepted = responses.filter((r) => r.status === 201);
    const rejected = responses.filter((r) => r.status === 503);
    expect(accepted).toHaveLength(POOL);
    expect(rejected).toHaveLength(20 - POOL);
    for (const response of rejected) {
      expect(response.headers.get('retry-after')).toBe('1');
      expect(response.body.message).toMatch(/database busy .*retry later/);
    }
    // Exactly the accepted orders were written, each with its OrderPlaced in the outbox.
    const ids = [before, ...accepted.map((r) => r.body.id)];
    const orders = await db.query<{ id: string }>('SELECT id::text FROM orders ORDER BY id');
    expect(orders.map((o) => o.id).sort()).toEqual([...ids].sort());
    const messages = await db.query<{ id: string }>(
      `SELECT correlation_id AS id FROM outbox_messages WHERE type = 'OrderPlaced'`,
    );
    expect(messages.map((m) => m.id).sort()).toEqual([...ids].sort());
    // And the service serves again at once.
    await placed();
  });

  it('keeps placing orders while the consumers wait on the database', async () => {
    const stuck = await placed();
    await locker.query('BEGIN');
    // The consumer's unit of work waits on this row, holding its own connection(s) only.
    await locker.query('SELECT 1 FROM orders WHERE id = $1 FOR UPDATE', [stuck]);
    await confirm(stuck);
    await waitingOnLocks(db, 1);
    const during = await Promise.all(Array.from({ length: 10 }, () => place()));
    expect(during.map((r) => r.status)).toEqual(Array(10).fill(201));
    await locker.query('COMMIT');
    await eventually(async () => (await statusOf(stuck)) !== 'PENDING');
  });
});
