import { AlreadyProcessedInBatch, InboxService, LAST_STATEMENT, runInUnitOfWork } from '@passo/outbox';
import { prismaAdapter } from '@passo/platform';
import * as Payment from '@passo/prisma/payment';
import { Client } from 'pg';
import { testDatabase, type TestDatabase } from '../support/databases';

/**
 * The apps' Prisma adapter holds each transaction's BEGIN back and writes it with the first
 * statement, and writes its COMMIT right behind its last (deferredBeginPool): seen from PostgreSQL
 * itself (pg_stat_activity, another connection's reads), on the real server.
 */
describe("the apps' Prisma adapter: BEGIN written with the transaction's first statement, COMMIT with its last", () => {
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

  const insertLast = (id: string, cents: number) =>
    `${LAST_STATEMENT} INSERT INTO customers (id, balance_cents, updated_at) VALUES ('${id}', ${cents}, now()) RETURNING 1`;
  /** Read by another connection: what has committed. */
  const committedBalance = async (id: string) =>
    (await observer.query<{ cents: number }>('SELECT balance_cents AS cents FROM customers WHERE id = $1', [id]))
      .rows[0]?.cents ?? null;

  /** Waits (up to 2 s) for another connection to see the row committed, while the transaction's callback is still open. */
  const seenCommitted = async (id: string) => {
    for (const deadline = Date.now() + 2_000; Date.now() < deadline;) {
      const cents = await committedBalance(id);
      if (cents !== null) return cents;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return null;
  };

  it('writes the COMMIT right behind the last statement: committed before the caller sends its own', async () => {
    const seen: unknown[] = [];
    await client.$transaction(async (tx) => {
      await tx.customer.create({ data: { id: 'c-first', balanceCents: 1 } });
      seen.push(await inTransaction(), await committedBalance('c-first'));
      await tx.$queryRawUnsafe(insertLast('c-last', 2));
      // Before this callback returns and Prisma sends its COMMIT, both rows become visible to others.
      seen.push(await seenCommitted('c-last'), await committedBalance('c-first'), await inTransaction());
    });
    expect(seen).toEqual([['idle in transaction'], null, 2, 1, []]);
  });

  it('commits a transaction whose only statement is its last: BEGIN, statement and COMMIT in one go', async () => {
    let inside: number | null = null;
    await client.$transaction(async (tx) => {
      await tx.$queryRawUnsafe(insertLast('c-only', 3));
      inside = await seenCommitted('c-only');
    });
    expect(inside).toBe(3);
    expect(await balance('c-only')).toBe(3);
  });

  it('rolls the whole transaction back when its last statement fails, and the connection stays usable', async () => {
    await client.customer.create({ data: { id: 'c-taken', balanceCents: 4 } });
    await expect(
      client.$transaction(async (tx) => {
        await tx.customer.create({ data: { id: 'c-before-failure', balanceCents: 5 } });
        await tx.$queryRawUnsafe(insertLast('c-taken', 6)); // duplicate key
      }),
    ).rejects.toThrow(/c-taken|Unique|duplicate/i);
    expect(await committedBalance('c-before-failure')).toBeNull();
    expect(await committedBalance('c-taken')).toBe(4);
    for (let i = 0; i < 3; i++) {
      // Every connection of the pool (two) is taken in turn: none is left mid-transaction.
      await client.$transaction(async (tx) => {
        await tx.customer.create({ data: { id: `c-after-failure-${i}`, balanceCents: i } });
      });
    }
    expect(await inTransaction()).toEqual([]);
    expect(await balance('c-after-failure-2')).toBe(2);
  });

  it('refuses a statement after the last one: it would run outside the transaction', async () => {
    const refused = client.$transaction(async (tx) => {
      await tx.$queryRawUnsafe(insertLast('c-done', 7));
      await tx.customer.create({ data: { id: 'c-too-late', balanceCents: 8 } });
    });
    await expect(refused).rejects.toThrow(/after the transaction's last one/);
    expect(await committedBalance('c-too-late')).toBeNull();
    expect(await committedBalance('c-done')).toBe(7); // the last statement's COMMIT stood
    await client.customer.create({ data: { id: 'c-next', balanceCents: 9 } });
    expect(await balance('c-next')).toBe(9);
  });

  it("rolls a batch's unit of work back when its inbox finds a processed message in SQL, at the commit", async () => {
    const inbox = new InboxService();
    const consumer = 'deferred-begin-test';
    const [earlier, fresh] = ['0b9c3b52-2f4e-4f55-9a51-3d7a1c0e0001', '0b9c3b52-2f4e-4f55-9a51-3d7a1c0e0002'];
    await client.customer.create({ data: { id: 'c-counted', balanceCents: 0 } });
    // Each message handled adds one: not idempotent by itself, so only the inbox keeps it right.
    const batch = (ids: string[]) =>
      runInUnitOfWork(
        client,
        async () => {
          for (const id of ids)
            await inbox.handle(client, consumer, { id }, (tx) =>
              tx.customer.update({ where: { id: 'c-counted' }, data: { balanceCents: { increment: 1 } } }),
            );
        },
        { batch: true },
      );
    await batch([earlier]);
    expect(await committedBalance('c-counted')).toBe(1);
    await expect(batch([fresh, earlier])).rejects.toThrow(AlreadyProcessedInBatch);
    expect(await committedBalance('c-counted')).toBe(1);
    const inboxed = await observer.query('SELECT message_id FROM inbox_messages WHERE consumer = $1', [consumer]);
    expect(inboxed.rows.map((r) => r.message_id)).toEqual([earlier]);
    expect(await inTransaction()).toEqual([]);
    await batch([fresh]);
    expect(await committedBalance('c-counted')).toBe(2);
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
