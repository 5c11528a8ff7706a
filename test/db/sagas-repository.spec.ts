import { randomUUID } from 'node:crypto';
import type { Envelope } from '@passo/contracts';
import { inUnitOfWork, joinUnitOfWork, runInUnitOfWork } from '@passo/outbox';
import { PrismaClient, type Prisma } from '@passo/prisma/orchestrator';
import { PrismaPg } from '@prisma/adapter-pg';
import { emptySaga } from '../../apps/saga-orchestrator/src/order-saga/order-saga.definition';
import { SagasRepository, VersionConflict } from '../../apps/saga-orchestrator/src/runtime/sagas.repository';
import { testDatabase, type TestDatabase } from '../support/databases';

/**
 * The orchestrator's sagas in a unit of work: a consumed batch reads from the database only the
 * sagas this process does not remember, with one statement, and every write goes in the unit's
 * commit statement, checked there — a saga that moved since it was read or remembered fails the
 * whole unit (VersionConflict) and nothing of it is written.
 */
let db: TestDatabase;
let prisma: PrismaClient;
let statements: string[];
let sagas: SagasRepository;

beforeAll(async () => {
  db = await testDatabase('orchestrator');
  const client = new PrismaClient({
    adapter: new PrismaPg({ connectionString: db.url }),
    log: [{ emit: 'event', level: 'query' }] as const,
  });
  client.$on('query', (event) => statements.push(event.query.trim()));
  prisma = client;
});
afterAll(async () => {
  await prisma.$disconnect();
  await db.drop();
});
beforeEach(() => {
  statements = [];
  sagas = new SagasRepository(prisma); // a process that remembers nothing yet
});

const step = { name: 'test', status: 'STARTED', detail: {} };
const deadline = new Date(Date.now() + 60_000);
const about = (orderId: string, type = 'StockReserved') =>
  ({ id: randomUUID(), correlationId: orderId, type }) as Envelope;
const placed = (orderId: string) => about(orderId, 'OrderPlaced');
const sagaReads = () => statements.filter((sql) => /^SELECT .* FROM saga_instances/s.test(sql));
/** What reached the database, BEGIN and COMMIT left out. */
const sent = () => statements.filter((sql) => !/^(BEGIN|COMMIT|ROLLBACK)/.test(sql));

/** A saga written by another process (this repository does not remember it). */
async function existing(version = 0): Promise<string> {
  const orderId = randomUUID();
  await db.query(
    `INSERT INTO saga_instances (order_id, state, data, deadline, version, updated_at) VALUES ($1, 'STARTED', $2, $3, $4, now())`,
    [orderId, JSON.stringify({ ...emptySaga(orderId), status: undefined }), deadline, version],
  );
  return orderId;
}

/** Runs `work` as the transport runs a batch of `messages`, with its transaction. */
function inBatch<R>(messages: Envelope[], work: (tx: Prisma.TransactionClient) => Promise<R>): Promise<R> {
  return runInUnitOfWork(prisma, () => joinUnitOfWork(prisma)!.step(work), { batch: true, messages });
}

const row = async (orderId: string) =>
  (
    await db.query<{ state: string; version: number }>(
      'SELECT state, version FROM saga_instances WHERE order_id = $1',
      [orderId],
    )
  )[0] ?? null;
const stepsOf = async (orderId: string) =>
  (await db.query<{ name: string }>('SELECT name FROM saga_steps WHERE order_id = $1 ORDER BY id', [orderId])).map(
    (r) => r.name,
  );

