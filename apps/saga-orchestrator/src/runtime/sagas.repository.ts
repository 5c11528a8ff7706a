import { Injectable } from '@nestjs/common';
import type { SagaView } from '@passo/contracts';
import { BatchedEffect, type UnitOfWork, unitOfWorkOf } from '@passo/outbox';
import { Prisma, PrismaClient } from '@passo/prisma/orchestrator';
import { ACTIVE_STATUSES } from '../order-saga/order-saga.definition';
import type { SagaState } from '../order-saga/order-saga.transition';

type Tx = Prisma.TransactionClient;
const withSteps = { steps: { orderBy: { id: 'asc' } } } as const;
type SagaWithSteps = Prisma.SagaInstanceGetPayload<{ include: typeof withSteps }>;

export interface SavedSaga {
  state: SagaState;
  version: number;
  deadline: Date;
}

export interface StepRecord {
  name: string;
  status: string;
  detail: Prisma.InputJsonValue;
}

/** Another transaction changed (or created) the saga since it was read: reload and decide again. */
export class VersionConflict extends Error {
  constructor(readonly orderId: string) {
    super(`saga ${orderId} changed concurrently`);
  }
}

type SagaRow = { orderId: string; state: string; data: object; version: number; deadline: Date };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The only place that knows the saga tables: `state` is the status, `data` the rest of SagaState. */
@Injectable()
export class SagasRepository {
  /**
   * Per consumed batch: its sagas as its transaction sees them, read with one statement at the
   * batch's first load and kept up to date by its own writes (a saga twice in a batch is read once).
   */
  private readonly batches = new WeakMap<UnitOfWork, Promise<Map<string, SavedSaga | null>>>();

  constructor(private readonly db: PrismaClient) {}

  find(orderId: string): Promise<SagaWithSteps | null> {
    return this.db.sagaInstance.findUnique({ where: { orderId }, include: withSteps });
  }

  /** The saga as this transaction sees it (in a batch, as read for the whole batch and written since). */
  async load(tx: Tx, orderId: string): Promise<SavedSaga | null> {
    const batch = await this.batchOf(tx);
    if (batch?.has(orderId)) return batch.get(orderId)!;
    const [row] = await tx.$queryRaw<SagaRow[]>`
      SELECT order_id::text AS "orderId", state, data, version, deadline FROM saga_instances
       WHERE order_id = ${orderId}::uuid`;
    return row ? saved(row) : null;
  }

  /**
   * Every saga a batch's messages are about (by correlation id, the order id), in one statement.
   * The batch's orders load concurrently: the first starts the read, and the others wait for it.
   */
  private async batchOf(tx: Tx): Promise<Map<string, SavedSaga | null> | undefined> {
    const unit = unitOfWorkOf(tx);
    if (!unit || unit.messages.length < 2) return undefined;
    let sagas = this.batches.get(unit);
    if (!sagas) {
      const ids = [...new Set(unit.messages.map((m) => m.correlationId))].filter((id) => UUID.test(id));
      sagas = tx.$queryRaw<SagaRow[]>`
        SELECT order_id::text AS "orderId", state, data, version, deadline FROM saga_instances
         WHERE order_id = ANY(${ids}::uuid[])`.then((rows) => {
        const read = new Map<string, SavedSaga | null>(ids.map((id) => [id.toLowerCase(), null]));
        for (const row of rows) read.set(row.orderId, saved(row));
        return read;
      });
      this.batches.set(unit, sagas);
    }
    return sagas;
  }

  /** What this transaction wrote, for the batch's later loads. */
  private async wrote(tx: Tx, saga: SavedSaga): Promise<void> {
    const unit = unitOfWorkOf(tx);
    const batch = unit && (await this.batches.get(unit));
    batch?.set(saga.state.orderId, saga);
  }

  /**
   * Inserts version 0 and logs its first step, in one statement; a concurrent insert for the same
   * order wins and this one is a conflict (nothing written).
   */
  async create(tx: Tx, state: SagaState, deadline: Date, step: StepRecord): Promise<void> {
    if (!(await this.creations.run(tx, { state, version: 0, deadline, step })))
      throw new VersionConflict(state.orderId);
    await this.wrote(tx, { state, version: 0, deadline });
  }

  /**
   * Optimistic concurrency: writes only over the version that was read, bumps it and logs the
   * step, in one statement; nothing is written on a conflict.
   */
  async update(tx: Tx, version: number, state: SagaState, deadline: Date, step: StepRecord): Promise<void> {
    if (!(await this.updates.run(tx, { state, version, deadline, step }))) throw new VersionConflict(state.orderId);
    await this.wrote(tx, { state, version: version + 1, deadline });
  }

  /** Every creation of a consumed batch in one statement (BatchedEffect): true for each saga written. */
  private readonly creations = new BatchedEffect<Tx, SagaWrite, boolean>(async (tx, items) => {
    const written = await tx.$queryRaw<Array<{ orderId: string }>>`
      WITH ${wanted(items)},
        created AS (
          INSERT INTO saga_instances (order_id, state, data, deadline, updated_at)
          SELECT order_id, state, data::jsonb, deadline::timestamptz, now() FROM want ORDER BY order_id
          ON CONFLICT (order_id) DO NOTHING
          RETURNING order_id)
      ${logSteps('created')}`;
    return writtenOf(items, written);
  });

