import { randomUUID } from 'node:crypto';
import type { OrderView } from '@passo/contracts';
import type { AppProcess } from '../support/app-process';
import type { TestDatabase } from '../support/databases';
import { eventually } from '../support/eventually';
import { fields, http } from '../support/http';
import { readOrderPlaced } from '../support/nats';
import { TestService } from '../support/service';

describe('order-service HTTP API', () => {
  const service = new TestService('order-service');
  const { prefix } = service;
  let db: TestDatabase, app: AppProcess;
  beforeAll(async () => ({ db, app } = await service.start()));
  afterAll(() => service.stop());
  const order = { customerId: 'alice', items: [{ sku: 'BOOK-1', quantity: 2 }] };
  const post = (body: unknown, headers?: Record<string, string>) =>
    http<OrderView>('POST', `${app.url}/orders`, body, headers);

  it('places a PENDING order with its lines and reads it back', async () => {
    const created = await post({ ...order, items: [...order.items, { sku: 'PEN-2', quantity: 1 }] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'PENDING',
      customerId: 'alice',
      sagaMode: 'choreography',
      totalCents: null,
      cancellationReason: null,
      items: [
        { sku: 'BOOK-1', quantity: 2, priceCents: null },
        { sku: 'PEN-2', quantity: 1, priceCents: null },
      ],
    });
    const read = await http<OrderView>('GET', `${app.url}/orders/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
  });

  it('publishes OrderPlaced through the outbox, with the row id as message id', async () => {
    const created = await post(order);
    const message = (await eventually(() => readOrderPlaced(prefix, created.body.id)))!;
    expect(message.envelope).toMatchObject({
      type: 'OrderPlaced',
      correlationId: created.body.id,
      causationId: null,
      payload: { orderId: created.body.id, customerId: 'alice', items: order.items, sagaMode: 'choreography' },
    });
    expect(message.msgId).toBe(message.envelope.id);
    // Marked by the relay's next round, after the broker stored it (within ms): not at once.
    const marked = () =>
      db.query<{ published: boolean }>(
        'SELECT published_at IS NOT NULL AS published FROM outbox_messages WHERE id = $1',
        [message.envelope.id],
      );
    await eventually(async () => (await marked())[0]?.published);
    expect(await marked()).toEqual([{ published: true }]);
  });

  it('writes no message when the order is refused (same transaction)', async () => {
    const key = randomUUID();
    await post(order, { 'Idempotency-Key': key });
    const before = await db.query<{ count: string }>('SELECT count(*) FROM outbox_messages');
    expect((await post({ ...order, customerId: 'mallory' }, { 'Idempotency-Key': key })).status).toBe(409);
    expect((await post(order, { 'Idempotency-Key': key })).status).toBe(200);
    expect(await db.query('SELECT count(*) FROM outbox_messages')).toEqual(before);
  });

  it('honours a per-request sagaMode', async () => {
    const created = await post({ ...order, sagaMode: 'orchestration' });
    expect(created.status).toBe(201);
    expect(created.body.sagaMode).toBe('orchestration');
  });

  it('lists orders newest first, filtered by status and limited', async () => {
    const first = await post(order);
    const second = await post(order);
    const listed = await http<OrderView[]>('GET', `${app.url}/orders?status=PENDING&limit=2`);
    expect(listed.status).toBe(200);
    expect(listed.body.map((o) => o.id)).toEqual([second.body.id, first.body.id]);
    const confirmed = await http<OrderView[]>('GET', `${app.url}/orders?status=CONFIRMED`);
    expect(confirmed.body).toEqual([]);
  });

  it.each([
    ['customerId missing', { items: order.items }, ['customerId']],
    ['customerId empty', { ...order, customerId: '' }, ['customerId']],
    ['items missing', { customerId: 'alice' }, ['items']],
    ['items empty', { ...order, items: [] }, ['items']],
    ['items not an array', { ...order, items: 'BOOK-1' }, ['items']],
    ['quantity zero', { ...order, items: [{ sku: 'A', quantity: 0 }] }, ['items.0.quantity']],
    ['quantity fractional', { ...order, items: [{ sku: 'A', quantity: 1.5 }] }, ['items.0.quantity']],
    ['quantity as string', { ...order, items: [{ sku: 'A', quantity: '2' }] }, ['items.0.quantity']],
    ['sku with spaces', { ...order, items: [{ sku: 'a b', quantity: 1 }] }, ['items.0.sku']],
    [
      'duplicate sku',
      {
        ...order,
        items: [
          { sku: 'A', quantity: 1 },
          { sku: 'A', quantity: 2 },
        ],
      },
      ['items.1.sku'],
    ],
    ['unknown sagaMode', { ...order, sagaMode: 'telepathy' }, ['sagaMode']],
    ['unknown field', { ...order, coupon: 'FREE' }, ['coupon']],
    ['two bad fields', { customerId: 7, items: [{ sku: 'A', quantity: -1 }] }, ['customerId', 'items.0.quantity']],
  ])('rejects %s with a 400 naming the field', async (_case, body, expected) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(fields(response)).toEqual(expect.arrayContaining(expected));
  });

  it.each([
    ['malformed JSON', '{"customerId": "alice",'],
    ['an empty JSON body', ''],
    ['a __proto__ key', '{"__proto__": {"admin": true}, "customerId": "alice"}'],
    ['a JSON array', '[]'],
    ['a JSON string', '"order"'],
  ])('rejects %s with a 400 naming the body, not a 500, in the shape of every 400', async (_case, raw) => {
    const response = await post(raw);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.any(String) });
    expect(fields(response)).toEqual(['(body)']);
  });

  it('rejects a body that is not JSON, saying what is expected', async () => {
    const response = await http<{ message: string }>('POST', `${app.url}/orders`, undefined, {
      'content-type': 'text/plain',
    });
    expect(response.status).toBe(400);
    expect(response.body.message).toContain('Content-Type: application/json');
  });

  it.each([
    ['text/plain', JSON.stringify(order)],
    ['application/x-www-form-urlencoded', 'customerId=alice&items=BOOK-1'],
    ['application/xml', '<order customerId="alice"/>'],
  ])('does not read a %s body as an order: 400 saying what is expected, nothing written', async (type, raw) => {
    const before = await http<unknown[]>('GET', `${app.url}/orders?limit=100`);
    const response = await http<{ message: string }>('POST', `${app.url}/orders`, raw, { 'content-type': type });
    expect(response.status).toBe(400);
    expect(response.body.message).toContain('Content-Type: application/json');
    expect((await http<unknown[]>('GET', `${app.url}/orders?limit=100`)).body).toEqual(before.body);
  });

  it('rejects a body over the size limit with a 413', async () => {
    const huge = { ...order, customerId: 'x'.repeat(200_000) };
    const response = await post(huge);
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
    expect(fields(response)).toEqual(['(body)']);
  });

  it.each([
    ['status', '?status=SHIPPED', 'status'],
    ['limit zero', '?limit=0', 'limit'],
    ['limit not a number', '?limit=many', 'limit'],
    ['unknown query parameter', '?sort=asc', 'sort'],
  ])('rejects a bad %s query with a 400 naming it', async (_case, query, field) => {
    const response = await http('GET', `${app.url}/orders${query}`);
    expect(response.status).toBe(400);
    expect(fields(response)).toContain(field);
  });

  it.each([randomUUID(), 'not-a-uuid'])('answers 404 for unknown order %s', async (id) => {
    const response = await http<{ message: string }>('GET', `${app.url}/orders/${id}`);
    expect(response.status).toBe(404);
    expect(response.body.message).toContain(id);
  });

  describe('Idempotency-Key', () => {
    it('returns the same order for the same key and body (200), 409 for another body', async () => {
      const key = randomUUID();
      const first = await post(order, { 'Idempotency-Key': key });
      const again = await post(order, { 'Idempotency-Key': key });
      expect(first.status).toBe(201);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      const other = await post({ ...order, customerId: 'bob' }, { 'Idempotency-Key': key });
      expect(other.status).toBe(409);
    });

    it('creates exactly one order for concurrent duplicates', async () => {
      const key = randomUUID();
      const responses = await Promise.all(Array.from({ length: 12 }, () => post(order, { 'Idempotency-Key': key })));
      const statuses = responses.map((r) => r.status).sort((a, b) => a - b);
      expect(statuses).toEqual([...Array<number>(11).fill(200), 201]);
      expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
      const rows = await db.query<{ count: string }>('SELECT count(*) FROM orders WHERE idempotency_key = $1', [key]);
      expect(rows[0].count).toBe('1');
    });

    it('rejects a malformed key with a 400 naming the header', async () => {
      const response = await post(order, { 'Idempotency-Key': 'x'.repeat(300) });
      expect(response.status).toBe(400);
      expect(fields(response)).toContain('Idempotency-Key');
    });
  });

  describe('saga mode', () => {
    it('defaults to SAGA_MODE and switches at run time for new orders', async () => {
      expect((await http('GET', `${app.url}/saga-mode`)).body).toEqual({ mode: 'choreography' });
      const put = await http('PUT', `${app.url}/saga-mode`, { mode: 'orchestration' });
      expect(put).toMatchObject({ status: 200, body: { mode: 'orchestration' } });
      expect((await post(order)).body.sagaMode).toBe('orchestration');
      expect((await post({ ...order, sagaMode: 'choreography' })).body.sagaMode).toBe('choreography');
      await http('PUT', `${app.url}/saga-mode`, { mode: 'choreography' });
    });

    it('is shared by every replica (persisted, not in memory)', async () => {
      // Same database, broker and streams as the first (its streams go with the service's).
      const replica = await service.replica();
      try {
        await http('PUT', `${app.url}/saga-mode`, { mode: 'orchestration' });
        expect((await http('GET', `${replica.url}/saga-mode`)).body).toEqual({ mode: 'orchestration' });
      } finally {
        await http('PUT', `${app.url}/saga-mode`, { mode: 'choreography' });
        await replica.stop();
      }
    });

    it('rejects an unknown mode with a 400 naming the field', async () => {
      const response = await http('PUT', `${app.url}/saga-mode`, { mode: 'chaos' });
      expect(response.status).toBe(400);
      expect(fields(response)).toEqual(['mode']);
    });
  });
});
