import { randomUUID } from 'node:crypto';
import { runScript } from '../support/cli';
import { testDatabase, type TestDatabase } from '../support/databases';

/** `npm run outbox -- …` against one test database, as an operator would run it. */
const outboxCli = (db: TestDatabase, args: string[]) => runScript('outbox', args, { ORDER_DATABASE_URL: db.url });

describe('npm run outbox (real PostgreSQL)', () => {
  let db: TestDatabase;
  let id: string;
  beforeAll(async () => {
    db = await testDatabase('order');
    id = randomUUID();
    await db.query(
      `INSERT INTO outbox_messages (id, subject, type, payload, correlation_id, parked_at, last_error)
       VALUES ($1, 'orders.event.order-placed.v1', $2, '{}', 'c', now(), $3)`,
      [id, 'Order\u001b[2JPlaced', 'NATS refuses\r\nX-Injected: 1 \u009b'],
    );
  });
  afterAll(() => db.drop());

  it('lists parked rows with control characters stripped, as a table and as JSON', async () => {
    const table = await outboxCli(db, ['parked', '--service', 'order']);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(new RegExp(`order +${id} +Order +\\[2JPlaced +orders\\.event\\.order-placed\\.v1 +0 `));
    expect(table.out).toContain('NATS refuses  X-Injected: 1');
    // eslint-disable-next-line no-control-regex
    expect(table.out.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);

    const json = await outboxCli(db, ['parked', '--service', 'order-service', '--json']);
    expect(JSON.parse(json.out)).toEqual([
      expect.objectContaining({ service: 'order', id, type: 'Order [2JPlaced', lastError: expect.any(String) }),
    ]);
  });

  it.each([
    [[], /no command given/],
    [['release'], /release takes ids or --all/],
    [['release', 'not-a-uuid'], /not an outbox row id/],
    [['release', '--all', randomUUID()], /release takes ids or --all/],
    [['parked', '--service', 'billing'], /unknown service "billing"/],
    [['parked', '--bogus'], /Unknown option '--bogus'/],
  ])('answers %j with the usage, exit 2', async (args, reason) => {
    const result = await outboxCli(db, args);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(reason);
    expect(result.err).toContain('usage: npm run outbox -- parked');
  });

  it('releases a parked row (and says which ids were not parked, exit 1)', async () => {
    const unknown = randomUUID();
    const result = await outboxCli(db, ['release', id, unknown, '--service', 'order']);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`order: released 1 parked row(s) ${id}`);
    expect(result.err).toContain(`not parked (or not found): ${unknown}`);
    expect(await db.query('SELECT parked_at FROM outbox_messages WHERE id = $1', [id])).toEqual([{ parked_at: null }]);
    const again = await outboxCli(db, ['release', '--all', '--service', 'order']);
    expect(again).toMatchObject({ code: 0, out: 'order: released 0 parked row(s)\n' });
  });
});