  /** Every update of a consumed batch in one statement, the sagas locked in order id order. */
  private readonly updates = new BatchedEffect<Tx, SagaWrite, boolean>(async (tx, items) => {
    const written = await tx.$queryRaw<Array<{ orderId: string }>>`
      WITH ${wanted(items)},
        locked AS (
          SELECT s.order_id FROM saga_instances s JOIN want USING (order_id) ORDER BY s.order_id FOR UPDATE OF s),
        updated AS (
          UPDATE saga_instances s
             SET state = w.state, data = w.data::jsonb, deadline = w.deadline::timestamptz,
                 version = s.version + 1, updated_at = now()
            FROM want w JOIN locked USING (order_id)
           WHERE s.order_id = w.order_id AND s.version = w.version
          RETURNING s.order_id)
      ${logSteps('updated')}`;
    return writtenOf(items, written);
  });

  /** Logs a step that changed nothing (an ignored or duplicate reply). */
  async appendStep(tx: Tx, orderId: string, step: StepRecord): Promise<void> {
    await this.steps.run(tx, { orderId, step });
  }

  /** Every such step of a consumed batch in one statement, in the order they were logged. */
  private readonly steps = new BatchedEffect<Tx, { orderId: string; step: StepRecord }, void>(async (tx, items) => {
    await tx.$executeRaw`
      INSERT INTO saga_steps (order_id, name, status, detail)
      SELECT order_id, name, status, detail::jsonb
        FROM unnest(${items.map((i) => i.orderId)}::uuid[], ${items.map((i) => i.step.name)}::text[],
                    ${items.map((i) => i.step.status)}::text[], ${items.map((i) => JSON.stringify(i.step.detail))}::text[])
             WITH ORDINALITY AS s(order_id, name, status, detail, n)
       ORDER BY n`;
    return items.map(() => undefined);
  });

  /** Active sagas whose deadline has passed, oldest deadline first. */
  async overdue(now: Date, limit: number): Promise<string[]> {
    const rows = await this.db.sagaInstance.findMany({
      where: { state: { in: [...ACTIVE_STATUSES] }, deadline: { lt: now } },
      orderBy: { deadline: 'asc' },
      take: limit,
      select: { orderId: true },
    });
    return rows.map((row) => row.orderId);
  }
}

function saved(row: SagaRow): SavedSaga {
  const state = { ...row.data, status: row.state } as SagaState;
  return { state, version: row.version, deadline: row.deadline };
}

/** The saga's row: `state` is the status, `data` (jsonb text) the rest. */
function columns({ status, ...data }: SagaState) {
  return { status, data: JSON.stringify(data) };
}

/** One saga's write (create: version 0; update: the version read), as a batched statement's item. */
interface SagaWrite {
  state: SagaState;
  version: number;
  deadline: Date;
  step: StepRecord;
}

/** The CTE `want`: one row per write, with its columns and its step's. */
function wanted(items: readonly SagaWrite[]): Prisma.Sql {
  const saga = items.map(({ state }) => columns(state));
  return Prisma.sql`want AS (
    SELECT * FROM unnest(${items.map((i) => i.state.orderId)}::uuid[], ${items.map((i) => i.version)}::int[],
                         ${saga.map((c) => c.status)}::text[], ${saga.map((c) => c.data)}::text[],
                         ${items.map((i) => i.deadline.toISOString())}::text[], ${items.map((i) => i.step.name)}::text[],
                         ${items.map((i) => i.step.status)}::text[], ${items.map((i) => JSON.stringify(i.step.detail))}::text[])
             AS w(order_id, version, state, data, deadline, name, status, detail))`;
}

/** Logs the step of each saga row the CTE `saga` wrote (none for a conflict), returning whose. */
function logSteps(saga: 'created' | 'updated'): Prisma.Sql {
  return Prisma.sql`INSERT INTO saga_steps (order_id, name, status, detail)
    SELECT order_id, w.name, w.status, w.detail::jsonb FROM ${Prisma.raw(saga)} JOIN want w USING (order_id)
    RETURNING order_id::text AS "orderId"`;
}

/** For each write: whether its saga row was written. */
function writtenOf(items: readonly SagaWrite[], written: Array<{ orderId: string }>): boolean[] {
  const ids = new Set(written.map((row) => row.orderId));
  return items.map((item) => ids.has(item.state.orderId.toLowerCase()));
}

export function toSagaView(saga: SagaWithSteps): SagaView {
  return {
    orderId: saga.orderId,
    state: saga.state,
    version: saga.version,
    deadline: saga.deadline.toISOString(),
    steps: saga.steps.map((step) => ({
      name: step.name,
      status: step.status,
      at: step.at.toISOString(),
      detail: step.detail,
    })),
    createdAt: saga.createdAt.toISOString(),
    updatedAt: saga.updatedAt.toISOString(),
  };
}