describe('SagasRepository in a consumed batch', () => {
  it('reads the sagas it does not remember with one statement; an order only placed in the batch is not read', async () => {
    const [a, b] = [await existing(), await existing()];
    const [never, fresh] = [randomUUID(), randomUUID()];
    const loaded: unknown[] = [];
    await inBatch([about(a), about(b), about(a), about(never), placed(fresh)], async (tx) => {
      for (const id of [a, b, a, never, fresh]) loaded.push((await sagas.load(tx, id))?.state.orderId ?? null);
    });
    expect(loaded).toEqual([a, b, a, null, null]);
    expect(sagaReads()).toHaveLength(1);
    expect(sagaReads()[0]).toMatch(/ANY/);
  });

  it("reads them with one statement when the batch's orders load concurrently (as the transport runs them)", async () => {
    const [a, b, c] = [await existing(), await existing(), await existing()];
    const loaded = await runInUnitOfWork(
      prisma,
      () => Promise.all([a, b, c].map((id) => joinUnitOfWork(prisma)!.step((tx) => sagas.load(tx, id)))),
      { batch: true, messages: [about(a), about(b), about(c)] },
    );
    expect(loaded.map((saga) => saga?.state.orderId)).toEqual([a, b, c]);
    expect(sagaReads()).toHaveLength(1);
  });

  it('writes a batch in its commit statement alone: creation, update and steps; then remembers what it committed', async () => {
    const [a, fresh] = [await existing(), randomUUID()];
    await inBatch([about(a), placed(fresh)], async (tx) => {
      const before = (await sagas.load(tx, a))!;
      await sagas.update(tx, before.version, { ...before.state, status: 'RESERVING' }, deadline, step);
      expect(await sagas.load(tx, fresh)).toBeNull();
      await sagas.create(tx, { ...emptySaga(fresh), status: 'RESERVING' }, deadline, step);
    });
    expect(sent()).toHaveLength(2); // the read of `a`, then the commit statement
    expect(sent()[1]).toMatch(/INSERT INTO saga_instances[\s\S]*UPDATE saga_instances[\s\S]*INSERT INTO saga_steps/);
    expect([await row(a), await row(fresh)]).toEqual([
      { state: 'RESERVING', version: 1 },
      { state: 'RESERVING', version: 0 },
    ]);
    expect([await stepsOf(a), await stepsOf(fresh)]).toEqual([['test'], ['test']]);

    // The next batch about them reads nothing: both are remembered as committed.
    statements = [];
    const versions = await inBatch([about(a), about(fresh)], async (tx) => [
      (await sagas.load(tx, a))?.version,
      (await sagas.load(tx, fresh))?.version,
    ]);
    expect(versions).toEqual([1, 0]);
    expect(sagaReads()).toEqual([]);
  });

  it('sees its own writes; a saga written twice in a batch goes in once, as last written', async () => {
    const [a, fresh] = [await existing(), randomUUID()];
    const seen: unknown[] = [];
    await inBatch([about(a), placed(fresh)], async (tx) => {
      const before = (await sagas.load(tx, a))!;
      await sagas.update(tx, before.version, { ...before.state, status: 'RESERVING' }, deadline, step);
      const middle = (await sagas.load(tx, a))!;
      await sagas.update(tx, middle.version, { ...middle.state, status: 'CHARGING' }, deadline, {
        ...step,
        name: 'second',
      });
      await sagas.create(tx, emptySaga(fresh), deadline, step);
      const created = (await sagas.load(tx, fresh))!;
      await sagas.update(tx, created.version, { ...created.state, status: 'RESERVING' }, deadline, step);
      seen.push(middle.version, (await sagas.load(tx, a))!.state.status, (await sagas.load(tx, fresh))!.state.status);
    });
    expect(seen).toEqual([1, 'CHARGING', 'RESERVING']);
    expect([await row(a), await row(fresh)]).toEqual([
      { state: 'CHARGING', version: 1 },
      { state: 'RESERVING', version: 0 },
    ]);
    expect(await stepsOf(a)).toEqual(['test', 'second']);
  });

  it('fails the whole unit at its commit when a saga it remembered moved since, and writes none of it', async () => {
    const [a, fresh] = [await existing(), randomUUID()];
    await inBatch([about(a)], (tx) => sagas.load(tx, a)); // now remembered at version 0
    await db.query('UPDATE saga_instances SET version = 1 WHERE order_id = $1', [a]); // another replica
    const run = inBatch([about(a), placed(fresh)], async (tx) => {
      const stale = (await sagas.load(tx, a))!;
      await sagas.update(tx, stale.version, { ...stale.state, status: 'RESERVING' }, deadline, step);
      await sagas.create(tx, emptySaga(fresh), deadline, step);
    });
    await expect(run).rejects.toThrow(VersionConflict);
    expect([await row(a), await row(fresh), await stepsOf(a)]).toEqual([{ state: 'STARTED', version: 1 }, null, []]);
    // Alone (as the transport runs a failed batch's messages) the saga is read afresh.
    const fresher = await inUnitOfWork(prisma, (tx) => sagas.load(tx, a));
    expect(fresher?.version).toBe(1);
  });

  it('fails the unit when a saga it only read from memory moved, though it wrote nothing to it', async () => {
    const a = await existing();
    await inBatch([about(a)], (tx) => sagas.load(tx, a));
    await db.query('UPDATE saga_instances SET version = 3 WHERE order_id = $1', [a]);
    const run = inBatch([about(a)], async (tx) => {
      await sagas.load(tx, a); // decided on: nothing to change, only a step logged
      await sagas.appendStep(tx, a, { ...step, name: 'ignored' });
    });
    await expect(run).rejects.toThrow(VersionConflict);
    expect(await stepsOf(a)).toEqual([]);
  });

  it('reads every saga from the database for a while once one from memory had moved (another orchestrator writes them too)', async () => {
    const [a, b] = [await existing(), await existing()];
    await inBatch([about(a), about(b)], async (tx) => {
      await sagas.load(tx, a);
      await sagas.load(tx, b);
    });
    statements = [];
    await inBatch([about(b)], (tx) => sagas.load(tx, b));
    expect(sagaReads()).toEqual([]); // remembered
    await db.query('UPDATE saga_instances SET version = 5 WHERE order_id = $1', [a]);
    await expect(inBatch([about(a)], (tx) => sagas.load(tx, a))).rejects.toThrow(VersionConflict);
    statements = [];
    expect(await inBatch([about(b)], async (tx) => (await sagas.load(tx, b))?.version)).toBe(0);
    expect(sagaReads()).toHaveLength(1); // b is remembered, but memory is not read now
  });

  it('fails the unit when an order taken as only placed has a saga already', async () => {
    const a = await existing();
    const run = inBatch([placed(a)], async (tx) => {
      expect(await sagas.load(tx, a)).toBeNull();
      await sagas.create(tx, emptySaga(a), deadline, step);
    });
    await expect(run).rejects.toThrow(VersionConflict);
    expect(await row(a)).toEqual({ state: 'STARTED', version: 0 });
    expect(await stepsOf(a)).toEqual([]);
  });
});

describe('SagasRepository outside a batch', () => {
  it('reads every saga from the database, remembered or not, and fails its unit on a stale version', async () => {
    const a = await existing();
    await inBatch([about(a)], (tx) => sagas.load(tx, a));
    await db.query('UPDATE saga_instances SET version = 2 WHERE order_id = $1', [a]);
    statements = [];
    expect((await inUnitOfWork(prisma, (tx) => sagas.load(tx, a)))?.version).toBe(2);
    expect(sagaReads()).toHaveLength(1);
    const stale = inUnitOfWork(prisma, (tx) =>
      sagas.update(tx, 1, { ...emptySaga(a), status: 'RESERVING' }, deadline, step),
    );
    await expect(stale).rejects.toThrow(VersionConflict);
    await inUnitOfWork(prisma, (tx) => sagas.update(tx, 2, { ...emptySaga(a), status: 'RESERVING' }, deadline, step));
    expect(await row(a)).toEqual({ state: 'RESERVING', version: 3 });
  });
});
