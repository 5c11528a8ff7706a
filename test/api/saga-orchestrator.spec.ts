import { randomUUID } from 'node:crypto';
import type { AppProcess } from '../support/app-process';
import type { TestDatabase } from '../support/databases';
import { http } from '../support/http';
import { TestService } from '../support/service';

describe('saga-orchestrator HTTP API', () => {
  const service = new TestService('saga-orchestrator');
  let db: TestDatabase, app: AppProcess;

  beforeAll(async () => ({ db, app } = await service.start()));
  afterAll(() => service.stop());

  it.each([randomUUID(), 'not-an-order'])('answers 404 for an order without a saga (%s)', async (id) => {
    expect((await http('GET', `${app.url}/sagas/${id}`)).status).toBe(404);
  });

  it('serves a persisted saga with its step log', async () => {
    const orderId = randomUUID();
    await db.query(
      `INSERT INTO saga_instances (order_id, state, deadline, updated_at) VALUES ($1, 'STARTED', now() + interval '30 seconds', now())`,
      [orderId],
    );
    await db.query(`INSERT INTO saga_steps (order_id, name, status) VALUES ($1, 'ReserveStock', 'SENT')`, [orderId]);
    const saga = await http<{ orderId: string; steps: { name: string }[] }>('GET', `${app.url}/sagas/${orderId}`);
    expect(saga.status).toBe(200);
    expect(saga.body).toMatchObject({
      orderId,
      state: 'STARTED',
      version: 0,
      steps: [{ name: 'ReserveStock', status: 'SENT' }],
    });
  });
});
