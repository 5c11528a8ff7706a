import { randomUUID } from 'node:crypto';
import { InboxService } from '@passo/outbox';
import { outboxFixture, type OutboxFixture } from './fixtures/outbox-fixture';

describe('inbox (consumer-side dedup, real PostgreSQL)', () => {
  let f: OutboxFixture;
  const inbox = new InboxService();

  beforeEach(async () => {
    f = await outboxFixture();
    await f.db.query(`INSERT INTO settings (key, value, updated_at) VALUES ('effects', '0', now())`);
  });
  afterEach(() => f.close());

  const effects = async () =>
    Number((await f.db.query<{ value: string }>(`SELECT value FROM settings WHERE key = 'effects'`))[0].value);
  const handle = (id: string, consumer = 'inventory-service', fail = false) =>
    inbox.handle(f.prisma, consumer, { id, subject: 'orders.event.order-placed.v1' }, async (tx) => {
      await tx.$executeRawUnsafe(`UPDATE settings SET value = (value::int + 1)::text WHERE key = 'effects'`);
      if (fail) throw new Error('handler failed after its effect');
      return 'done';
    });

  it('applies a message once; its redelivery is recognised and has no effect', async () => {
    const id = randomUUID();
    expect(await handle(id)).toEqual({ duplicate: false, result: 'done' });
    expect(await handle(id)).toEqual({ duplicate: true });
    expect(await effects()).toBe(1);
  });

  it('applies concurrent duplicates once', async () => {
    const id = randomUUID();
    const results = await Promise.all(Array.from({ length: 8 }, () => handle(id)));
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(await effects()).toBe(1);
  });

  it('keeps consumers apart: each consumer applies the message once', async () => {
    const id = randomUUID();
    await handle(id, 'inventory-service');
    await handle(id, 'payment-service');
    await handle(id, 'payment-service');
    expect(await effects()).toBe(2);
  });

  it('forgets a message whose handler failed, so the retry applies it', async () => {
    const id = randomUUID();
    await expect(handle(id, 'inventory-service', true)).rejects.toThrow('handler failed');
    expect(await effects()).toBe(0);
    expect(await handle(id)).toEqual({ duplicate: false, result: 'done' });
    expect(await effects()).toBe(1);
  });
});
