import { randomUUID } from 'node:crypto';
import { BatchNeedsSplit, type Lab, OutboxService, type WritingCtesForMany } from '@passo/outbox';
import { eventually } from '../support/eventually';
import { outboxFixture, type OutboxFixture, ThingHappened } from './fixtures/outbox-fixture';

/**
 * outbox.addAlongMany: many callers' rows and their messages in one statement (real PostgreSQL,
 * real JetStream). A message goes in only with a row the statement returned for its correlation id.
 */
describe('outbox.addAlongMany', () => {
  let f: OutboxFixture;
  beforeEach(async () => {
    f = await outboxFixture();
  });
  afterEach(() => f.close());

  /** Notes keys in `settings`; a key already there is skipped (ON CONFLICT DO NOTHING). */
  const noting = (keys: string[]): WritingCtesForMany => ({
    ctes: `noted AS (
      INSERT INTO settings (key, value, updated_at) SELECT k, 'x', now() FROM unnest($1::text[]) AS k
      ON CONFLICT (key) DO NOTHING RETURNING key)`,
    returning: 'noted',
    correlatedBy: 'key',
    values: [keys],
  });
  const messagesOf = (keys: string[]) => keys.map((key, n) => ({ payload: { n }, meta: { correlationId: key } }));
  const rowsOf = () =>
    f.db.query<{ id: string; correlation_id: string; n: number; tx: string }>(
      `SELECT id::text, correlation_id, (payload->>'n')::int AS n, xmin::text AS tx FROM outbox_messages ORDER BY n`,
    );

  it('writes every row and its message in one statement (one transaction), and the relay publishes them', async () => {
    const keys = [1, 2, 3].map((n) => `k${n}-${randomUUID()}`);
    const { rows, envelopes } = await f.outbox.addAlongMany<{ n: number }, { key: string }>(
      f.prisma,
      noting(keys),
      ThingHappened,
      messagesOf(keys),
    );
    expect(rows.map((row) => row.key).sort()).toEqual([...keys].sort());
    expect(envelopes.map((e) => [e.correlationId, e.payload.n])).toEqual(keys.map((key, n) => [key, n]));
    const written = await rowsOf();
    expect(written.map((row) => [row.id, row.correlation_id])).toEqual(envelopes.map((e) => [e.id, e.correlationId]));
    const settings = await f.db.query<{ tx: string }>(`SELECT xmin::text AS tx FROM settings WHERE key = ANY($1)`, [
      keys,
    ]);
    expect(new Set([...written, ...settings].map((row) => row.tx)).size).toBe(1);
    f.relay().start();
    await eventually(async () => (await f.published()).length === 3, 10_000);
    expect((await f.published()).map((m) => m.id)).toEqual(envelopes.map((e) => e.id));
  });

  it('writes no message for a row the statement skipped, and the others as usual', async () => {
    const taken = `taken-${randomUUID()}`;
    await f.db.query(`INSERT INTO settings (key, value, updated_at) VALUES ($1, 'y', now())`, [taken]);
    const keys = [`a-${randomUUID()}`, taken, `b-${randomUUID()}`];
    const { rows } = await f.outbox.addAlongMany<{ n: number }, { key: string }>(
      f.prisma,
      noting(keys),
      ThingHappened,
      messagesOf(keys),
    );
    expect(rows.map((row) => row.key).sort()).toEqual([keys[0], keys[2]].sort());
    expect((await rowsOf()).map((row) => row.correlation_id)).toEqual([keys[0], keys[2]]);
  });

  it('writes nothing when every row is skipped', async () => {
    const taken = `taken-${randomUUID()}`;
    await f.db.query(`INSERT INTO settings (key, value, updated_at) VALUES ($1, 'y', now())`, [taken]);
    const { rows } = await f.outbox.addAlongMany(f.prisma, noting([taken]), ThingHappened, messagesOf([taken]));
    expect(rows).toEqual([]);
    expect(await rowsOf()).toEqual([]);
  });

  it('refuses the whole call when one payload breaks its contract: no row, no message', async () => {
    const keys = [`a-${randomUUID()}`, `b-${randomUUID()}`];
    const messages = [
      ...messagesOf(keys.slice(0, 1)),
      { payload: { n: 'two' as never }, meta: { correlationId: keys[1]! } },
    ];
    await expect(f.outbox.addAlongMany(f.prisma, noting(keys), ThingHappened, messages)).rejects.toThrow();
    expect(await rowsOf()).toEqual([]);
    expect(await f.db.query(`SELECT key FROM settings WHERE key = ANY($1)`, [keys])).toEqual([]);
  });

  it("refuses a batch (BatchNeedsSplit) while the lab's naive delivery is chosen, writing nothing", async () => {
    const lab = { delivery: 'publish-after-commit' } as unknown as Lab;
    const naive = new OutboxService({ ...f.options, lab });
    const keys = [`a-${randomUUID()}`, `b-${randomUUID()}`];
    await expect(naive.addAlongMany(f.prisma, noting(keys), ThingHappened, messagesOf(keys))).rejects.toBeInstanceOf(
      BatchNeedsSplit,
    );
    expect(await rowsOf()).toEqual([]);
  });
});
