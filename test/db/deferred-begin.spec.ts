import { prismaAdapter } from '@passo/platform';
import * as Payment from '@passo/prisma/payment';
import { Client } from 'pg';
import { testDatabase, type TestDatabase } from '../support/databases';

/**
 * The apps' Prisma adapter holds each transaction's BEGIN back and writes it with the first
 * statement (deferredBeginPool): seen from PostgreSQL itself (pg_stat_activity), on the real server.
 */
describe("the apps' Prisma adapter: BEGIN written with the transaction's first statement", () => {
  const app = 'passo-deferred-begin-test';
  let db: TestDatabase;
  let client: Payment.PrismaClient;
  let observer: Client;
  beforeAll(async () => {
    db = await testDatabase('payment');
    const url = new URL(db.url);
    url.searchParams.set('application_name', app);
    client = new Payment.PrismaClient({ adapter: prismaAdapter(url.toString(), 2, 5_000) });
    observer = new Client({ connectionString: db.url });
    await observer.connect();
  });
  afterAll(async () => {
    await client?.$disconnect();
    await observer?.end();
    await db?.drop();
  });

  /** The states of the client's backends that are in a transaction (none while BEGIN is held). */
  const inTransaction = async () =>
    (
      await observer.query<{ state: string }>(
        "SELECT state FROM pg_stat_activity WHERE application_name = $1 AND state LIKE '%in transaction%'",
        [app],
      )
    ).rows.map((r) => r.state);

  const balance = async (id: string) => (await client.customer.findUnique({ where: { id } }))?.balanceCents ?? null;

  it('opens no transaction on the server until the first statement, then runs it inside one', async () => {
    const seen: string[][] = [];
    await client.$transaction(async (tx) => {
      seen.push(await inTransaction());
      await tx.customer.create({ data: { id: 'c-open', balanceCents: 100 } });
      seen.push(await inTransaction());
    });
    expect(seen).toEqual([[], ['idle in transaction']]);
    expect(await balance('c-open')).toBe(100);
  });

  it('still rolls a failed transaction back whole', async () => {
    await expect(
      client.$transaction(async (tx) => {
        await tx.customer.create({ data: { id: 'c-rolled', balanceCents: 5 } });
        await tx.customer.create({ data: { id: 'c-rolled', balanceCents: 6 } }); // duplicate key
      }),
    ).rejects.toThrow();
    expect(await balance('c-rolled')).toBeNull();
  });

  it('commits a transaction that ran no statement without reaching the server, and the connection stays usable', async () => {
    await expect(client.$transaction(async () => 'nothing written')).resolves.toBe('nothing written');
    await client.$transaction(async (tx) => {
      await tx.customer.create({ data: { id: 'c-after-empty', balanceCents: 7 } });
    });
    expect(await balance('c-after-empty')).toBe(7);
  });

  it('fails the first statement when the connection died under a held BEGIN, and the pool recovers', async () => {
    await expect(
      client.$transaction(async (tx) => {
        // Every backend of the client's pool ends while this transaction's BEGIN is held.
        await observer.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [
          app,
        ]);
        await tx.customer.create({ data: { id: 'c-dead', balanceCents: 1 } });
      }),
    ).rejects.toThrow();
    expect(await balance('c-dead')).toBeNull();
    await client.customer.create({ data: { id: 'c-alive', balanceCents: 2 } });
    expect(await balance('c-alive')).toBe(2);
  });
});
