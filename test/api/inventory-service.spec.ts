import type { ProductView } from '@passo/contracts';
import type { AppProcess } from '../support/app-process';
import type { TestDatabase } from '../support/databases';
import { fields, http } from '../support/http';
import { TestService } from '../support/service';

describe('inventory-service HTTP API', () => {
  const service = new TestService('inventory-service');
  let db: TestDatabase, app: AppProcess;
  const put = (sku: string, body: unknown) => http<ProductView>('PUT', `${app.url}/products/${sku}`, body);

  beforeAll(async () => ({ db, app } = await service.start()));
  afterAll(() => service.stop());

  it('upserts a product and reads it back', async () => {
    const created = await put('BOOK-1', { priceCents: 2500, available: 10 });
    expect(created).toMatchObject({
      status: 200,
      body: { sku: 'BOOK-1', priceCents: 2500, available: 10, reserved: 0, sold: 0 },
    });
    const updated = await put('BOOK-1', { priceCents: 3000, available: 4 });
    expect(updated.body).toEqual({ sku: 'BOOK-1', priceCents: 3000, available: 4, reserved: 0, sold: 0 });
    expect((await http('GET', `${app.url}/products/BOOK-1`)).body).toEqual(updated.body);
  });

  it('keeps reserved and sold when restocking', async () => {
    await put('MUG-1', { priceCents: 900, available: 5 });
    await db.query(`UPDATE products SET reserved = 2, sold = 1 WHERE sku = 'MUG-1'`);
    const restocked = await put('MUG-1', { priceCents: 900, available: 20 });
    expect(restocked.body).toMatchObject({ available: 20, reserved: 2, sold: 1 });
  });

  it.each([
    ['price missing', { available: 1 }, ['priceCents']],
    ['negative price', { priceCents: -1, available: 1 }, ['priceCents']],
    ['fractional price', { priceCents: 9.99, available: 1 }, ['priceCents']],
    ['price as string', { priceCents: '100', available: 1 }, ['priceCents']],
    ['negative stock', { priceCents: 100, available: -3 }, ['available']],
    ['stock too large', { priceCents: 100, available: 2 ** 31 }, ['available']],
    ['unknown field', { priceCents: 100, available: 1, reserved: 5 }, ['reserved']],
  ])('rejects %s with a 400 naming the field', async (_case, body, expected) => {
    const response = await put('PEN-1', body);
    expect(response.status).toBe(400);
    expect(fields(response)).toEqual(expected);
    expect((await http('GET', `${app.url}/products/PEN-1`)).status).toBe(404);
  });

  it('rejects an invalid sku in the path with a 400 naming it', async () => {
    const response = await put('bad%20sku', { priceCents: 1, available: 1 });
    expect(response.status).toBe(400);
    expect(fields(response)).toEqual(['sku']);
  });

  it('answers 404 for an unknown sku', async () => {
    expect((await http('GET', `${app.url}/products/NOPE-404`)).status).toBe(404);
  });
});
