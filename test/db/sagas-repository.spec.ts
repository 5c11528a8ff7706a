import { randomUUID } from 'node:crypto';
import type { Envelope } from '@passo/contracts';
import { inUnitOfWork, joinUnitOfWork, runInUnitOfWork } from '@passo/outbox';
import { PrismaClient, type Prisma } from '@passo/prisma/orchestrator';
import { PrismaPg } from '@prisma/adapter-pg';
import { emptySaga } from '../../apps/saga-orchestrator/src/order-saga/order-saga.definition';
import { SagasRepository } from '../../apps/saga-orchestrator/src/runtime/sagas.repository';
import { testDatabase, type TestDatabase } from '../support/databases';

/**
 * The orchestrator's sagas in a consumed batch: one statement to read every saga the batch's
 * messages are about, the batch's own writes seen by its later reads, one statement per kind of write.
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
  sagas = new SagasRepository(prisma);
});
afterAll(async () => {
  await prisma.$disconnect();
  await db.drop();
});
beforeEach(() => (statements = []));

const step = { name: 'test', status: 'STARTED', detail: {} };
const deadline = new Date(Date.now() + 60_000);
const about = (orderId: string) => ({ id: randomUUID(), correlationId: orderId }) as Envelope;
const sagaReads = () => statements.filter((sql) => sql.includes('FROM saga_instances'));

async function created(): Promise<string> {
  const orderId = randomUUID();
  await inUnitOfWork(prisma, (tx) => sagas.create(tx, emptySaga(orderId), deadline, step));
  return orderId;
}

/** Runs `work` as the transport runs a batch of `messages`, with its transaction. */
function inBatch(messages: Envelope[], work: (tx: Prisma.TransactionClient) => Promise<void>) {
  return runInUnitOfWork(prisma, () => joinUnitOfWork(prisma)!.step(work), { batch: true, messages });
}

describe('SagasRepository in a consumed batch', () => {
  it("reads every saga of the batch's messages with one statement; one never created reads as none", async () => {
    const [a, b] = [await created(), await created()];
    const never = randomUUID();
    statements = [];
    const loaded: unknown[] = [];
    await inBatch([about(a), about(b), about(a), about(never)], async (tx) => {
      for (const id of [a, b, a, never]) loaded.push((await sagas.load(tx, id))?.state.orderId ?? null);
    });
    expect(loaded).toEqual([a, b, a, null]);
    expect(sagaReads()).toHaveLength(1);
  });

  it("reads them with one statement when the batch's orders load concurrently (as the transport runs them)", async () => {
    const [a, b, c] = [await created(), await created(), await created()];
    statements = [];
    const loaded = await runInUnitOfWork(
      prisma,
      () => Promise.all([a, b, c].map((id) => joinUnitOfWork(prisma)!.step((tx) => sagas.load(tx, id)))),
      { batch: true, messages: [about(a), about(b), about(c)] },
    );
    expect(loaded.map((saga) => saga?.state.orderId)).toEqual([a, b, c]);
    expect(sagaReads()).toHaveLength(1);
  });

  it('sees its own writes: a saga created then updated in the batch is read back as written', async () => {
    const a = await created();
    const fresh = randomUUID();
    statements = [];
    const versions: Array<number | null> = [];
    await inBatch([about(a), about(fresh)], async (tx) => {
      const before = (await sagas.load(tx, a))!;
      await sagas.update(tx, before.version, { ...before.state, status: 'RESERVING' }, deadline, step);
      const after = (await sagas.load(tx, a))!;
      versions.push(before.version, after.version);
      expect(after.state.status).toBe('RESERVING');
      expect(await sagas.load(tx, fresh)).toBeNull();
      await sagas.create(tx, emptySaga(fresh), deadline, step);
      versions.push((await sagas.load(tx, fresh))!.version);
    });
    expect(versions).toEqual([0, 1, 0]);
    expect(sagaReads().filter((sql) => sql.startsWith('SELECT'))).toHaveLength(1);
    // And the database agrees once committed.
    const rows = await db.query<{ state: string; version: number }>(
      'SELECT state, version FROM saga_instances WHERE order_id = ANY($1::uuid[]) ORDER BY version DESC',
      [[a, fresh]],
    );
    expect(rows.map((r) => [r.state, r.version])).toEqual([
      ['RESERVING', 1],
      ['STARTED', 0],
    ]);
  });

  it('reads a saga no message of the batch is about with a statement of its own', async () => {
    const [a, other] = [await created(), await created()];
    statements = [];
    await inBatch([about(a), about(a)], async (tx) => {
      expect((await sagas.load(tx, other))?.state.orderId).toBe(other);
    });
    expect(sagaReads()).toHaveLength(2);
  });

  it("writes the batch's sagas with one statement per kind; a stale version fails only its own caller (VersionConflict), the unit rolls back", async () => {
    const [a, b] = [await created(), await created()];
    const [fresh, other] = [randomUUID(), randomUUID()];
    statements = [];
    const outcomes: string[] = [];
    const committed = await runInUnitOfWork(
      prisma,
      async () => {
        const unit = joinUnitOfWork(prisma)!;
        const writes = [
          (tx: Prisma.TransactionClient) =>
            sagas.update(tx, 0, { ...emptySaga(a), status: 'RESERVING' }, deadline, step),
          (tx: Prisma.TransactionClient) =>
            sagas.update(tx, 7, { ...emptySaga(b), status: 'RESERVING' }, deadline, step),
          (tx: Prisma.TransactionClient) => sagas.create(tx, emptySaga(fresh), deadline, step),
          (tx: Prisma.TransactionClient) => sagas.create(tx, emptySaga(other), deadline, step),
        ];
        const settled = await Promise.allSettled(writes.map((write) => unit.step(write)));
        outcomes.push(...settled.map((o) => (o.status === 'fulfilled' ? 'ok' : (o.reason as Error).constructor.name)));
        return true;
      },
      { batch: true, messages: [about(a), about(b), about(fresh), about(other)] },
    ).catch(() => false);
    expect([committed, outcomes]).toEqual([false, ['ok', 'VersionConflict', 'ok', 'ok']]);
    expect(statements.filter((sql) => /^\s*WITH want/.test(sql))).toHaveLength(2);
    const rows = await db.query('SELECT 1 FROM saga_instances WHERE order_id = ANY($1::uuid[])', [[fresh, other]]);
    expect(rows).toHaveLength(0);
  });
});
