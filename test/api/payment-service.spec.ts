import { randomUUID } from 'node:crypto';
import type { CustomerView, PaymentView } from '@passo/contracts';
import type { AppProcess } from '../support/app-process';
import type { TestDatabase } from '../support/databases';
import { fields, http } from '../support/http';
import { TestService } from '../support/service';

describe('payment-service HTTP API', () => {
  const service = new TestService('payment-service');
  let db: TestDatabase, app: AppProcess;

  beforeAll(async () => ({ db, app } = await service.start()));
  afterAll(() => service.stop());

  it('upserts a wallet and reads it back', async () => {
    const created = await http<CustomerView>('PUT', `${app.url}/customers/alice`, { balanceCents: 10_000 });
    expect(created).toMatchObject({ status: 200, body: { id: 'alice', balanceCents: 10_000 } });
    await http('PUT', `${app.url}/customers/alice`, { balanceCents: 50 });
    expect((await http('GET', `${app.url}/customers/alice`)).body).toEqual({ id: 'alice', balanceCents: 50 });
  });

  it.each([
    ['balance missing', {}, ['balanceCents']],
    ['negative balance', { balanceCents: -5 }, ['balanceCents']],
    ['fractional balance', { balanceCents: 1.25 }, ['balanceCents']],
    ['null balance', { balanceCents: null }, ['balanceCents']],
  ])('rejects %s with a 400 naming the field', async (_case, body, expected) => {
    const response = await http('PUT', `${app.url}/customers/bob`, body);
    expect(response.status).toBe(400);
    expect(fields(response)).toEqual(expected);
    expect((await http('GET', `${app.url}/customers/bob`)).status).toBe(404);
  });

  it('lists payments by order', async () => {
    const orderId = randomUUID();
    await db.query(
      `INSERT INTO payments (id, order_id, customer_id, amount_cents, status, updated_at)
       VALUES ($1, $2, 'alice', 700, 'COMPLETED', now())`,
      [randomUUID(), orderId],
    );
    const listed = await http<PaymentView[]>('GET', `${app.url}/payments?orderId=${orderId}`);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([
      expect.objectContaining({ orderId, customerId: 'alice', amountCents: 700, status: 'COMPLETED', reason: null }),
    ]);
    expect((await http('GET', `${app.url}/payments?orderId=${randomUUID()}`)).body).toEqual([]);
  });

  it('rejects a malformed orderId filter with a 400 naming it', async () => {
    const response = await http('GET', `${app.url}/payments?orderId=42`);
    expect(response.status).toBe(400);
    expect(fields(response)).toEqual(['orderId']);
  });

  it('answers 404 for an unknown customer', async () => {
    expect((await http('GET', `${app.url}/customers/nobody`)).status).toBe(404);
  });
});
