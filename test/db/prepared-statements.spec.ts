import { prismaAdapter } from '@passo/platform';
import * as Payment from '@passo/prisma/payment';
import { testDatabase, type TestDatabase } from '../support/databases';

/**
 * The apps' Prisma clients run named statements (prismaAdapter): PostgreSQL parses and plans each
 * once per connection, not on every run — on the real PostgreSQL, read from pg_prepared_statements.
 */
describe("the apps' Prisma adapter", () => {
  let db: TestDatabase;
  let client: Payment.PrismaClient;
  beforeAll(async () => {
    db = await testDatabase('payment');
    client = new Payment.PrismaClient({ adapter: prismaAdapter(db.url, 1, 5_000) });
  });
  afterAll(async () => {
    await client?.$disconnect();
    await db?.drop();
  });

  /** The statements prepared on the pool's one connection. */
  const prepared = () =>
    client.$queryRawUnsafe<{ name: string; statement: string }[]>(
      'SELECT name, statement FROM pg_prepared_statements ORDER BY prepare_time',
    );

  it('prepares a statement once and runs it again by name, for raw SQL and model queries alike', async () => {
    for (let i = 0; i < 3; i++) {
      await client.$queryRawUnsafe('SELECT $1::int AS n', i);
      await client.customer.findMany({ where: { id: `c-${i}` } });
    }
    const statements = await prepared();
    const raw = statements.filter((s) => s.statement === 'SELECT $1::int AS n');
    const model = statements.filter((s) => /FROM "public"\."customers"/.test(s.statement));
    expect([raw.length, model.length]).toEqual([1, 1]);
    expect(raw[0]!.name).toMatch(/^passo_\d+$/);
  });

  it('keeps statements that ran in a transaction prepared after it', async () => {
    await client.$transaction(async (tx) => {
      await tx.$queryRawUnsafe('SELECT $1::text AS s', 'in a transaction');
    });
    const statements = await prepared();
    expect(statements.filter((s) => s.statement === 'SELECT $1::text AS s')).toHaveLength(1);
  });

  // pg closes a connection idle for 10 s unless told otherwise: the first request after any lull
  // would pay a new backend, SCRAM and every statement prepared again (a lone order took 42–87 ms
  // after 15 s idle against 22–35 ms with its connections kept).
  it('keeps its connection, and the statements prepared on it, through a lull longer than pg closes idle ones after', async () => {
    const pid = async () => (await client.$queryRawUnsafe<{ pid: number }[]>('SELECT pg_backend_pid() AS pid'))[0]!.pid;
    const before = await pid();
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    expect(await pid()).toBe(before);
    expect((await prepared()).some((s) => s.statement === 'SELECT pg_backend_pid() AS pid')).toBe(true);
  }, 30_000);
  it('plans a statement once for all its runs on a client with genericPlans (the consumers’), afresh each run otherwise', async () => {
    const generic = new Payment.PrismaClient({ adapter: prismaAdapter(db.url, 1, 5_000, { genericPlans: true }) });
    try {
      const sql = 'SELECT count(*)::int AS n FROM unnest($1::text[]) AS ids(id) -- plans';
      for (let i = 0; i < 8; i++) {
        await client.$queryRawUnsafe(sql, ['a', 'b']);
        await generic.$queryRawUnsafe(sql, ['a', 'b']);
      }
      const plans = (of: Payment.PrismaClient) =>
        of.$queryRawUnsafe<{ generic: number; custom: number }[]>(
          `SELECT generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements
            WHERE statement = $1`,
          sql,
        );
      expect(await plans(generic)).toEqual([{ generic: 8, custom: 0 }]);
      // PostgreSQL's own choice: a custom plan for (at least) the first five runs.
      expect((await plans(client))[0]!.custom).toBeGreaterThanOrEqual(5);
    } finally {
      await generic.$disconnect();
    }
  });
});
